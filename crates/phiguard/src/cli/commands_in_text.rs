//! No command that does not exist: every `phiguard …` command line that phiguard's texts tell
//! someone to run is parsed by the real command-line definition (`cli::command()`, then
//! `Cli::from_arg_matches`), so a remediation, an error hint, a `--help` example, the catalog or
//! the docs cannot name a subcommand, a flag or a value the CLI does not accept.
//!
//! # Where the texts come from
//!
//! - **checks**: the rationale and remediation of every host check, every register check and the
//!   assessment's own checks (`ASSESSMENT_CHECKS`; a test fails when `sources.rs` gains a
//!   `*_meta()` that is not listed there).
//! - **code**: every `*.rs` under `crates/*/src` and `bench/*/src`, for texts built in code
//!   (format strings, error hints, notes) and doc comments. Test modules are skipped, their
//!   strings are fixtures: `#[cfg(test)] mod … {` up to the `}` at its indentation, and the files
//!   of a `#[cfg(test)] mod name;` (this file among them).
//! - **catalog**: `catalog/*.yaml` and `catalog/README.md`.
//! - **help**: every about, long about, before and after help of every command and subcommand
//!   of `cli::command()`, and the help of every argument.
//! - **docs**: `README.md`, `docs/**/*.md`, `bench/**/*.md`.
//!
//! # What counts as a command line
//!
//! - In prose (Markdown outside code blocks, YAML, help text, check texts, comments and strings in
//!   code): a code span, `` `…` ``, or an HTML `<code>…</code>` (entities undone). A span may wrap
//!   onto the next line but not across a blank line. In Rust code, a string continued with `\` at
//!   the end of a line is joined first, and the escapes `\"`, `\\`, `{{` and `}}` are undone.
//! - In Rust code, also a line of a string literal that begins with `phiguard` and one of its
//!   commands (`phiguard ledger verify`, not `phiguard checks what…` or `phiguard v1 kek`),
//!   right after the opening `"` or a `\n` escape (spaces allowed), up to the next `\n` or the
//!   closing `"`: the shell lines of texts built in code, like the report's commands for an
//!   auditor.
//! - In Markdown code blocks fenced as shell (`sh`, `bash`, `shell`, `console`, `zsh`,
//!   `shell-session`), every line; in other fenced blocks (formats, tables, file trees), only a
//!   line that begins with a phiguard command. If any line of a block starts with `$ `, only those
//!   lines count (the rest is output). In `--help`, every line of an `Examples:` paragraph. A line
//!   ending in `\` continues on the next.
//! - Within such a text, a command starts where a shell command starts: at the beginning (after a
//!   `$ ` prompt, `NAME=value` assignments, `sudo` or `env`), after `|`, `||`, `&&`, `;` or `&`,
//!   and inside `$(…)`. It ends at the next of those operators or an unquoted `#` comment;
//!   redirections (`> FILE`, `2>&1`) are dropped. The program must be `phiguard` (or a path to it
//!   such as `./phiguard` or `target/release/phiguard`); `cargo run [OPTIONS] -- ARGS` is
//!   `phiguard ARGS` unless `-p`/`--package`/`--bin` names another package. Anything else
//!   (`xargs -0 phiguard …`, `phiguard_store`, `phiguard.toml`, `crates/phiguard`,
//!   `phiguard-bench-fim`) is not a command line of phiguard's CLI.
//! - A short list of commands written after the first, as in "`phiguard fim init`, `fim check`"
//!   or "`phiguard ledger show` and `tail`": a span separated from a command's span only by a
//!   comma, `and`, `or` or `/`, whose first word names a subcommand of one of that command's
//!   parents, is its sibling and must parse under one of them (`phiguard fim fim check`,
//!   `phiguard fim check`, …). A span naming no such subcommand (`apt-get upgrade`) is another
//!   program's.
//!
//! # Words
//!
//! Words are split as a POSIX shell splits them: `'…'` is literal, `"…"` undoes `\"`, `\\`, `\$`
//! and `` \` ``, a backslash outside quotes escapes the next character. Then:
//!
//! - **Placeholders** stand for any value the argument accepts: UPPERCASE words (`ID`, `FILE`,
//!   `DATE`, `KEY=VALUE`, `SYSTEM.YYYY-MM-DD`, `FILE.csv`), `<word>` and Rust format arguments
//!   (`{}`, `{kind}`, `{id:?}`). Every other value must pass the argument's own parser (a date
//!   must be a date, `--fail-on` one of its values). Where a subcommand is expected, a placeholder
//!   stands for one of the subcommands there (`phiguard register {kind} list`).
//! - **Optional parts** in unquoted `[…]` are checked with and without (`[--size N]`), `A|B`
//!   inside one word (`add|list|update`, `--keep|--revoke`, `KEY|FILE`) and `|` between words
//!   inside brackets are alternatives, each checked. Every combination must parse.
//! - **Elisions** `...` and `…` (as words) are dropped; a line with one may leave out required
//!   arguments.
//! - **Naming a command** (only subcommand names, as in "run `phiguard keys rewrap` on it") may
//!   leave out its required arguments and subcommand; anything more is a command line to run and
//!   must be complete. `--help` and `--version` are fine anywhere.
//!
//! A line that fails is reported with where it was found (file:line, check id or the command
//! whose help holds it), the arguments tried and clap's error; the test lists every failure at
//! once.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, Command, FromArgMatches};
use phiguard_core::CheckMeta;

use super::{Cli, command};

/// The function that describes a check, by its name.
type MetaFn = (&'static str, fn() -> CheckMeta);

/// The checks of the assessment itself (`crates/assess/src/sources.rs`), by the name of the
/// function that describes each.
const ASSESSMENT_CHECKS: &[MetaFn] = &[
    ("fim_meta", phiguard_assess::sources::fim_meta),
    ("fim_ephi_meta", phiguard_assess::sources::fim_ephi_meta),
    ("ledger_meta", phiguard_assess::sources::ledger_meta),
    ("delegation_meta", phiguard_assess::sources::delegation_meta),
    (
        "inheritance_meta",
        phiguard_assess::sources::inheritance_meta,
    ),
];

/// More combinations of optional parts and alternatives than this in one line is a mistake in
/// the text (or in the expansion), not something to check one by one.
const MAX_VARIANTS: usize = 256;

// ---------------------------------------------------------------------------------------------
// Words

/// One token of a shell text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A word, or its alternatives (`add|list|update`).
    Word(Vec<String>),
    /// Unquoted `[`: an optional part begins.
    Open,
    /// Unquoted `]` closing an optional part.
    Close,
    /// `|` between words inside brackets: the next alternative of the optional part.
    Bar,
    /// `...` or `…`: arguments left out.
    Ellipsis,
    /// `|`, `||`, `&&`, `;` or `&`: the command ends.
    Operator,
    /// `>`, `>>`, `<` (then a target word), or `2>&1` (no target).
    Redirect { target: bool },
}

fn word(text: &str) -> Tok {
    Tok::Word(vec![text.to_owned()])
}

