//! How results reach people and scripts: text or JSON on stdout, notes and errors on stderr.

use std::io::Write;

use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// Where and how a command reports.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
    quiet: bool,
    color: clap::ColorChoice,
}

impl Output {
    /// Colour as `--color auto` decides; see [`Output::with_color`].
    pub fn new(json: bool, quiet: bool) -> Output {
        Output {
            json,
            quiet,
            color: clap::ColorChoice::Auto,
        }
    }

    /// Colours the words [`paint`] marks: always, never, or (auto) on a terminal that
    /// supports it unless `NO_COLOR` is set (anstream's rules, as clap's own help follows).
    /// Never with `--json`.
    pub fn with_color(self, color: clap::ColorChoice) -> Output {
        Output { color, ..self }
    }

    /// Whether text written to `stream` gets colour: the one place that decides.
    fn colors<S: anstream::stream::RawStream>(&self, stream: &S) -> bool {
        !self.json
            && match self.color {
                clap::ColorChoice::Always => true,
                clap::ColorChoice::Never => false,
                clap::ColorChoice::Auto => !matches!(
                    anstream::AutoStream::choice(stream),
                    anstream::ColorChoice::Never
                ),
            }
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
            terminal_text(&human(), self.colors(&std::io::stdout()))
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", text.trim_end());
    }

    /// A note for a person (what was created, what to do next); silent with `--quiet` and
    /// with `--json`, so stdout and stderr stay clean for scripts.
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.json {
            let text = terminal_text(text, self.colors(&std::io::stderr()));
            let _ = writeln!(std::io::stderr(), "{text}");
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

/// The app's notices are notes.
impl phiguard_app::Notices for Output {
    fn note(&self, text: &str) {
        Output::note(self, text);
    }
}

/// Human text for a terminal: its lines as they are, and within each line every control
/// character escaped, so no text from outside that a command forgot to escape can move the
/// cursor, clear the screen or retitle the window. Fields from outside are escaped where they
/// are put into the text too ([`phiguard_core::escape_controls`]), which also keeps a newline
/// in them from starting a line of its own; escaping again here changes nothing in them.
pub fn terminal_lines(text: &str) -> String {
    terminal_text(text, false)
}

/// How a word reads at a glance: good (met, pass), caution (partial, warn) or bad (not met,
/// fail, error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Caution,
    Bad,
}

impl Tone {
    const ALL: [Tone; 3] = [Tone::Good, Tone::Caution, Tone::Bad];

    /// The tone of a finding's status; none for not applicable.
    pub fn of(status: phiguard_core::Status) -> Option<Tone> {
        use phiguard_core::Status;
        match status {
            Status::Pass => Some(Tone::Good),
            Status::Warn => Some(Tone::Caution),
            Status::Fail | Status::Error => Some(Tone::Bad),
            Status::NotApplicable => None,
        }
    }

    fn style(self) -> anstyle::Style {
        let color = match self {
            Tone::Good => anstyle::AnsiColor::Green,
            Tone::Caution => anstyle::AnsiColor::Yellow,
            Tone::Bad => anstyle::AnsiColor::Red,
        };
        anstyle::Style::new().fg_color(Some(color.into()))
    }

    /// The character after [`PAINT`] that names this tone.
    fn mark(self) -> char {
        match self {
            Tone::Good => 'g',
            Tone::Caution => 'c',
            Tone::Bad => 'b',
        }
    }
}

/// Marks the start and the end of painted text. Both are control characters, which every
/// field from outside has escaped ([`phiguard_core::Escaped`]) before it reaches the text, so
/// only [`paint`] puts them there; [`terminal_text`] turns them into colour or removes them.
const PAINT: char = '\u{0e}';
const PAINT_END: char = '\u{0f}';

/// `text` shown in `tone` where the output is coloured, and as it is elsewhere. Pad before
/// painting (`paint(tone, format!("{word:<8}"))`): the marks have no width on a terminal.
pub fn paint(tone: Tone, text: impl std::fmt::Display) -> String {
    format!("{PAINT}{}{text}{PAINT_END}", tone.mark())
}

/// A finding's status word, painted in its tone.
pub fn status_word(status: phiguard_core::Status, width: usize) -> String {
    let word = format!("{:<width$}", status.to_string());
    match Tone::of(status) {
        Some(tone) => paint(tone, word),
        None => word,
    }
}

/// [`terminal_lines`], with what [`paint`] marked coloured when `color` is set and plain
/// otherwise.
fn terminal_text(text: &str, color: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find([PAINT, PAINT_END, '\n']) {
        out.push_str(&phiguard_core::escape_controls(&rest[..at]));
        let mut chars = rest[at..].chars();
        match chars.next() {
            Some('\n') => out.push('\n'),
            Some(PAINT_END) => {
                if color {
                    out.push_str(&anstyle::Reset.render().to_string());
                }
            }
            _ => {
                let tone = chars
                    .clone()
                    .next()
                    .and_then(|c| Tone::ALL.into_iter().find(|tone| tone.mark() == c));
                if let Some(tone) = tone {
                    chars.next();
                    if color {
                        out.push_str(&tone.style().render().to_string());
                    }
                }
            }
        }
        rest = chars.as_str();
    }
    out.push_str(&phiguard_core::escape_controls(rest));
    out
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
    /// or `--json`. `total` may be 0 while it is unknown (set it later with `set_length`).
    pub fn progress(&self, total: u64, what: &'static str) -> indicatif::ProgressBar {
        if self.quiet || self.json {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {progress}") {
            bar.set_style(style.with_key(
                "progress",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&progress_text(
                        state.pos(),
                        state.len(),
                        state.per_sec(),
                        state.eta(),
                    ));
                },
            ));
        }
        bar.set_message(what);
        bar
    }
}

