//! Where the home is: found the same way from any working directory, so that evidence never
//! ends up split between installations a user did not know they had.
//!
//! The order is `--home`, else `$PHIGUARD_HOME`, else `/var/lib/phiguard` when it is a home
//! that belongs to the user phiguard runs as (a packaged install), else the XDG data
//! directory (`$XDG_DATA_HOME/phiguard`, else `~/.local/share/phiguard`). Earlier versions
//! kept the home in `./.phiguard` of the working directory; such a home is still found when
//! nothing else is, and the caller tells the user how to move it.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::CONFIG_FILE;
use crate::permissions::shell_quoted;

/// The environment variable that names the home when `--home` is not given.
pub const HOME_ENV: &str = "PHIGUARD_HOME";
/// The home of a packaged install, used when it belongs to the user phiguard runs as.
pub const SYSTEM_HOME: &str = "/var/lib/phiguard";
/// The home's name inside the XDG data directory.
pub const XDG_NAME: &str = "phiguard";
/// Where earlier versions kept the home, relative to the working directory.
pub const LEGACY_HOME: &str = ".phiguard";

/// Where the home path came from, so `status` and errors can say which one is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeSource {
    Flag,
    Environment,
    /// `/var/lib/phiguard`, a packaged install's.
    System,
    /// The XDG data directory.
    Xdg,
    /// `./.phiguard` in the working directory, made by an earlier version.
    Legacy,
}

impl HomeSource {
    /// A word for scripts (`status --json`).
    pub fn name(self) -> &'static str {
        match self {
            HomeSource::Flag => "flag",
            HomeSource::Environment => "environment",
            HomeSource::System => "system",
            HomeSource::Xdg => "xdg",
            HomeSource::Legacy => "legacy",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            HomeSource::Flag => "from --home",
            HomeSource::Environment => "from $PHIGUARD_HOME",
            HomeSource::System => "the packaged install's home",
            HomeSource::Xdg => "the XDG data directory",
            HomeSource::Legacy => "./.phiguard, where earlier versions kept it",
        }
    }

    /// Whether the user named the home (`--home`, `$PHIGUARD_HOME`) rather than phiguard
    /// finding it.
    pub fn is_given(self) -> bool {
        matches!(self, HomeSource::Flag | HomeSource::Environment)
    }
}

/// What finding the home looks at: the process's flag, environment, working directory and
/// user, or, in tests, whatever the test says they are.
#[derive(Debug, Clone)]
pub struct Surroundings {
    /// `--home`.
    pub flag: Option<PathBuf>,
    /// `$PHIGUARD_HOME`.
    pub phiguard_home: Option<OsString>,
    /// `$XDG_DATA_HOME`.
    pub xdg_data_home: Option<OsString>,
    /// `$HOME`.
    pub user_home: Option<OsString>,
    /// The working directory: relative homes are taken from here, and so is `./.phiguard`.
    pub working_dir: Option<PathBuf>,
    /// `/var/lib/phiguard` outside tests.
    pub system_home: PathBuf,
    /// The effective user id phiguard runs as.
    pub uid: u32,
}

impl Surroundings {
    /// This process's surroundings, with `flag` from the command line.
    pub fn of_process(flag: Option<PathBuf>) -> Surroundings {
        Surroundings {
            flag,
            phiguard_home: std::env::var_os(HOME_ENV),
            xdg_data_home: std::env::var_os("XDG_DATA_HOME"),
            user_home: std::env::var_os("HOME"),
            working_dir: std::env::current_dir().ok(),
            system_home: PathBuf::from(SYSTEM_HOME),
            uid: rustix::process::geteuid().as_raw(),
        }
    }

    /// A path as given, made absolute against the working directory.
    fn absolute(&self, path: PathBuf) -> PathBuf {
        match &self.working_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
        }
    }

    /// The XDG data directory (`$XDG_DATA_HOME`, else `$HOME/.local/share`), when the
    /// environment says where it is. A relative `$XDG_DATA_HOME` is ignored, as the XDG
    /// specification asks.
    pub fn data_dir(&self) -> Option<PathBuf> {
        let set = |value: &Option<OsString>| value.clone().filter(|v| !v.is_empty());
        if let Some(dir) = set(&self.xdg_data_home).map(PathBuf::from)
            && dir.is_absolute()
        {
            return Some(dir);
        }
        set(&self.user_home).map(|home| PathBuf::from(home).join(".local/share"))
    }
}