/// Splits a text into shell words and operators (see the module documentation).
fn shell_words(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut split = Splitter::default();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => split.end_word(),
            '\'' => {
                split.in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    split.word.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                split.in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`'))
                    {
                        i += 1;
                    }
                    split.word.push(chars[i]);
                    i += 1;
                }
            }
            '\\' => {
                if let Some(next) = next {
                    if next != '\n' {
                        split.word.push(next);
                        split.in_word = true;
                    }
                    i += 1;
                }
            }
            '#' if !split.in_word => break,
            '$' if next == Some('(') => {
                split.in_word = true;
                let mut depth = 0usize;
                while i < chars.len() {
                    split.word.push(chars[i]);
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            '[' if !split.in_word => {
                split.toks.push(Tok::Open);
                split.depth += 1;
            }
            ']' if split.depth > 0 => {
                split.end_word();
                split.toks.push(Tok::Close);
                split.depth -= 1;
            }
            '|' => {
                let inside_word = split.in_word
                    && next.is_some_and(|n| !n.is_whitespace() && n != '|' && n != ']');
                if inside_word {
                    let alternative = std::mem::take(&mut split.word);
                    split.alternatives.push(alternative);
                } else {
                    split.end_word();
                    if split.depth > 0 {
                        split.toks.push(Tok::Bar);
                    } else {
                        if next == Some('|') {
                            i += 1;
                        }
                        split.toks.push(Tok::Operator);
                    }
                }
            }
            '&' => {
                split.end_word();
                if next == Some('&') {
                    i += 1;
                }
                split.toks.push(Tok::Operator);
            }
            ';' => {
                split.end_word();
                split.toks.push(Tok::Operator);
            }
            '<' if !split.in_word && angle_placeholder_len(&chars[i..]).is_some() => {
                let len = angle_placeholder_len(&chars[i..]).unwrap_or(1);
                split.word.extend(&chars[i..i + len]);
                split.in_word = true;
                i += len - 1;
            }
            '>' | '<' => {
                // A file descriptor number before the operator belongs to it (`2>`).
                if split.in_word
                    && split.alternatives.is_empty()
                    && split.word.chars().all(|d| d.is_ascii_digit())
                {
                    split.word.clear();
                    split.in_word = false;
                } else {
                    split.end_word();
                }
                if next == Some('>') {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&'&') {
                    i += 1;
                    while chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                        i += 1;
                    }
                    split.toks.push(Tok::Redirect { target: false });
                } else {
                    split.toks.push(Tok::Redirect { target: true });
                }
            }
            _ => {
                split.word.push(c);
                split.in_word = true;
            }
        }
        i += 1;
    }
    split.end_word();
    split.toks
}

#[derive(Debug, Default)]
struct Splitter {
    toks: Vec<Tok>,
    alternatives: Vec<String>,
    word: String,
    in_word: bool,
    depth: usize,
}

impl Splitter {
    fn end_word(&mut self) {
        if self.in_word {
            self.alternatives.push(std::mem::take(&mut self.word));
            let alternatives = std::mem::take(&mut self.alternatives);
            let is_ellipsis = matches!(alternatives.as_slice(), [w] if w == "..." || w == "…");
            self.toks.push(if is_ellipsis {
                Tok::Ellipsis
            } else {
                Tok::Word(alternatives)
            });
        }
        self.in_word = false;
    }
}

/// The length of `<name>` at the start of `chars`, a placeholder rather than a redirection.
fn angle_placeholder_len(chars: &[char]) -> Option<usize> {
    let end = chars.iter().position(|c| *c == '>')?;
    let name = &chars[1..end];
    let valid = name.first().is_some_and(char::is_ascii_alphabetic)
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    valid.then_some(end + 1)
}

/// Whether a word stands for a value rather than being one (see the module documentation).
fn is_placeholder(word: &str) -> bool {
    is_format_argument(word) || is_angle_placeholder(word) || is_uppercase_placeholder(word)
}

fn is_format_argument(word: &str) -> bool {
    word.match_indices('{').any(|(start, _)| {
        let rest = &word[start + 1..];
        rest.find('}').is_some_and(|end| {
            let inside = &rest[..end];
            let name = inside.split(':').next().unwrap_or_default();
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

fn is_angle_placeholder(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    word.starts_with('<') && angle_placeholder_len(&chars) == Some(chars.len())
}

fn is_uppercase_placeholder(word: &str) -> bool {
    // A lowercase file extension may follow: `FILE.csv`.
    let stem = match word.rsplit_once('.') {
        Some((stem, extension))
            if !extension.is_empty()
                && extension
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) =>
        {
            stem
        }
        _ => word,
    };
    stem.starts_with(|c: char| c.is_ascii_uppercase())
        && stem
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_.=-".contains(c))
}

// ---------------------------------------------------------------------------------------------
// Command lines in a text

/// The arguments of every phiguard command in a shell text, nested `$(…)` included.
fn commands_in(text: &str) -> Vec<Vec<Tok>> {
    let text = text.trim();
    let text = text.strip_prefix("$ ").unwrap_or(text);
    let mut found: Vec<Vec<Tok>> = shell_words(text)
        .split(|tok| *tok == Tok::Operator)
        .filter_map(phiguard_arguments)
        .collect();
    for inner in substitutions(text) {
        found.extend(commands_in(inner));
    }
    found
}

/// The texts of the top-level `$(…)` in a text.
fn substitutions(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        let inner = &rest[start + 2..];
        let mut depth = 1usize;
        let end = inner.char_indices().find_map(|(at, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(at)
        });
        let Some(end) = end else { break };
        found.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    found
}

/// The arguments of one simple command if its program is phiguard.
fn phiguard_arguments(command: &[Tok]) -> Option<Vec<Tok>> {
    let mut words = Vec::new();
    let mut tokens = command.iter();
    while let Some(tok) = tokens.next() {
        match tok {
            Tok::Redirect { target: true } => {
                tokens.next();
            }
            Tok::Redirect { target: false } => {}
            other => words.push(other.clone()),
        }
    }
    let first_word = |tok: &Tok| match tok {
        Tok::Word(alternatives) => alternatives.first().cloned(),
        _ => None,
    };
    let program = words.iter().position(|tok| {
        first_word(tok).is_none_or(|w| !(is_assignment(&w) || w == "sudo" || w == "env"))
    })?;
    let name = first_word(&words[program])?;
    let installed_path = ["/", "./", "../", "~/", "target/"]
        .iter()
        .any(|start| name.starts_with(start))
        && name.ends_with("/phiguard");
    if name == "phiguard" || installed_path {
        return Some(words[program + 1..].to_vec());
    }
    if name == "cargo" && words.get(program + 1) == Some(&word("run")) {
        let mut rest = words[program + 2..].iter();
        while let Some(tok) = rest.next() {
            let Some(w) = first_word(tok) else { continue };
            if w == "--" {
                return Some(rest.cloned().collect());
            }
            let package = match w.as_str() {
                "-p" | "--package" | "--bin" => rest.next().and_then(first_word),
                _ => ["--package=", "--bin="]
                    .iter()
                    .find_map(|p| w.strip_prefix(p).map(str::to_owned)),
            };
            if package.is_some_and(|p| p != "phiguard") {
                return None;
            }
        }
        return Some(Vec::new());
    }
    None
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The code spans of a text: their byte range (backticks included) and their content. A span
/// closes with a run of as many backticks as opened it, and never crosses a blank line.
fn code_spans(text: &str) -> Vec<(Range<usize>, &str)> {
    let bytes = text.as_bytes();
    let run_at = |at: usize| bytes[at..].iter().take_while(|b| **b == b'`').count();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find('`') {
        let start = at + offset;
        let run = run_at(start);
        let content_start = start + run;
        let mut search = content_start;
        let mut close = None;
        while let Some(offset) = text[search..].find('`') {
            let candidate = search + offset;
            let candidate_run = run_at(candidate);
            if candidate_run == run {
                close = Some(candidate);
                break;
            }
            search = candidate + candidate_run;
        }
        match close {
            Some(close) if !has_blank_line(&text[content_start..close]) => {
                spans.push((start..close + run, text[content_start..close].trim()));
                at = close + run;
            }
            _ => at = content_start,
        }
    }
    spans
}