/// A time for people: UTC, to the second (`2026-11-28 10:00:00 UTC`). JSON keeps the exact
/// time.
pub fn time(time: jiff::Timestamp) -> String {
    phiguard_app::time_for_people(time)
}

/// The app's progress as bars on stderr (see [`Output::progress`]), one per piece of work.
#[derive(Debug)]
pub struct Bars {
    out: Output,
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl Output {
    /// Progress reported by the app, drawn as [`Output::progress`] draws it.
    pub fn bars(&self) -> std::sync::Arc<dyn phiguard_app::Progress> {
        std::sync::Arc::new(Bars {
            out: *self,
            bar: std::sync::Mutex::new(None),
        })
    }
}

impl Bars {
    fn with_bar(&self, f: impl FnOnce(&indicatif::ProgressBar)) {
        if let Ok(bar) = self.bar.lock()
            && let Some(bar) = bar.as_ref()
        {
            f(bar);
        }
    }
}

impl phiguard_app::Progress for Bars {
    fn begin(&self, what: &'static str, total: u64) {
        if let Ok(mut bar) = self.bar.lock() {
            *bar = Some(self.out.progress(total, what));
        }
    }

    fn working_on(&self, item: &str) {
        self.with_bar(|bar| bar.set_message(item.to_owned()));
    }

    fn advance(&self, done: u64, total: u64) {
        self.with_bar(|bar| {
            bar.set_length(total);
            bar.set_position(done);
        });
    }

    fn end(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(bar) = bar.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// Width of a progress bar, in characters.
const PROGRESS_WIDTH: usize = 40;

/// What a progress bar shows after its message: with a total, a bar, the counts, the rate and
/// the time left; without one, how much is done so far; nothing before anything is done (no
/// `0/0 (0/s, 0s left)`).
fn progress_text(done: u64, total: Option<u64>, per_sec: f64, left: std::time::Duration) -> String {
    match total.filter(|total| *total > 0) {
        Some(total) => {
            let filled =
                usize::try_from(done.min(total).saturating_mul(PROGRESS_WIDTH as u64) / total)
                    .unwrap_or(PROGRESS_WIDTH);
            format!(
                "[{}{}] {done}/{total} ({per_sec:.0}/s, {} left)",
                "#".repeat(filled),
                "-".repeat(PROGRESS_WIDTH - filled),
                indicatif::HumanDuration(left)
            )
        }
        None if done > 0 => done.to_string(),
        None => String::new(),
    }
}

/// Rows under a header, each column as wide as its widest cell, two spaces apart; the last
/// column is not padded.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|cell| cell.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i + 1 < N {
                text.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        text.trim_end().to_owned()
    };
    let mut lines = vec![line(header)];
    for row in rows {
        lines.push(line(row.each_ref().map(String::as_str)));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiguard_core::{Escaped, Status};

    #[test]
    fn a_progress_bar_without_a_total_shows_no_empty_counts() {
        let second = std::time::Duration::from_secs(1);
        assert_eq!(
            progress_text(0, Some(0), 0.0, std::time::Duration::ZERO),
            ""
        );
        assert_eq!(progress_text(0, None, 0.0, std::time::Duration::ZERO), "");
        assert_eq!(progress_text(1234, Some(0), 300.0, second), "1234");
        let half = progress_text(50, Some(100), 25.0, second * 2);
        assert_eq!(
            half,
            format!(
                "[{}{}] 50/100 (25/s, 2 seconds left)",
                "#".repeat(20),
                "-".repeat(20)
            )
        );
    }

    #[test]
    fn painted_words_are_coloured_only_when_asked_and_plain_otherwise() {
        let text = format!(
            "{} 3 checks\n{}",
            status_word(Status::Fail, 6),
            paint(Tone::Good, "met")
        );
        assert_eq!(terminal_text(&text, false), "fail   3 checks\nmet");
        assert_eq!(
            terminal_text(&text, true),
            "\x1b[31mfail  \x1b[0m 3 checks\n\x1b[32mmet\x1b[0m"
        );
        assert_eq!(status_word(Status::NotApplicable, 3), "not applicable");
    }

    #[test]
    fn text_from_outside_cannot_paint_or_move_the_cursor() {
        // Escaped at insertion: its marks are shown, not obeyed.
        let hostile = "\u{0e}gfake pass\u{0f}\x1b[2J";
        let text = format!("{}: {}", paint(Tone::Bad, "fail"), Escaped(hostile));
        assert_eq!(
            terminal_text(&text, true),
            "\x1b[31mfail\x1b[0m: \\x0egfake pass\\x0f\\x1b[2J"
        );
        // Forgotten there, its escape sequence is still escaped and its mark paints nothing
        // but the palette's colours.
        let forgotten = format!("x {hostile}");
        assert_eq!(terminal_text(&forgotten, false), "x fake pass\\x1b[2J");
    }
}
