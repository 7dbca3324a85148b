//! sshd's configuration, read the way sshd reads it.
//!
//! The rules that matter for judging it, from OpenSSH's `servconf.c` and `misc.c`:
//! - keywords are case-insensitive, and `Keyword=value` is the same as `Keyword value`;
//! - arguments are split on blanks, with double or single quotes and backslash escapes, and a
//!   `#` at the start of an argument ends the line;
//! - the first value obtained for a keyword wins, so a drop-in included at the top of
//!   `sshd_config` overrides everything below it;
//! - `Include` takes glob patterns, relative ones under `/etc/ssh`, read in sorted order, at
//!   most 16 levels deep; a pattern that matches nothing is not an error;
//! - lines after `Match` apply only to connections matching its criteria, so they do not set
//!   the global value, except after `Match all`, whose lines apply to every connection;
//! - an included file starts in the Match block of the line that includes it, and a `Match`
//!   inside it ends at the end of that file.
//!
//! On the running system `sshd -T` prints the effective global configuration, defaults
//! included, and is preferred; otherwise unset keywords take OpenSSH 9's built-in defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use phiguard_core::CheckContext;

use super::{ConfigError, numbered_lines, read_text, sorted_entries, wildcard_match};

/// The configuration file sshd reads unless told otherwise.
pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
/// Where relative `Include` patterns are resolved (OpenSSH's `SSHDIR`).
const SSH_DIR: &str = "/etc/ssh";
/// OpenSSH's `SERVCONF_MAX_DEPTH`: sshd refuses deeper nesting, which also stops include loops.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Where sshd is installed on the distributions phiguard supports; it is not looked up on
/// `PATH`, which a caller could point at another program.
const SSHD_PROGRAMS: &[&str] = &[
    "/usr/sbin/sshd",
    "/usr/local/sbin/sshd",
    "/sbin/sshd",
    "/usr/bin/sshd",
];

/// Old keyword names that sshd still accepts for the same setting, with the current name
/// (the one `sshd -T` prints). Since OpenSSH 8.7, ChallengeResponseAuthentication is the
/// same setting as KbdInteractiveAuthentication, so whichever comes first wins.
const ALIASES: &[(&str, &str)] = &[
    (
        "challengeresponseauthentication",
        "kbdinteractiveauthentication",
    ),
    ("dsaauthentication", "pubkeyauthentication"),
    ("pubkeyacceptedkeytypes", "pubkeyacceptedalgorithms"),
    ("hostbasedacceptedkeytypes", "hostbasedacceptedalgorithms"),
];

/// Keywords sshd refuses inside a Match block (it would not start), among those judged here.
const GLOBAL_ONLY: &[&str] = &["ciphers", "macs", "kexalgorithms", "usepam"];

/// The algorithm-list keywords, whose value may add to (`+`), remove from (`-`) or put in
/// front of (`^`) the default list.
const ALGORITHM_LISTS: &[&str] = &["ciphers", "macs", "kexalgorithms"];

/// OpenSSH 9's built-in defaults for the keywords the checks judge, as `sshd -T` prints them
/// on an upstream build (distributions may patch some; on a live system `sshd -T` is used).
const DEFAULTS: &[(&str, &str)] = &[
    ("permitrootlogin", "prohibit-password"),
    ("passwordauthentication", "yes"),
    ("kbdinteractiveauthentication", "yes"),
    ("usepam", "no"),
    ("pubkeyauthentication", "yes"),
    ("authenticationmethods", "any"),
    ("clientaliveinterval", "0"),
    ("clientalivecountmax", "3"),
    (
        "ciphers",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,\
         aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    ),
    (
        "macs",
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,\
         hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,\
         umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    ),
    (
        "kexalgorithms",
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,\
         ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,\
         diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,\
         diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
    ),
];