/// The `<code>…</code>` elements of HTML built in code or written in Markdown, with their
/// content's entities undone.
fn html_code_spans(text: &str) -> Vec<(Range<usize>, String)> {
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find("<code>") {
        let start = at + offset;
        let content_start = start + "<code>".len();
        let Some(length) = text[content_start..].find("</code>") else {
            break;
        };
        let content = &text[content_start..content_start + length];
        let end = content_start + length + "</code>".len();
        if !has_blank_line(content) {
            let content = content
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            spans.push((start..end, content.trim().to_owned()));
        }
        at = end;
    }
    spans
}

/// Lines of Rust string literals (not byte strings) that begin with `phiguard ` (after the
/// opening `"` or a `\n` escape, and spaces): the shell lines of texts built in code, such as a
/// report's block of commands. Each ends at the next `\n` escape (unless a shell `\` continues
/// it) or the closing `"`.
fn rust_string_lines(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("phiguard ") {
        let before = code[..at].trim_end_matches(' ');
        let opens_string = before.ends_with('"')
            && !before.ends_with("\\\"")
            && !before.ends_with("b\"")
            && !before.ends_with("br\"");
        if !(opens_string || before.ends_with("\\n")) {
            continue;
        }
        let rest = &code.as_bytes()[at..];
        let mut end = rest.len();
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'\\' if rest.get(i + 1) == Some(&b'n') && !rest[..i].ends_with(b"\\\\") => {
                    end = i;
                    break;
                }
                b'\\' => i += 1,
                b'"' => {
                    end = i;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let line = unescape_rust(&code[at..at + end]).replace("\\n", "\n");
        found.push((at, line));
    }
    found
}

/// Whether phiguard's arguments start (after global options) with the name of one of its
/// commands: `phiguard --json fim check` does, `phiguard checks what can be checked` does not.
fn starts_with_a_command(args: &[Tok]) -> bool {
    static ROOT: LazyLock<Command> = LazyLock::new(|| {
        let mut root = command();
        root.build();
        root
    });
    let mut words = args.iter().filter_map(|tok| match tok {
        Tok::Word(alternatives) => alternatives.first(),
        _ => None,
    });
    while let Some(word) = words.next() {
        if !word.starts_with('-') {
            return ROOT.find_subcommand(word).is_some();
        }
        if option_takes_value(&ROOT, &ROOT, word) {
            words.next();
        }
    }
    false
}

fn has_blank_line(text: &str) -> bool {
    text.split('\n')
        .skip(1)
        .collect::<Vec<_>>()
        .split_last()
        .is_some_and(|(_, middle)| middle.iter().any(|line| line.trim().is_empty()))
}

/// Text between two spans that makes the second a sibling of the first command: "`a`, `b`",
/// "`a` and `b`", "`a`, or `b`", "`a` / `b`".
fn is_list_separator(between: &str) -> bool {
    let rest = between.trim().trim_start_matches(',').trim();
    matches!(rest, "" | "and" | "or" | "/")
}

fn unescape_rust(text: &str) -> String {
    text.replace("\\\"", "\"")
        .replace("\\\\", "\\")
        .replace("{{", "{")
        .replace("}}", "}")
}

// ---------------------------------------------------------------------------------------------
// Texts, as units to extract from

/// A piece of text read one way: prose (code spans) or a shell line.
#[derive(Debug)]
struct Unit {
    text: String,
    /// Line number of the unit's first line (1-based; 0 when the text has no lines to name).
    line: usize,
    /// Byte offsets in `text` where a following physical line starts.
    breaks: Vec<usize>,
    kind: UnitKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Prose,
    /// Prose in Rust code: string escapes are undone in its spans.
    RustCode,
    Shell,
    /// A line of a code block in another or no language: shell only if it begins with a
    /// phiguard command.
    ShellIfCommand,
}

impl Unit {
    fn whole(text: &str, kind: UnitKind) -> Unit {
        Unit {
            text: text.to_owned(),
            line: 0,
            breaks: Vec::new(),
            kind,
        }
    }

    fn line_at(&self, offset: usize) -> usize {
        self.line + self.breaks.iter().filter(|b| **b <= offset).count()
    }
}

/// Lines joined into one unit, each line's start recorded.
#[derive(Debug)]
struct Joiner {
    unit: Unit,
}

impl Joiner {
    fn new(line: usize, text: &str, kind: UnitKind) -> Joiner {
        Joiner {
            unit: Unit {
                text: text.to_owned(),
                line,
                breaks: Vec::new(),
                kind,
            },
        }
    }

    fn push(&mut self, separator: &str, text: &str) {
        self.unit.text.push_str(separator);
        self.unit.breaks.push(self.unit.text.len());
        self.unit.text.push_str(text);
    }
}

/// Shell lines, each joined with the lines a trailing `\` continues it onto.
fn shell_units(lines: &[(usize, &str)]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (number, first) = lines[i];
        let mut joined = Joiner::new(number, first.trim(), UnitKind::Shell);
        while joined.unit.text.ends_with('\\') && i + 1 < lines.len() {
            joined.unit.text.pop();
            i += 1;
            joined.push(" ", lines[i].1.trim());
        }
        units.push(joined.unit);
        i += 1;
    }
    units
}

