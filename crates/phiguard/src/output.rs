//! How results reach people and scripts: text or JSON on stdout, notes and errors on stderr.

use std::io::Write;

use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// Where and how a command reports.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
    quiet: bool,
}

impl Output {
    pub fn new(json: bool, quiet: bool) -> Output {
        Output { json, quiet }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Whether a person is there to answer a question: a terminal on stdin and stderr, and
    /// neither `--json` nor `--quiet` (scripts never get asked).
    pub fn is_interactive(&self) -> bool {
        use std::io::IsTerminal;
        !self.json
            && !self.quiet
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
    }

    /// Prints the command's result: `value` as JSON with `--json`, else the text `human`
    /// builds, with any control character in it escaped (see [`terminal_lines`]). Writing to
    /// a closed pipe (`phiguard status | head -1`) is not an error.
    pub fn result<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        let text = if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => text,
                Err(e) => {
                    format!("{{\"error\": {{\"message\": \"cannot encode the result: {e}\"}}}}")
                }
            }
        } else {
            terminal_lines(&human())
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", text.trim_end());
    }

    /// A note for a person (what was created, what to do next); silent with `--quiet` and
    /// with `--json`, so stdout and stderr stay clean for scripts.
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.json {
            let _ = writeln!(std::io::stderr(), "{}", terminal_lines(text));
        }
    }

    /// Reports an error with its chain of causes on stderr, and as JSON on stdout with
    /// `--json` so a script reading stdout still gets a parseable answer.
    pub fn error(&self, error: &anyhow::Error) {
        let causes = causes(error);
        let mut text = format!("error: {error}");
        for cause in &causes {
            text.push_str(&format!("\n  cause: {cause}"));
        }
        let _ = writeln!(std::io::stderr(), "{}", terminal_lines(&text));
        if self.json {
            let value = serde_json::json!({
                "error": { "message": error.to_string(), "causes": causes }
            });
            let _ = writeln!(std::io::stdout(), "{value:#}");
        }
    }
}

/// Human text for a terminal: its lines as they are, and within each line every control
/// character escaped, so no text from outside that a command forgot to escape can move the
/// cursor, clear the screen or retitle the window. Fields from outside are escaped where they
/// are put into the text too ([`phiguard_core::escape_controls`]), which also keeps a newline
/// in them from starting a line of its own; escaping again here changes nothing in them.
pub fn terminal_lines(text: &str) -> String {
    text.split('\n')
        .map(phiguard_core::escape_controls)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The causes below the top message, skipping any whose text an earlier one already says
/// (wrappers often repeat their source).
fn causes(error: &anyhow::Error) -> Vec<String> {
    let mut seen = error.to_string();
    let mut causes = Vec::new();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !seen.contains(&text) {
            seen.push('\n');
            seen.push_str(&text);
            causes.push(text);
        }
    }
    causes
}

/// Logs go to stderr: warnings by default, more with `-v`, errors only with `--quiet`.
/// `PHIGUARD_LOG` (e.g. `phiguard_store=debug`) overrides.
pub fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter =
        EnvFilter::try_from_env("PHIGUARD_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

impl Output {
    /// A progress bar on stderr for long work: drawn only on a terminal, never with `--quiet`
    /// or `--json`.
    pub fn progress(&self, total: u64, what: &'static str) -> indicatif::ProgressBar {
        if self.quiet || self.json {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} {bar:40} {pos}/{len} ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        bar.set_message(what);
        bar
    }
}