/// The spelling of a keyword in messages and remediations, as the manual page writes it.
pub fn display_name(keyword: &str) -> &str {
    const NAMES: &[&str] = &[
        "PermitRootLogin",
        "PasswordAuthentication",
        "KbdInteractiveAuthentication",
        "UsePAM",
        "PubkeyAuthentication",
        "AuthenticationMethods",
        "ClientAliveInterval",
        "ClientAliveCountMax",
        "Ciphers",
        "MACs",
        "KexAlgorithms",
    ];
    NAMES
        .iter()
        .find(|name| name.eq_ignore_ascii_case(keyword))
        .copied()
        .unwrap_or(keyword)
}

/// A line of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.path.display(), self.line)
    }
}

/// One `Keyword arguments` line, with its keyword lowercased and aliases resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Directive {
    keyword: String,
    args: Vec<String>,
    at: Location,
    /// Index into [`SshdConfig::blocks`], `None` outside any Match block.
    block: Option<usize>,
}

/// A `Match` line and the lines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchBlock {
    /// The criteria as written, e.g. `User alice Address 10.0.0.0/8`.
    pub criteria: String,
    pub at: Location,
    /// Whether the block applies to every connection: `Match all`, unless it sits in a file
    /// included from inside a conditional block (sshd then never treats it as global).
    pub applies_to_all: bool,
}

/// The parsed configuration files: every directive in the order sshd reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshdConfig {
    directives: Vec<Directive>,
    blocks: Vec<MatchBlock>,
    /// Every file read, the main one first, in reading order.
    files: Vec<PathBuf>,
}

impl SshdConfig {
    /// Reads `file` (a path already under the root) and everything it includes, resolving
    /// include patterns under `ctx`'s root. `Ok(None)` when `file` does not exist.
    pub fn load(ctx: &CheckContext, file: &Path) -> Result<Option<SshdConfig>, ConfigError> {
        let Some(text) = read_text(file)? else {
            return Ok(None);
        };
        SshdConfig::parse(ctx, file, &text).map(Some)
    }

    /// Parses `text` as the contents of `file`, reading what it includes under `ctx`'s root.
    pub fn parse(ctx: &CheckContext, file: &Path, text: &str) -> Result<SshdConfig, ConfigError> {
        let mut config = SshdConfig::default();
        let mut parser = Parser {
            ctx,
            config: &mut config,
        };
        parser.file(file, text, 0, None, false)?;
        Ok(config)
    }

    /// Every file read, the main one first.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    pub fn match_blocks(&self) -> &[MatchBlock] {
        &self.blocks
    }

    /// The value every connection gets from the files alone: the first one set under a
    /// `Match all`, else the first one outside any Match block. `None` when unset.
    pub fn global(&self, keyword: &str) -> Option<(&[String], &Location)> {
        self.first(keyword, |block| self.applies_to_all(block))
            .or_else(|| self.first(keyword, |block| block.is_none()))
    }

    /// What the files set for a connection matching the conditional block `index` (and the
    /// `Match all` blocks, which match everything): the first value under any of them, in
    /// file order, as sshd applies them. `None` when neither sets it: the global value holds.
    pub fn in_match(&self, index: usize, keyword: &str) -> Option<(&[String], &Location)> {
        self.first(keyword, |block| {
            block == Some(index) || self.applies_to_all(block)
        })
    }

    /// The conditional Match blocks (not `Match all`) that set one of `keywords` themselves.
    pub fn blocks_setting(&self, keywords: &[&str]) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .directives
            .iter()
            .filter(|d| keywords.contains(&d.keyword.as_str()))
            .filter_map(|d| d.block)
            .filter(|&b| !self.applies_to_all(Some(b)))
            .collect();
        // A block's lines can resume after a file it includes, so its index can repeat.
        found.sort_unstable();
        found.dedup();
        found
    }

    fn applies_to_all(&self, block: Option<usize>) -> bool {
        block
            .and_then(|b| self.blocks.get(b))
            .is_some_and(|b| b.applies_to_all)
    }

    fn first(
        &self,
        keyword: &str,
        in_scope: impl Fn(Option<usize>) -> bool,
    ) -> Option<(&[String], &Location)> {
        self.directives
            .iter()
            .find(|d| d.keyword == keyword && in_scope(d.block))
            .map(|d| (d.args.as_slice(), &d.at))
    }
}