/// The home a command works on, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Absolute.
    pub dir: PathBuf,
    pub source: HomeSource,
    /// Each place looked at before `dir`, and why it was passed over (for the error that
    /// says there is no home).
    pub passed_over: Vec<String>,
    /// For a home found in `./.phiguard`: where it belongs now, in the XDG data directory.
    pub move_to: Option<PathBuf>,
    /// An earlier version's `./.phiguard` that is *not* used because another home was found.
    pub unused_legacy: Option<PathBuf>,
}

/// Why no home could be located at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "phiguard cannot tell where to keep its data: neither $XDG_DATA_HOME nor $HOME is set. \
     Give the home with --home DIR or $PHIGUARD_HOME"
)]
pub struct NoDataDirectory;

/// Finds the home: `--home`, else `$PHIGUARD_HOME`, else `/var/lib/phiguard` when it is
/// this user's home, else the XDG data directory's `phiguard` when it holds a home, else an
/// earlier version's `./.phiguard`, else the XDG data directory's `phiguard` (where a new
/// home is made). An empty flag or variable counts as unset.
pub fn locate(s: &Surroundings) -> Result<Location, NoDataDirectory> {
    let given = |dir: PathBuf, source| Location {
        dir: s.absolute(dir),
        source,
        passed_over: Vec::new(),
        move_to: None,
        unused_legacy: None,
    };
    if let Some(path) = s.flag.clone().filter(|p| !p.as_os_str().is_empty()) {
        return Ok(given(path, HomeSource::Flag));
    }
    if let Some(path) = s.phiguard_home.clone().filter(|v| !v.is_empty()) {
        return Ok(given(PathBuf::from(path), HomeSource::Environment));
    }
    let mut passed_over = vec![
        "--home: not given".to_owned(),
        format!("${HOME_ENV}: not set"),
    ];
    let legacy = s
        .working_dir
        .as_ref()
        .map(|dir| dir.join(LEGACY_HOME))
        .filter(|dir| holds_home(dir));
    let system = &s.system_home;
    match system_home_state(system, s.uid) {
        SystemHome::Ours => {
            return Ok(Location {
                dir: system.clone(),
                source: HomeSource::System,
                passed_over,
                move_to: None,
                unused_legacy: legacy,
            });
        }
        SystemHome::Absent => passed_over.push(format!("{}: does not exist", system.display())),
        SystemHome::NoConfig => passed_over.push(format!(
            "{}: holds no {CONFIG_FILE}, so it is no phiguard home",
            system.display()
        )),
        SystemHome::Others(owner) => passed_over.push(format!(
            "{}: belongs to user id {owner}, not to you (user id {}); run phiguard as that \
             user to use it",
            system.display(),
            s.uid
        )),
    }
    let xdg = s.data_dir().ok_or(NoDataDirectory)?.join(XDG_NAME);
    if !holds_home(&xdg)
        && let Some(legacy) = legacy
    {
        passed_over.push(format!("{}: holds no home", xdg.display()));
        return Ok(Location {
            dir: legacy,
            source: HomeSource::Legacy,
            passed_over,
            move_to: Some(xdg),
            unused_legacy: None,
        });
    }
    Ok(Location {
        dir: xdg,
        source: HomeSource::Xdg,
        passed_over,
        move_to: None,
        unused_legacy: legacy,
    })
}