/// Markdown (and YAML): paragraphs as prose, fenced code blocks as shell lines.
fn markdown_units(text: &str) -> Vec<Unit> {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let mut units = Vec::new();
    let mut paragraph: Option<Joiner> = None;
    let mut i = 0;
    while i < lines.len() {
        let (number, line) = lines[i];
        let trimmed = line.trim_start();
        let fence = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f));
        if let Some(fence) = fence {
            units.extend(paragraph.take().map(|p| p.unit));
            let language = trimmed.trim_start_matches(fence).trim();
            let kind = if SHELL_LANGUAGES.contains(&language) {
                UnitKind::Shell
            } else {
                UnitKind::ShellIfCommand
            };
            let block_start = i + 1;
            i = block_start;
            while i < lines.len() && !lines[i].1.trim_start().starts_with(fence) {
                i += 1;
            }
            units.extend(code_block_units(&lines[block_start..i], kind));
        } else if trimmed.is_empty() {
            units.extend(paragraph.take().map(|p| p.unit));
        } else {
            match &mut paragraph {
                Some(joined) => joined.push("\n", line),
                None => paragraph = Some(Joiner::new(number, line, UnitKind::Prose)),
            }
        }
        i += 1;
    }
    units.extend(paragraph.map(|p| p.unit));
    units
}

/// The info strings of fenced code blocks that hold shell commands.
const SHELL_LANGUAGES: &[&str] = &["sh", "bash", "shell", "console", "zsh", "shell-session"];

/// The lines of a fenced code block; with `$ ` prompts, only the prompted lines.
fn code_block_units(lines: &[(usize, &str)], kind: UnitKind) -> Vec<Unit> {
    let mut units = shell_units(lines);
    for unit in &mut units {
        unit.kind = kind;
    }
    if units.iter().any(|u| u.text.starts_with("$ ")) {
        units
            .into_iter()
            .filter(|u| u.text.starts_with("$ "))
            .collect()
    } else {
        units
    }
}

/// Rust source: each run of comment lines as prose, each code line (joined where a string
/// continues with `\`) as prose in code; test modules left out.
fn rust_units(text: &str) -> Vec<Unit> {
    let lines: Vec<&str> = text.lines().collect();
    let mut units = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if trimmed == "#[cfg(test)]" {
            let mut item = i + 1;
            while item < lines.len() && lines[item].trim_start().starts_with("#[") {
                item += 1;
            }
            if let Some(module) = lines
                .get(item)
                .filter(|l| l.trim_start().starts_with("mod "))
            {
                i = if module.trim_end().ends_with('{') {
                    let indent = &module[..module.len() - module.trim_start().len()];
                    let close = format!("{indent}}}");
                    let end = lines[item + 1..]
                        .iter()
                        .position(|l| l.trim_end() == close)
                        .map_or(lines.len(), |at| item + 1 + at);
                    end + 1
                } else {
                    item + 1
                };
                continue;
            }
        }
        if trimmed.starts_with("//") {
            let mut joined = Joiner::new(i + 1, comment_text(trimmed), UnitKind::Prose);
            while i + 1 < lines.len() && lines[i + 1].trim_start().starts_with("//") {
                i += 1;
                joined.push("\n", comment_text(lines[i].trim_start()));
            }
            units.push(joined.unit);
        } else {
            let mut joined = Joiner::new(i + 1, lines[i], UnitKind::RustCode);
            while joined.unit.text.ends_with('\\') && i + 1 < lines.len() {
                joined.unit.text.pop();
                i += 1;
                joined.push("", lines[i].trim_start());
            }
            units.push(joined.unit);
        }
        i += 1;
    }
    units
}

/// The paths of the modules a Rust file declares `#[cfg(test)] mod name;`: `name.rs` and the
/// directory `name/`, beside a `lib.rs`, `main.rs` or `mod.rs`, else under the file's own directory.
fn test_module_paths(path: &Path, text: &str) -> Vec<PathBuf> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let parent = path.parent().unwrap_or(Path::new(""));
    let dir = match path.file_stem().and_then(OsStr::to_str) {
        Some("lib" | "main" | "mod") | None => parent.to_owned(),
        Some(stem) => parent.join(stem),
    };
    let mut paths = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line != "#[cfg(test)]" {
            continue;
        }
        let item = lines[i + 1..].iter().find(|l| !l.starts_with("#["));
        let name = item
            .and_then(|l| l.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = name {
            paths.push(dir.join(format!("{name}.rs")));
            paths.push(dir.join(name));
        }
    }
    paths
}

fn comment_text(line: &str) -> &str {
    let text = ["///", "//!", "//"]
        .into_iter()
        .find_map(|prefix| line.strip_prefix(prefix))
        .unwrap_or(line);
    text.strip_prefix(' ').unwrap_or(text)
}

/// Help text: the whole text as prose, and each line of an `Examples:` paragraph as a shell line.
fn help_units(text: &str) -> Vec<Unit> {
    let mut units = vec![Unit::whole(text, UnitKind::Prose)];
    let lines: Vec<(usize, &str)> = text.lines().map(|l| (0, l)).collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].1.trim() == "Examples:" {
            let start = i + 1;
            i = start;
            while i < lines.len() && !lines[i].1.trim().is_empty() {
                i += 1;
            }
            units.extend(shell_units(&lines[start..i]));
        }
        i += 1;
    }
    units
}

// ---------------------------------------------------------------------------------------------
// Found command lines

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Checks,
    Code,
    Catalog,
    Help,
    Docs,
}

#[derive(Debug)]
struct Found {
    source: Source,
    /// Where: file:line, a check, or the command whose help holds it.
    at: String,
    /// The text as written.
    written: String,
    line: Line,
}

#[derive(Debug, Clone)]
enum Line {
    /// phiguard's arguments.
    Command(Vec<Tok>),
    /// A sibling of the command before it in a list ("`phiguard fim init`, `fim check`").
    Sibling { of: Vec<Tok>, words: Vec<Tok> },
}

/// Every command line in a unit, each reported at `at(line)`.
fn extract(unit: &Unit, source: Source, at: &dyn Fn(usize) -> String, out: &mut Vec<Found>) {
    let found = |line: usize, written: &str, command: Line| Found {
        source,
        at: at(line),
        written: written.to_owned(),
        line: command,
    };
    if unit.kind == UnitKind::ShellIfCommand {
        let text = unit.text.trim();
        let text = text.strip_prefix("$ ").unwrap_or(text);
        let words = shell_words(text);
        let first = words
            .split(|tok| *tok == Tok::Operator)
            .next()
            .unwrap_or_default();
        if phiguard_arguments(first).is_none() {
            return;
        }
    }
    if matches!(unit.kind, UnitKind::Shell | UnitKind::ShellIfCommand) {
        for command in commands_in(&unit.text) {
            out.push(found(unit.line, &unit.text, Line::Command(command)));
        }
        return;
    }
    if unit.kind == UnitKind::RustCode {
        for (offset, text) in rust_string_lines(&unit.text) {
            let commands = commands_in(&text);
            if !commands
                .first()
                .is_some_and(|args| starts_with_a_command(args))
            {
                continue;
            }
            for command in commands {
                out.push(found(unit.line_at(offset), &text, Line::Command(command)));
            }
        }
    }
    let mut spans: Vec<(Range<usize>, String)> = code_spans(&unit.text)
        .into_iter()
        .map(|(range, content)| {
            let content = if unit.kind == UnitKind::RustCode {
                unescape_rust(content)
            } else {
                content.to_owned()
            };
            (range, content)
        })
        .chain(html_code_spans(&unit.text))
        .collect();
    spans.sort_by_key(|(range, _)| range.start);
    let mut previous: Option<(Vec<Tok>, usize)> = None;
    for (range, content) in spans {
        let line = unit.line_at(range.start);
        let commands = commands_in(&content);
        if let Some(last) = commands.last() {
            previous = Some((last.clone(), range.end));
            for command in commands {
                out.push(found(line, &content, Line::Command(command)));
            }
            continue;
        }
        let sibling = previous.take().filter(|(_, end)| {
            is_list_separator(&unit.text[*end..range.start]) && starts_like_subcommand(&content)
        });
        if let Some((of, _)) = sibling {
            let words = shell_words(&content);
            out.push(found(
                line,
                &content,
                Line::Sibling {
                    of: of.clone(),
                    words,
                },
            ));
            previous = Some((of, range.end));
        }
    }
}