/// The state of one parse: where includes are resolved and what has been read so far.
struct Parser<'a> {
    ctx: &'a CheckContext,
    config: &'a mut SshdConfig,
}

impl Parser<'_> {
    /// Parses one file. `block` is the Match block in force where the file starts (that of
    /// the including line), and `conditional` says whether that context is a conditional
    /// Match, in which case a `Match all` in this file does not make its lines global.
    fn file(
        &mut self,
        path: &Path,
        text: &str,
        depth: usize,
        mut block: Option<usize>,
        conditional: bool,
    ) -> Result<(), ConfigError> {
        self.config.files.push(path.to_path_buf());
        for (number, line) in numbered_lines(text) {
            let Some((keyword, args)) =
                split_line(line).map_err(|reason| ConfigError::at(path, number, reason))?
            else {
                continue;
            };
            let at = Location {
                path: path.to_path_buf(),
                line: number,
            };
            let lower = keyword.to_ascii_lowercase();
            match lower.as_str() {
                "include" => {
                    let inner_conditional =
                        conditional || block.is_some_and(|b| !self.config.blocks[b].applies_to_all);
                    self.include(&at, &args, depth, block, inner_conditional)?;
                }
                "match" => {
                    block = Some(self.match_line(&at, args, conditional)?);
                }
                _ => {
                    let keyword = ALIASES
                        .iter()
                        .find(|(old, _)| *old == lower)
                        .map_or(lower, |(_, new)| (*new).to_owned());
                    if args.is_empty() {
                        return Err(ConfigError::at(
                            path,
                            number,
                            format!("{} has no value", display_name(&keyword)),
                        ));
                    }
                    if block.is_some() && GLOBAL_ONLY.contains(&keyword.as_str()) {
                        return Err(ConfigError::at(
                            path,
                            number,
                            format!(
                                "{} is not allowed inside a Match block; sshd refuses to start \
                                 with it there, so move it above the first Match line",
                                display_name(&keyword)
                            ),
                        ));
                    }
                    self.config.directives.push(Directive {
                        keyword,
                        args,
                        at,
                        block,
                    });
                }
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        at: &Location,
        patterns: &[String],
        depth: usize,
        block: Option<usize>,
        conditional: bool,
    ) -> Result<(), ConfigError> {
        if patterns.is_empty() {
            return Err(ConfigError::at(&at.path, at.line, "Include names no file"));
        }
        if depth + 1 > MAX_INCLUDE_DEPTH {
            return Err(ConfigError::at(
                &at.path,
                at.line,
                format!(
                    "Include nests more than {MAX_INCLUDE_DEPTH} files deep (sshd's limit); \
                     does a file include itself?"
                ),
            ));
        }
        for pattern in patterns {
            let pattern = if pattern.starts_with('/') || pattern.starts_with('~') {
                self.ctx.path(pattern)
            } else {
                self.ctx.path(SSH_DIR).join(pattern)
            };
            for path in glob(&pattern)? {
                // A file that vanished between listing and reading has nothing to say.
                if let Some(text) = read_text(&path)? {
                    self.file(&path, &text, depth + 1, block, conditional)?;
                }
            }
        }
        Ok(())
    }

    /// Records a `Match` line and returns its block's index.
    fn match_line(
        &mut self,
        at: &Location,
        criteria: Vec<String>,
        conditional: bool,
    ) -> Result<usize, ConfigError> {
        let all = criteria
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case("all"));
        let problem = if criteria.is_empty() {
            Some(
                "Match has no criteria; use e.g. `Match User alice`, or `Match all` to end a block",
            )
        } else if all && criteria.len() > 1 {
            Some("`Match all` cannot be combined with other criteria")
        } else if !all && !criteria.len().is_multiple_of(2) {
            Some("Match criteria come in pairs, such as `User alice` or `Address 10.0.0.0/8`")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(ConfigError::at(&at.path, at.line, problem));
        }
        self.config.blocks.push(MatchBlock {
            criteria: criteria.join(" "),
            at: at.clone(),
            applies_to_all: all && !conditional,
        });
        Ok(self.config.blocks.len() - 1)
    }
}