impl Location {
    /// The error for a command that needs an existing home and finds none here: where
    /// phiguard looked and how to start.
    pub fn missing(&self) -> String {
        let dir = shell_quoted(&self.dir);
        let mut text = format!(
            "there is no phiguard home at {} ({}): it holds no {CONFIG_FILE}, and this command \
             works on a home that exists, so nothing was created.",
            self.dir.display(),
            self.source.describe()
        );
        if !self.passed_over.is_empty() {
            text.push_str("\nphiguard looked, in this order, at:");
            for place in &self.passed_over {
                text.push_str(&format!("\n  {place}"));
            }
            text.push_str(&format!("\n  {}: holds no home", self.dir.display()));
        }
        let init = match self.source {
            HomeSource::Flag => format!("phiguard --home {dir} init"),
            _ => "phiguard init".to_owned(),
        };
        text.push_str(&format!(
            "\nStart one with `{init}`; if your home is elsewhere, name it with --home DIR or \
             ${HOME_ENV}."
        ));
        text
    }

    /// What to tell the user about an earlier version's `./.phiguard`: how to move the one in
    /// use to where homes live now, or that one lies unused beside the home in use.
    pub fn legacy_note(&self) -> Option<String> {
        if let Some(to) = &self.move_to {
            let parent = to.parent().unwrap_or(to);
            return Some(format!(
                "note: using {}, the home earlier versions kept in the working directory; from \
                 another directory phiguard would not find it. Move it to where homes live \
                 now:\n  mkdir -p {} && mv {} {}\nor keep it there and pass --home {} to every \
                 command.",
                self.dir.display(),
                shell_quoted(parent),
                shell_quoted(&self.dir),
                shell_quoted(to),
                shell_quoted(&self.dir),
            ));
        }
        self.unused_legacy.as_ref().map(|legacy| {
            format!(
                "note: {} is a home an earlier version made in this directory, and it is not \
                 used: the home is {} ({}). Use it with --home {}, or move its evidence out of \
                 the way once you no longer need it.",
                legacy.display(),
                self.dir.display(),
                self.source.describe(),
                shell_quoted(legacy),
            )
        })
    }
}

/// Whether `dir` holds a home (its configuration file).
fn holds_home(dir: &Path) -> bool {
    dir.join(CONFIG_FILE).is_file()
}

enum SystemHome {
    Absent,
    NoConfig,
    Others(u32),
    Ours,
}