/// A span that could be a subcommand written without `phiguard` and its parents: a simple
/// command whose first word is lowercase, like a subcommand's name.
fn starts_like_subcommand(content: &str) -> bool {
    let toks = shell_words(content);
    let simple = toks
        .iter()
        .all(|t| !matches!(t, Tok::Operator | Tok::Redirect { .. }));
    let looks_like_a_name = |w: &String| {
        w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let first_is_name = match toks.first() {
        Some(Tok::Word(alternatives)) => alternatives.iter().all(looks_like_a_name),
        _ => false,
    };
    simple && first_is_name
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files under `dir` (recursively) whose name ends with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// `below` in every member directory of `group`: `crates/*/src`, `bench/*/src`.
fn member_dirs(group: &str, below: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace().join(group))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join(below))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn relative(path: &Path) -> String {
    let root = workspace().canonicalize().unwrap_or_else(|_| workspace());
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    path.strip_prefix(&root)
        .unwrap_or(&path)
        .display()
        .to_string()
}

fn extract_file(path: &Path, source: Source, units: Vec<Unit>, out: &mut Vec<Found>) {
    let name = relative(path);
    for unit in units {
        extract(&unit, source, &|line| format!("{name}:{line}"), out);
    }
}

/// The rationale and remediation of every check: host, register, incident, risk and the
/// assessment's own.
fn check_metas() -> Vec<CheckMeta> {
    let host = phiguard_host::registry(&phiguard_host::Settings::default())
        .expect("the host checks register");
    let register = phiguard_register::checks::registry(
        Arc::new(phiguard_register::Snapshot::default()),
        &Default::default(),
    )
    .expect("the register checks register");
    // The incident checks run with the register's.
    let mut incident = phiguard_core::Registry::new();
    phiguard_incident::checks::add_to(
        &mut incident,
        Arc::new(phiguard_register::Snapshot::default()),
        Arc::new(phiguard_breach::Rules::builtin().expect("the breach rules load")),
    )
    .expect("the incident checks register");
    // The risk checks judge the picture of a day; their texts are the same whatever it holds.
    let mut risk = phiguard_core::Registry::new();
    let snapshot = phiguard_register::Snapshot::default();
    let picture = phiguard_risk::analysis::Picture::build(phiguard_risk::analysis::Inputs {
        discovered: Vec::new(),
        snapshot: &snapshot,
        observed: Vec::new(),
        in_transit_checks: Vec::new(),
        documents: BTreeMap::new(),
        today: jiff::civil::date(2026, 1, 1),
    });
    phiguard_risk::checks::add_to(&mut risk, Arc::new(picture), Default::default())
        .expect("the risk checks register");
    host.metas()
        .chain(register.metas())
        .chain(incident.metas())
        .chain(risk.metas())
        .cloned()
        .chain(ASSESSMENT_CHECKS.iter().map(|(_, meta)| meta()))
        .collect()
}

/// Every command line in every text phiguard ships.
fn everything() -> Vec<Found> {
    let mut out = Vec::new();
    for meta in check_metas() {
        for (field, text) in [
            ("rationale", &meta.rationale),
            ("remediation", &meta.remediation),
        ] {
            let at = |_| format!("check {} ({field})", meta.id);
            extract(
                &Unit::whole(text, UnitKind::Prose),
                Source::Checks,
                &at,
                &mut out,
            );
        }
    }

    let code: Vec<PathBuf> = member_dirs("crates", "src")
        .into_iter()
        .chain(member_dirs("bench", "src"))
        .flat_map(|dir| files(&dir, ".rs"))
        .collect();
    let tests: Vec<PathBuf> = code
        .iter()
        .flat_map(|path| test_module_paths(path, &read(path)))
        .collect();
    for path in &code {
        if tests.iter().any(|test| path.starts_with(test)) {
            continue;
        }
        extract_file(path, Source::Code, rust_units(&read(path)), &mut out);
    }

    let catalog = workspace().join("catalog");
    for path in files(&catalog, ".yaml")
        .into_iter()
        .chain([catalog.join("README.md")])
    {
        extract_file(
            &path,
            Source::Catalog,
            markdown_units(&read(&path)),
            &mut out,
        );
    }

    help_texts(&command(), "phiguard", &mut out);

    let docs = [workspace().join("README.md")]
        .into_iter()
        .chain(files(&workspace().join("docs"), ".md"))
        .chain(files(&workspace().join("bench"), ".md"));
    for path in docs {
        extract_file(&path, Source::Docs, markdown_units(&read(&path)), &mut out);
    }
    out
}

/// The help of `cmd` and of every subcommand and argument under it.
fn help_texts(cmd: &Command, path: &str, out: &mut Vec<Found>) {
    let texts = [
        cmd.get_about(),
        cmd.get_long_about(),
        cmd.get_before_help(),
        cmd.get_before_long_help(),
        cmd.get_after_help(),
        cmd.get_after_long_help(),
    ]
    .into_iter()
    .flatten()
    .map(|text| ("".to_owned(), text.to_string()))
    .chain(cmd.get_arguments().flat_map(|arg| {
        [arg.get_help(), arg.get_long_help()]
            .into_iter()
            .flatten()
            .map(|text| (format!(" (argument {})", arg.get_id()), text.to_string()))
    }));
    for (what, text) in texts {
        let at = |_| format!("`{path} --help`{what}");
        for unit in help_units(&text) {
            extract(&unit, Source::Help, &at, out);
        }
    }
    for sub in cmd.get_subcommands() {
        help_texts(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

// ---------------------------------------------------------------------------------------------
// Checking against the CLI

/// One concrete argument list a command line stands for.
#[derive(Debug, Clone)]
struct Variant {
    args: Vec<String>,
    /// An ellipsis left arguments out.
    elided: bool,
}

#[derive(Debug)]
enum Node {
    Word(Vec<String>),
    Optional(Vec<Vec<Node>>),
    Ellipsis,
}

/// Every combination of the optional parts and alternatives of a command line.
fn expand(toks: &[Tok]) -> Result<Vec<Variant>, String> {
    let mut at = 0;
    let mut alternatives = parse_sequence(toks, &mut at, false)?;
    let sequence = alternatives.pop().unwrap_or_default();
    expand_sequence(&sequence)
}

/// Parses nodes up to the end (or, in brackets, the closing `]`), split at `|` into alternatives.
fn parse_sequence(
    toks: &[Tok],
    at: &mut usize,
    in_brackets: bool,
) -> Result<Vec<Vec<Node>>, String> {
    let mut alternatives = vec![Vec::new()];
    while let Some(tok) = toks.get(*at) {
        *at += 1;
        let current = alternatives.last_mut().ok_or("no alternative")?;
        match tok {
            Tok::Word(words) => current.push(Node::Word(words.clone())),
            Tok::Ellipsis => current.push(Node::Ellipsis),
            Tok::Open => current.push(Node::Optional(parse_sequence(toks, at, true)?)),
            Tok::Close if in_brackets => return Ok(alternatives),
            Tok::Close => return Err("a `]` closes nothing".into()),
            Tok::Bar => alternatives.push(Vec::new()),
            Tok::Operator | Tok::Redirect { .. } => {
                return Err(format!("unexpected shell operator {tok:?}"));
            }
        }
    }
    if in_brackets {
        return Err("a `[` is never closed".into());
    }
    Ok(alternatives)
}

fn expand_sequence(nodes: &[Node]) -> Result<Vec<Variant>, String> {
    let mut variants = vec![Variant {
        args: Vec::new(),
        elided: false,
    }];
    for node in nodes {
        let options: Vec<Variant> = match node {
            Node::Word(words) => words
                .iter()
                .map(|w| Variant {
                    args: vec![w.clone()],
                    elided: false,
                })
                .collect(),
            Node::Ellipsis => vec![Variant {
                args: Vec::new(),
                elided: true,
            }],
            Node::Optional(alternatives) => {
                let mut options = vec![Variant {
                    args: Vec::new(),
                    elided: false,
                }];
                for alternative in alternatives {
                    options.extend(expand_sequence(alternative)?);
                }
                options
            }
        };
        variants = variants
            .iter()
            .flat_map(|v| {
                options.iter().map(move |o| Variant {
                    args: v.args.iter().chain(&o.args).cloned().collect(),
                    elided: v.elided || o.elided,
                })
            })
            .collect();
        if variants.len() > MAX_VARIANTS {
            return Err(format!(
                "more than {MAX_VARIANTS} combinations of optional parts and alternatives"
            ));
        }
    }
    Ok(variants)
}

/// A concrete argument list after subcommand placeholders were replaced.
#[derive(Debug, Clone)]
struct Concrete {
    args: Vec<String>,
    /// Every word is a subcommand name: the line only names a command.
    names_a_command: bool,
    /// The subcommand names from the start.
    path: Vec<String>,
}

/// The argument lists a variant stands for: a placeholder where a subcommand is expected becomes
/// each subcommand there.
fn fan_out(root: &Command, args: &[String]) -> Vec<Concrete> {
    let mut out = Vec::new();
    walk(root, root, args.to_vec(), 0, Vec::new(), true, &mut out);
    out
}

fn walk(
    root: &Command,
    cmd: &Command,
    args: Vec<String>,
    at: usize,
    path: Vec<String>,
    only_names: bool,
    out: &mut Vec<Concrete>,
) {
    let Some(word) = args.get(at).cloned() else {
        out.push(Concrete {
            args,
            names_a_command: only_names,
            path,
        });
        return;
    };
    if word.starts_with('-') && word != "-" {
        let next = if word == "--" || !option_takes_value(root, cmd, &word) {
            at + 1
        } else {
            at + 2
        };
        return walk(root, cmd, args, next, path, false, out);
    }
    if !cmd.has_subcommands() {
        out.push(Concrete {
            args,
            names_a_command: false,
            path,
        });
        return;
    }
    if let Some(sub) = cmd.find_subcommand(&word) {
        let mut path = path;
        path.push(sub.get_name().to_owned());
        return walk(root, sub, args, at + 1, path, only_names, out);
    }
    if is_placeholder(&word) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut args = args.clone();
            args[at] = sub.get_name().to_owned();
            let mut path = path.clone();
            path.push(sub.get_name().to_owned());
            walk(root, sub, args, at + 1, path, only_names, out);
        }
        return;
    }
    out.push(Concrete {
        args,
        names_a_command: false,
        path,
    });
}

/// Whether an option word (`--home`, `-n`) takes the next word as its value.
fn option_takes_value(root: &Command, cmd: &Command, word: &str) -> bool {
    let find = |matches: &dyn Fn(&Arg) -> bool| {
        cmd.get_arguments()
            .chain(root.get_arguments())
            .find(|a| matches(a))
            .is_some_and(|a| {
                a.get_action().takes_values() && a.get_num_args().is_none_or(|n| n.min_values() > 0)
            })
    };
    if let Some(long) = word.strip_prefix("--") {
        !long.contains('=')
            && find(&|a| {
                a.get_long() == Some(long)
                    || a.get_all_aliases().is_some_and(|all| all.contains(&long))
            })
    } else {
        let shorts: Vec<char> = word.chars().skip(1).collect();
        shorts.len() == 1 && find(&|a| a.get_short() == Some(shorts[0]))
    }
}

/// A value parser that takes a placeholder for any value and checks every other value with the
/// argument's own parser.
#[derive(Clone)]
struct PlaceholderOr(clap::builder::ValueParser);

impl TypedValueParser for PlaceholderOr {
    type Value = OsString;

    fn parse_ref(
        &self,
        _cmd: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<OsString, clap::Error> {
        if value.to_str().is_some_and(is_placeholder) {
            return Ok(value.to_owned());
        }
        let probe = Command::new("value").no_binary_name(true).arg(
            Arg::new("value")
                .value_parser(self.0.clone())
                .allow_hyphen_values(true)
                .required(true),
        );
        match probe.try_get_matches_from([value]) {
            Ok(_) => Ok(value.to_owned()),
            Err(error) => Err(clap::Error::raw(
                ErrorKind::InvalidValue,
                format!(
                    "invalid value '{}' for '{}': {}\n",
                    value.to_string_lossy(),
                    arg.map(ToString::to_string).unwrap_or_default(),
                    clap_message(&error)
                ),
            )),
        }
    }
}

/// The CLI with every value parser wrapped in [`PlaceholderOr`].
fn accepting_placeholders(cmd: Command) -> Command {
    cmd.mut_args(|arg| {
        if arg.get_action().takes_values() {
            let real = arg.get_value_parser().clone();
            arg.value_parser(PlaceholderOr(real))
        } else {
            arg
        }
    })
    .mut_subcommands(accepting_placeholders)
}

/// clap's error without the usage and help lines.
fn clap_message(error: &clap::Error) -> String {
    error
        .render()
        .to_string()
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The real CLI, and the same accepting placeholders for values.
struct Checker {
    real: Command,
    placeholders: Command,
}

impl Checker {
    fn new() -> Checker {
        let mut real = command();
        real.build();
        let mut placeholders = accepting_placeholders(command());
        placeholders.build();
        Checker { real, placeholders }
    }

    /// Ok with how many argument lists were parsed, or what is wrong.
    fn check(&mut self, line: &Line) -> Result<usize, String> {
        match line {
            Line::Command(toks) => self.check_command(toks),
            Line::Sibling { of, words } => {
                let first = expand(of)?
                    .into_iter()
                    .next()
                    .ok_or("the command before it is empty")?;
                let path = fan_out(&self.real, &first.args)
                    .into_iter()
                    .next()
                    .map(|c| c.path)
                    .unwrap_or_default();
                // The command's parents, nearest first: for `phiguard fim init`, `phiguard fim`
                // and `phiguard`.
                let parents: Vec<&[String]> = (0..path.len().max(1))
                    .rev()
                    .map(|depth| &path[..depth])
                    .collect();
                // Only a span that starts with a subcommand of one of them is a sibling (`fim
                // check`); another program (`apt-get upgrade`) is not phiguard's.
                let first_word = match words.first() {
                    Some(Tok::Word(alternatives)) => alternatives.clone(),
                    _ => Vec::new(),
                };
                let names_a_subcommand = parents.iter().any(|parent| {
                    self.command_at(parent).is_some_and(|cmd| {
                        first_word.iter().any(|w| cmd.find_subcommand(w).is_some())
                    })
                });
                if !names_a_subcommand {
                    return Ok(0);
                }
                let mut errors = Vec::new();
                for parent in parents {
                    let toks: Vec<Tok> = parent
                        .iter()
                        .map(|w| word(w))
                        .chain(words.iter().cloned())
                        .collect();
                    match self.check_command(&toks) {
                        Ok(count) => return Ok(count),
                        Err(error) => errors.push(error),
                    }
                }
                Err(errors.join("; "))
            }
        }
    }

    /// The command at a path of subcommand names.
    fn command_at(&self, path: &[String]) -> Option<&Command> {
        path.iter()
            .try_fold(&self.real, |cmd, name| cmd.find_subcommand(name))
    }

    /// Every variant must parse (for a subcommand placeholder, with some subcommand).
    fn check_command(&mut self, toks: &[Tok]) -> Result<usize, String> {
        let variants = expand(toks)?;
        let mut parsed = 0;
        for variant in &variants {
            let mut first_error = None;
            let parses = fan_out(&self.real, &variant.args).iter().any(|line| {
                let parsed = self.parse(line, variant.elided);
                if let Err(error) = parsed {
                    first_error.get_or_insert(error);
                    return false;
                }
                true
            });
            if !parses {
                return Err(first_error.unwrap_or_else(|| "nothing to parse".into()));
            }
            parsed += 1;
        }
        Ok(parsed)
    }

    fn parse(&mut self, line: &Concrete, elided: bool) -> Result<(), String> {
        let has_placeholder = line.args.iter().any(|a| is_placeholder(a));
        let cli = if has_placeholder {
            &mut self.placeholders
        } else {
            &mut self.real
        };
        let argv = std::iter::once("phiguard").chain(line.args.iter().map(String::as_str));
        let shown = || format!("`phiguard {}`", line.args.join(" "));
        match cli.try_get_matches_from_mut(argv) {
            Ok(matches) if !has_placeholder => Cli::from_arg_matches(&matches)
                .map(drop)
                .map_err(|e| format!("{}: {}", shown(), clap_message(&e))),
            Ok(_) => Ok(()),
            Err(error) => match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Ok(()),
                ErrorKind::MissingRequiredArgument
                | ErrorKind::MissingSubcommand
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                    if line.names_a_command || elided =>
                {
                    Ok(())
                }
                _ => Err(format!("{}: {}", shown(), clap_message(&error))),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------

fn check_text(checker: &mut Checker, text: &str) -> Result<usize, String> {
    let mut found = Vec::new();
    extract(
        &Unit::whole(text, UnitKind::Shell),
        Source::Docs,
        &|_| String::new(),
        &mut found,
    );
    if found.is_empty() {
        return Err(format!("no command line in {text:?}"));
    }
    found
        .iter()
        .map(|f| checker.check(&f.line))
        .sum::<Result<usize, String>>()
}

#[test]
fn every_command_line_in_phiguards_texts_is_one_the_cli_accepts() {
    let found = everything();
    let mut checker = Checker::new();
    let mut counts: BTreeMap<Source, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &found {
        let count = counts.entry(f.source).or_default();
        match checker.check(&f.line) {
            // Not phiguard's after all (a sibling span naming another program).
            Ok(0) => {}
            Ok(parsed) => {
                count.0 += 1;
                count.1 += parsed;
            }
            Err(error) => {
                count.0 += 1;
                failures.push(format!("{}: `{}`\n    {error}", f.at, f.written));
            }
        }
    }
    for (source, (lines, parsed)) in &counts {
        println!("{source:?}: {lines} command lines, {parsed} argument lists parsed");
    }
    // A broken extractor must not pass by finding nothing.
    for source in [
        Source::Checks,
        Source::Code,
        Source::Catalog,
        Source::Help,
        Source::Docs,
    ] {
        assert!(
            counts.get(&source).is_some_and(|c| c.0 > 0),
            "no command line found in {source:?}: the extraction is broken"
        );
    }
    assert!(
        failures.is_empty(),
        "{} command lines in phiguard's texts are not ones the CLI accepts:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_assessment_check_is_scanned() {
    let sources = read(&workspace().join("crates/assess/src/sources.rs"));
    let mut defined: Vec<&str> = sources
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split_once('(').map(|(name, _)| name))
        .filter(|name| name.ends_with("_meta"))
        .collect();
    defined.sort_unstable();
    let mut scanned: Vec<&str> = ASSESSMENT_CHECKS.iter().map(|(name, _)| *name).collect();
    scanned.sort_unstable();
    assert_eq!(
        defined, scanned,
        "crates/assess/src/sources.rs describes checks that ASSESSMENT_CHECKS does not list"
    );
}

#[test]
fn a_command_that_does_not_exist_is_rejected() {
    let mut checker = Checker::new();
    let rejected = [
        ("phiguard fim accept --reason x", "accept"),
        ("phiguard fim update --reson x", "--reson"),
        ("phiguard ledger prove 41 --size many", "many"),
        ("phiguard assess --fail-on not_met", "not_met"),
        (
            "phiguard register baa update ID --signed yesterday",
            "yesterday",
        ),
        // More than a name, so it must be complete.
        ("phiguard attest '164.308(a)(1)' --by Dana", "--statement"),
        (
            "phiguard attest X --by NAME --statement TEXT [--evidence FILE] [--sure]",
            "--sure",
        ),
        (
            "phiguard access review decide R G --keep|--maybe --comment C",
            "--maybe",
        ),
        ("phiguard register {kind} frobnicate --now", "frobnicate"),
        ("cargo run --release -- asess", "asess"),
    ];
    for (text, named) in rejected {
        let error = check_text(&mut checker, text).expect_err(text);
        assert!(error.contains(named), "{text}: {error}");
    }
    let accepted = [
        ("phiguard fim update --reason 'CHG-1: x' --actor alice", 1),
        ("phiguard ledger prove SEQ [--size N]", 2),
        ("phiguard attest", 1),
        ("phiguard keys rewrap", 1),
        ("phiguard register {kind} add ID …", 1),
        ("phiguard register history KIND ID --json", 1),
        ("phiguard register grant add|list|update", 3),
        ("phiguard ledger verify [--key KEY|FILE]", 3),
        ("phiguard fim check [--json | --quiet]", 3),
        ("phiguard assess --fail-on not-met|partial|unknown", 3),
        (
            "phiguard ledger verify --bundle <dir> --key \"$(phiguard ledger key)\"",
            2,
        ),
        (
            "PHIGUARD_DATABASE_URL=postgres://h/p phiguard status --json | jq .x",
            1,
        ),
        ("phiguard fim check --help", 1),
    ];
    for (text, variants) in accepted {
        assert_eq!(check_text(&mut checker, text), Ok(variants), "{text}");
    }
}

#[test]
fn command_lines_are_found_where_a_shell_would_run_them() {
    let args = |text: &str| -> Vec<Vec<String>> {
        commands_in(text)
            .iter()
            .map(|toks| {
                toks.iter()
                    .map(|t| match t {
                        Tok::Word(w) => w.join("|"),
                        other => format!("{other:?}"),
                    })
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        args("A=1 B='x y' phiguard status --json | jq .x && phiguard ledger tail -n 5 > out # no"),
        [vec!["status", "--json"], vec!["ledger", "tail", "-n", "5"]]
    );
    assert_eq!(
        args("$ pg_dump ehr 2>&1 | sudo phiguard seal - -o 'a b.phg'"),
        [vec!["seal", "-", "-o", "a b.phg"]]
    );
    assert_eq!(
        args("phiguard ledger verify --key \"$(phiguard ledger key)\""),
        [
            vec!["ledger", "verify", "--key", "$(phiguard ledger key)"],
            vec!["ledger", "key"]
        ]
    );
    assert_eq!(
        args("cargo run --release -- --home /tmp/h demo"),
        [vec!["--home", "/tmp/h", "demo"]]
    );
    assert!(args("cargo run --release -p phiguard-bench-ledger -- --postgres x").is_empty());
    assert!(args("find . -print0 | xargs -0 phiguard keys rewrap").is_empty());
    assert!(args("phiguard_store=debug").is_empty());
    assert!(args("phiguard.toml").is_empty());
    assert!(args("# phiguard status").is_empty());
}

#[test]
fn markdown_code_blocks_spans_and_lists_are_read() {
    let text = "Intro `phiguard fim init`, `fim check` and `fim\nwatch`; not `fim update` here.\n\
                \n\
                ```sh\n\
                phiguard keys init --provider pkcs11 \\\n    --pkcs11-module m.so --pkcs11-token t\n\
                cargo test\n\
                ```\n\
                \n\
                ```\n\
                $ phiguard status\n\
                phiguard 0.1.0  installation x\n\
                ```\n";
    let mut found = Vec::new();
    for unit in markdown_units(text) {
        extract(&unit, Source::Docs, &|line| line.to_string(), &mut found);
    }
    let summary: Vec<(String, String, bool)> = found
        .iter()
        .map(|f| {
            let sibling = matches!(f.line, Line::Sibling { .. });
            (f.at.clone(), f.written.clone(), sibling)
        })
        .collect();
    let expected = [
        ("1", "phiguard fim init", false),
        ("1", "fim check", true),
        ("1", "fim\nwatch", true),
        (
            "5",
            "phiguard keys init --provider pkcs11  --pkcs11-module m.so --pkcs11-token t",
            false,
        ),
        ("11", "$ phiguard status", false),
    ];
    let expected: Vec<(String, String, bool)> = expected
        .iter()
        .map(|(at, written, sibling)| (at.to_string(), written.to_string(), *sibling))
        .collect();
    assert_eq!(summary, expected);
}

#[test]
fn rust_strings_are_joined_and_test_modules_skipped() {
    let source = "/// Run `phiguard ledger\n/// verify`.\nfn f() {\n    \
                  let x = \"record it: `phiguard register \\\n         grant add --system {} \\\"x\\\"`\";\n    \
                  html(\"<pre>\\nphiguard ledger prove {seq}\\n</pre> <code>phiguard keys list</code>\");\n    \
                  label(\"  phiguard status --json\", \"not phiguard init\");\n}\n\
                  #[cfg(test)]\nmod tests {\n    const T: &str = \"`phiguard fim accept`\";\n}\n";
    let mut found = Vec::new();
    for unit in rust_units(source) {
        extract(&unit, Source::Code, &|line| line.to_string(), &mut found);
    }
    let summary: Vec<(String, String)> = found
        .iter()
        .map(|f| (f.at.clone(), f.written.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("1".to_owned(), "phiguard ledger\nverify".to_owned()),
            (
                "4".to_owned(),
                "phiguard register grant add --system {} \"x\"".to_owned()
            ),
            ("6".to_owned(), "phiguard ledger prove {seq}".to_owned()),
            ("6".to_owned(), "phiguard keys list".to_owned()),
            ("7".to_owned(), "phiguard status --json".to_owned()),
        ]
    );
}

#[test]
fn files_of_test_modules_are_found() {
    let cli = "mod assess;\n#[cfg(test)]\nmod commands_in_text;\nmod register;\n";
    assert_eq!(
        test_module_paths(Path::new("src/cli.rs"), cli),
        [
            PathBuf::from("src/cli/commands_in_text.rs"),
            PathBuf::from("src/cli/commands_in_text")
        ]
    );
    let lib = "#[cfg(test)]\n#[path = \"x.rs\"]\nmod tests;\n#[cfg(test)]\nmod inline {\n}\n";
    assert_eq!(
        test_module_paths(Path::new("src/lib.rs"), lib),
        [PathBuf::from("src/tests.rs"), PathBuf::from("src/tests")]
    );
}

#[test]
fn placeholders_are_told_from_values() {
    for placeholder in [
        "ID",
        "FILE",
        "DATE",
        "N",
        "KEY=VALUE",
        "SYSTEM.YYYY-MM-DD",
        "FILE.csv",
        "<id>",
        "{}",
        "{kind}",
        "{id:?}",
        "ehr-prod.{date}",
    ] {
        assert!(is_placeholder(placeholder), "{placeholder}");
    }
    for value in [
        "acme-cloud",
        "Acme Cloud",
        "2026-01-15",
        "{\"result\":\"ok\"}",
        "-",
        "not_met",
    ] {
        assert!(!is_placeholder(value), "{value}");
    }
}