/// Splits one line into its keyword and arguments like sshd does (`strdelim` for the
/// keyword, `argv_split` for the rest); `Ok(None)` for blank lines and comments.
pub fn split_line(line: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let line = line.trim_start_matches([' ', '\t']);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line.find([' ', '\t', '=', '"']).unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    if keyword.is_empty() {
        return Err("the line has a value but no keyword before it".into());
    }
    if rest.starts_with('"') {
        return Err(format!("unexpected quote right after `{keyword}`"));
    }
    // One `=` may separate the keyword from its value, with blanks on either side.
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Ok(Some((keyword.to_owned(), split_args(rest)?)))
}

/// OpenSSH's `argv_split` with comments ending the line: blanks separate arguments, quotes
/// group them, a backslash escapes a quote, a backslash or (outside quotes) a blank.
fn split_args(s: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|&c| c == ' ' || c == '\t').is_some() {}
        match chars.peek() {
            None | Some('#') => return Ok(args),
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.peek() {
                    Some(&next @ ('\'' | '"' | '\\')) => {
                        arg.push(next);
                        chars.next();
                    }
                    Some(' ') if quote.is_none() => {
                        arg.push(' ');
                        chars.next();
                    }
                    _ => arg.push('\\'),
                },
                (' ' | '\t', None) => break,
                ('"' | '\'', None) => quote = Some(c),
                (c, Some(q)) if c == q => quote = None,
                (c, _) => arg.push(c),
            }
        }
        if quote.is_some() {
            return Err("a quote is opened and never closed".into());
        }
        args.push(arg);
    }
}

/// glob(3) over real paths: wildcards in any component, hidden names only matched by a
/// pattern that starts with a dot, results sorted; a pattern that matches nothing gives none.
fn glob(pattern: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let has_wildcard = |s: &str| s.contains(['*', '?', '[']);
    let mut candidates = vec![PathBuf::new()];
    let components: Vec<_> = pattern.components().collect();
    for (i, component) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let name = component.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        for dir in candidates {
            if !has_wildcard(&name) {
                next.push(dir.join(component));
                continue;
            }
            let listed = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                &dir
            };
            if !listed.is_dir() {
                continue;
            }
            let dotted = name.starts_with('.');
            let entries = sorted_entries(listed, |entry| {
                (dotted || !entry.starts_with('.')) && wildcard_match(&name, entry)
            })?;
            next.extend(entries.into_iter().filter(|p| last || p.is_dir()));
        }
        candidates = next;
    }
    candidates.retain(|p| p.symlink_metadata().is_ok());
    candidates.sort();
    Ok(candidates)
}

/// Where a value comes from, for messages that tell people what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(Location),
    /// Reported by `sshd -T`, the given program.
    Sshd(PathBuf),
    /// Not set anywhere: OpenSSH's built-in default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(at) => write!(f, "set at {at}"),
            Origin::Sshd(program) => write!(f, "as `{} -T` reports it", program.display()),
            Origin::Default => f.write_str("OpenSSH's default, as no file sets it"),
        }
    }
}

/// The value of one keyword where it applies, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub keyword: &'static str,
    pub args: Vec<String>,
    pub origin: Origin,
}

impl Value {
    /// An error about this value, pointing at the line that set it.
    pub fn invalid(&self, reason: impl Into<String>) -> ConfigError {
        match &self.origin {
            Origin::File(at) => ConfigError::at(&at.path, at.line, reason),
            Origin::Sshd(program) => ConfigError::file(program, reason),
            Origin::Default => ConfigError::file(Path::new("OpenSSH's defaults"), reason),
        }
    }