fn system_home_state(dir: &Path, uid: u32) -> SystemHome {
    match fs::metadata(dir) {
        Err(_) => SystemHome::Absent,
        Ok(meta) if meta.uid() != uid => SystemHome::Others(meta.uid()),
        Ok(_) if !holds_home(dir) => SystemHome::NoConfig,
        Ok(_) => SystemHome::Ours,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// Surroundings inside `tmp`: a user home, a working directory and a system home path,
    /// none of them created.
    fn surroundings(tmp: &Path) -> Surroundings {
        Surroundings {
            flag: None,
            phiguard_home: None,
            xdg_data_home: None,
            user_home: Some(tmp.join("user").into()),
            working_dir: Some(tmp.join("work")),
            system_home: tmp.join("var-lib-phiguard"),
            uid: rustix::process::geteuid().as_raw(),
        }
    }

    fn make_home(dir: &Path) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(CONFIG_FILE), "").unwrap();
    }

    #[test]
    fn the_flag_wins_then_the_environment_relative_to_the_working_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = surroundings(tmp.path());
        make_home(&s.system_home);
        s.flag = Some("a".into());
        s.phiguard_home = Some("/b".into());
        let found = locate(&s).unwrap();
        assert_eq!(found.dir, tmp.path().join("work/a"));
        assert_eq!(found.source, HomeSource::Flag);
        s.flag = Some("".into());
        let found = locate(&s).unwrap();
        assert_eq!(
            (found.dir, found.source),
            ("/b".into(), HomeSource::Environment)
        );
        s.phiguard_home = Some("".into());
        assert_eq!(locate(&s).unwrap().source, HomeSource::System);
    }

    #[test]
    fn the_system_home_only_when_it_is_a_home_of_this_user() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = surroundings(tmp.path());
        let xdg = tmp.path().join("user/.local/share/phiguard");
        let found = locate(&s).unwrap();
        assert_eq!((&found.dir, found.source), (&xdg, HomeSource::Xdg));
        assert!(
            found
                .passed_over
                .iter()
                .any(|p| p.ends_with("does not exist"))
        );

        fs::create_dir_all(&s.system_home).unwrap();
        let found = locate(&s).unwrap();
        assert_eq!(found.dir, xdg);
        assert!(
            found
                .passed_over
                .iter()
                .any(|p| p.contains("holds no phiguard.toml"))
        );

        make_home(&s.system_home);
        let found = locate(&s).unwrap();
        assert_eq!(
            (&found.dir, found.source),
            (&s.system_home, HomeSource::System)
        );

        // Another user's: passed over, saying whose it is.
        s.uid += 1;
        let found = locate(&s).unwrap();
        assert_eq!(found.dir, xdg);
        let why = found.passed_over.join("\n");
        assert!(
            why.contains("belongs to user id") && why.contains("not to you"),
            "{why}"
        );
    }

    #[test]
    fn the_xdg_data_directory_from_xdg_data_home_else_home() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = surroundings(tmp.path());
        s.xdg_data_home = Some(tmp.path().join("data").into());
        assert_eq!(locate(&s).unwrap().dir, tmp.path().join("data/phiguard"));
        // A relative XDG_DATA_HOME is invalid and ignored.
        s.xdg_data_home = Some("relative/data".into());
        assert_eq!(
            locate(&s).unwrap().dir,
            tmp.path().join("user/.local/share/phiguard")
        );
        s.xdg_data_home = None;
        s.user_home = None;
        assert_eq!(locate(&s), Err(NoDataDirectory));
        // Not needed when the home is given.
        s.flag = Some("/given".into());
        assert_eq!(locate(&s).unwrap().dir, PathBuf::from("/given"));
    }

    #[test]
    fn an_earlier_versions_dot_phiguard_is_used_only_when_no_other_home_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let s = surroundings(tmp.path());
        let legacy = tmp.path().join("work/.phiguard");
        let xdg = tmp.path().join("user/.local/share/phiguard");
        make_home(&legacy);
        let found = locate(&s).unwrap();
        assert_eq!((&found.dir, found.source), (&legacy, HomeSource::Legacy));
        assert_eq!(found.move_to.as_ref(), Some(&xdg));
        let note = found.legacy_note().unwrap();
        let mv = format!(
            "mkdir -p {} && mv {} {}",
            tmp.path().join("user/.local/share").display(),
            legacy.display(),
            xdg.display()
        );
        assert!(note.contains(&mv), "{note}");
        assert!(
            note.contains(&format!("--home {}", legacy.display())),
            "{note}"
        );

        // Once the XDG home exists, it wins; the old one is pointed out, not used.
        make_home(&xdg);
        let found = locate(&s).unwrap();
        assert_eq!((&found.dir, found.source), (&xdg, HomeSource::Xdg));
        assert_eq!(found.unused_legacy.as_ref(), Some(&legacy));
        assert!(found.legacy_note().unwrap().contains("not used"));

        // A `.phiguard` without a configuration is no home.
        fs::remove_file(legacy.join(CONFIG_FILE)).unwrap();
        assert_eq!(locate(&s).unwrap().legacy_note(), None);
    }

    #[test]
    fn the_missing_home_error_says_where_phiguard_looked_and_how_to_start() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = surroundings(tmp.path());
        let text = locate(&s).unwrap().missing();
        let xdg = tmp.path().join("user/.local/share/phiguard");
        assert!(
            text.contains(&format!("no phiguard home at {}", xdg.display())),
            "{text}"
        );
        assert!(text.contains("--home: not given"), "{text}");
        assert!(text.contains(&format!("{}: does not exist", s.system_home.display())));
        assert!(text.contains("`phiguard init`"), "{text}");

        s.flag = Some(tmp.path().join("elsewhere"));
        let text = locate(&s).unwrap().missing();
        assert!(text.contains("(from --home)"), "{text}");
        let init = format!(
            "`phiguard --home {} init`",
            tmp.path().join("elsewhere").display()
        );
        assert!(text.contains(&init), "{text}");
    }
}