    /// The only argument, for keywords that take one.
    pub fn single(&self) -> Result<&str, ConfigError> {
        match self.args.as_slice() {
            [one] => Ok(one),
            [] => Err(self.invalid(format!("{} has no value", display_name(self.keyword)))),
            _ => Err(self.invalid(format!(
                "{} takes one value, and this line gives {}",
                display_name(self.keyword),
                self.args.len()
            ))),
        }
    }

    /// A yes/no keyword, case-insensitive as sshd reads it.
    pub fn yes_no(&self) -> Result<bool, ConfigError> {
        let text = self.single()?;
        if text.eq_ignore_ascii_case("yes") {
            Ok(true)
        } else if text.eq_ignore_ascii_case("no") {
            Ok(false)
        } else {
            Err(self.invalid(format!(
                "{} must be yes or no, not `{text}`",
                display_name(self.keyword)
            )))
        }
    }

    /// A duration in sshd's `convtime` format (`300`, `5m`, `1h30m`), in seconds.
    pub fn seconds(&self) -> Result<u64, ConfigError> {
        let text = self.single()?;
        convtime(text).ok_or_else(|| {
            self.invalid(format!(
                "{} must be a time such as 300 or 5m, not `{text}`",
                display_name(self.keyword)
            ))
        })
    }

    /// A plain non-negative integer.
    pub fn integer(&self) -> Result<u64, ConfigError> {
        let text = self.single()?;
        text.parse().map_err(|_| {
            self.invalid(format!(
                "{} must be a whole number, not `{text}`",
                display_name(self.keyword)
            ))
        })
    }

    /// The `, `-separated items of a one-argument list.
    pub fn list(&self) -> Result<Vec<String>, ConfigError> {
        Ok(self.single()?.split(',').map(str::to_owned).collect())
    }

    /// Describes the value for a message: `PermitRootLogin no (set at …)`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({})",
            display_name(self.keyword),
            self.args.join(" "),
            self.origin
        )
    }
}

/// sshd's `convtime`: digits, each group optionally followed by s, m, h, d or w (any case).
pub fn convtime(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        let amount: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = match rest.chars().next().map(|c| c.to_ascii_lowercase()) {
            None => 1,
            Some(c) => {
                let unit = match c {
                    's' => 1,
                    'm' => 60,
                    'h' => 3600,
                    'd' => 86_400,
                    'w' => 604_800,
                    _ => return None,
                };
                // The unit letters are ASCII, so one byte.
                rest = &rest[1..];
                unit
            }
        };
        total = total.checked_add(amount.checked_mul(unit)?)?;
    }
    Some(total)
}

/// Applies OpenSSH's list modifiers to an algorithm list against the default list: `+` adds
/// at the end, `-` removes what matches the patterns, `^` puts in front; else the list as is.
fn resolve_algorithms(list: &str, default: &str) -> String {
    let default: Vec<&str> = default.split(',').collect();
    let items = |s: &str| -> Vec<String> { s.split(',').map(str::to_owned).collect() };
    let merged: Vec<String> = if let Some(added) = list.strip_prefix('+') {
        let mut all: Vec<String> = default.iter().map(|s| (*s).to_owned()).collect();
        all.extend(items(added));
        all
    } else if let Some(removed) = list.strip_prefix('-') {
        let patterns = items(removed);
        default
            .iter()
            .filter(|name| !patterns.iter().any(|p| wildcard_match(p, name)))
            .map(|s| (*s).to_owned())
            .collect()
    } else if let Some(first) = list.strip_prefix('^') {
        let mut all = items(first);
        all.extend(default.iter().map(|s| (*s).to_owned()));
        all
    } else {
        return list.to_owned();
    };
    let mut seen = Vec::new();
    for name in merged {
        if !name.is_empty() && !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen.join(",")
}

/// The sshd program of the running system, if installed.
pub fn find_sshd() -> Option<PathBuf> {
    SSHD_PROGRAMS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Runs `program -T -f config` (no shell) and parses what it prints.
pub fn run_sshd_t(program: &Path, config: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let output = Command::new(program)
        .arg("-T")
        .arg("-f")
        .arg(config)
        .output()
        .map_err(|err| format!("could not run it: {err}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        let first: String = first.chars().take(200).collect();
        let status = output.status.code().map_or_else(
            || "on a signal".to_owned(),
            |code| format!("with status {code}"),
        );
        return Err(format!("it exited {status}: {first}"));
    }
    Ok(parse_sshd_t(&String::from_utf8_lossy(&output.stdout)))
}

/// Parses `sshd -T` output: one lowercase keyword and its arguments per line. Keywords that
/// repeat (HostKey, ListenAddress) keep their first line, which is all the checks need.
pub fn parse_sshd_t(output: &str) -> BTreeMap<String, Vec<String>> {
    let mut values = BTreeMap::new();
    for line in output.lines() {
        let mut words = line.split_whitespace();
        if let Some(keyword) = words.next() {
            values
                .entry(keyword.to_ascii_lowercase())
                .or_insert_with(|| words.map(str::to_owned).collect());
        }
    }
    values
}

/// sshd's configuration as the checks judge it: the files, and on a live system what sshd
/// itself reports.
#[derive(Debug, Clone)]
pub struct Sshd {
    /// The main configuration file, under the root.
    pub config_path: PathBuf,
    pub config: SshdConfig,
    /// `sshd -T` output and the program that printed it, when it could be used.
    effective: Option<(PathBuf, BTreeMap<String, Vec<String>>)>,
    /// Why the files were judged on a live system instead of `sshd -T`, for messages.
    pub note: Option<String>,
}

/// Where a value applies: to every connection, or to those matching one Match block.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    sshd: &'a Sshd,
    block: Option<usize>,
}

impl Sshd {
    /// Reads sshd's configuration under `ctx`; `Ok(None)` when there is no `sshd_config`.
    /// On the live system with sshd installed, `sshd -T` provides the global values.
    pub fn load(ctx: &CheckContext) -> Result<Option<Sshd>, ConfigError> {
        let config_path = ctx.path(SSHD_CONFIG);
        let Some(config) = SshdConfig::load(ctx, &config_path)? else {
            return Ok(None);
        };
        let (effective, note) = if !ctx.is_live() {
            (None, None)
        } else if let Some(program) = find_sshd() {
            match run_sshd_t(&program, &config_path) {
                Ok(values) => (Some((program, values)), None),
                Err(err) => (
                    None,
                    Some(format!(
                        "`{} -T` could not report the effective settings ({err}), so this is \
                         judged from the files and OpenSSH's defaults",
                        program.display()
                    )),
                ),
            }
        } else {
            (
                None,
                Some("sshd is not installed, so this is judged from the files".to_owned()),
            )
        };
        Ok(Some(Sshd {
            config_path,
            config,
            effective,
            note,
        }))
    }

    /// Judges only the files (and defaults), as for an image.
    pub fn from_config(config_path: PathBuf, config: SshdConfig) -> Sshd {
        Sshd {
            config_path,
            config,
            effective: None,
            note: None,
        }
    }

    /// Uses `sshd -T` output from `program` for the global values.
    pub fn with_effective(
        mut self,
        program: PathBuf,
        values: BTreeMap<String, Vec<String>>,
    ) -> Sshd {
        self.effective = Some((program, values));
        self
    }

    /// The values every connection gets.
    pub fn global(&self) -> Scope<'_> {
        Scope {
            sshd: self,
            block: None,
        }
    }

    /// The global scope, then one scope per conditional Match block that sets any of
    /// `keywords`, so a check can judge each place a setting can differ.
    pub fn scopes(&self, keywords: &[&str]) -> Vec<Scope<'_>> {
        let mut scopes = vec![self.global()];
        scopes.extend(
            self.config
                .blocks_setting(keywords)
                .into_iter()
                .map(|b| Scope {
                    sshd: self,
                    block: Some(b),
                }),
        );
        scopes
    }
}

impl<'a> Scope<'a> {
    /// The Match block this scope stands for, `None` for the global one.
    pub fn match_block(&self) -> Option<&'a MatchBlock> {
        self.block.and_then(|b| self.sshd.config.blocks.get(b))
    }

    /// The value of `keyword` (lowercase, as in [`DEFAULTS`]) in this scope: from the Match
    /// block, else from `sshd -T`, else the files, else OpenSSH's default. Algorithm lists
    /// come with their `+`, `-` and `^` modifiers applied.
    pub fn get(&self, keyword: &'static str) -> Value {
        let config = &self.sshd.config;
        let from_file = |(args, at): (&[String], &Location)| Value {
            keyword,
            args: args.to_vec(),
            origin: Origin::File(at.clone()),
        };
        let matched = self
            .block
            .and_then(|b| config.in_match(b, keyword))
            .map(from_file);
        let effective = || {
            self.sshd.effective.as_ref().and_then(|(program, values)| {
                values.get(keyword).map(|args| Value {
                    keyword,
                    args: args.clone(),
                    origin: Origin::Sshd(program.clone()),
                })
            })
        };
        let default = DEFAULTS
            .iter()
            .find(|(k, _)| *k == keyword)
            .map_or("", |(_, v)| *v);
        let mut value = matched
            .or_else(effective)
            .or_else(|| config.global(keyword).map(from_file))
            .unwrap_or_else(|| Value {
                keyword,
                args: vec![default.to_owned()],
                origin: Origin::Default,
            });
        if ALGORITHM_LISTS.contains(&keyword)
            && let [list] = value.args.as_mut_slice()
        {
            *list = resolve_algorithms(list, default);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Option<(String, Vec<String>)> {
        split_line(line).unwrap()
    }

    #[test]
    fn lines_split_like_sshd() {
        assert_eq!(words("  # comment"), None);
        assert_eq!(words(""), None);
        assert_eq!(
            words("PermitRootLogin no # trailing"),
            Some(("PermitRootLogin".into(), vec!["no".into()]))
        );
        assert_eq!(
            words("PermitRootLogin=no"),
            Some(("PermitRootLogin".into(), vec!["no".into()]))
        );
        assert_eq!(
            words("\tBanner = \"/etc/my banner\" x#y"),
            Some(("Banner".into(), vec!["/etc/my banner".into(), "x#y".into()]))
        );
        assert_eq!(
            words(r#"AcceptEnv a\ b 'c d' \"e"#),
            Some((
                "AcceptEnv".into(),
                vec!["a b".into(), "c d".into(), "\"e".into()]
            ))
        );
        assert_eq!(words("UsePAM"), Some(("UsePAM".into(), vec![])));
        assert!(split_line("Banner \"unterminated").is_err());
        assert!(split_line("= yes").is_err());
    }

    #[test]
    fn convtime_reads_sshd_durations() {
        assert_eq!(convtime("300"), Some(300));
        assert_eq!(convtime("5m"), Some(300));
        assert_eq!(convtime("1h30M"), Some(5400));
        assert_eq!(convtime("1w"), Some(604_800));
        assert_eq!(convtime("10s5"), Some(15));
        for bad in ["", "m", "5x", "-1", "99999999999999999999"] {
            assert_eq!(convtime(bad), None, "{bad}");
        }
    }

    #[test]
    fn algorithm_modifiers_follow_openssh() {
        let default = "a,b-cbc,c";
        assert_eq!(resolve_algorithms("x,y", default), "x,y");
        assert_eq!(resolve_algorithms("+x,a", default), "a,b-cbc,c,x");
        assert_eq!(resolve_algorithms("-*-cbc", default), "a,c");
        assert_eq!(resolve_algorithms("^c,x", default), "c,x,a,b-cbc");
    }

    #[test]
    fn sshd_t_output_keeps_the_first_line_of_repeated_keywords() {
        let values = parse_sshd_t("port 22\nhostkey /a\nhostkey /b\nPermitRootLogin no\n\n");
        assert_eq!(values["hostkey"], ["/a"]);
        assert_eq!(values["permitrootlogin"], ["no"]);
        assert_eq!(values.len(), 3);
    }
}
