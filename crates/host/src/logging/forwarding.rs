//! `host.logging.remote_forwarding`: logs leave the host.
//!
//! Someone who gets root on a host can erase its local logs; a copy already on another machine
//! survives. phiguard recognises the two forwarders a stock Linux host ships with: rsyslog
//! (legacy `@host`/`@@host` actions and RainerScript `action(type="omfwd"|"omrelp")`) and
//! systemd-journal-upload.

use std::path::PathBuf;

use phiguard_core::{CheckContext, CheckMeta, Finding, Severity, Status};

use super::{Problem, files_ending_with, read_text, systemd};
use crate::config_file::ConfigError;

pub(super) fn meta() -> CheckMeta {
    crate::meta(
        "host.logging.remote_forwarding",
        "Logs are forwarded to another host",
        Severity::Medium,
        "HIPAA 164.312(b) audit records are only evidence if they cannot be altered by whoever \
         they record. Logs kept only on the host can be erased by an intruder with root; a copy \
         sent as they are written to a log server or SIEM cannot.",
        "Forward logs to your log server or SIEM: with rsyslog, add a file such as \
         /etc/rsyslog.d/90-forward.conf containing `*.* action(type=\"omfwd\" \
         target=\"logs.example.org\" port=\"6514\" protocol=\"tcp\" \
         StreamDriver=\"gtls\" StreamDriverMode=\"1\")` (TLS; or `*.* @@logs.example.org:514` \
         for plain TCP) and `systemctl restart rsyslog`; or set `URL=` under `[Upload]` in \
         /etc/systemd/journal-upload.conf and `systemctl enable --now systemd-journal-upload`. \
         If another agent ships the logs (Fluent Bit, Vector, the cloud provider's agent), \
         record that as the evidence for this control instead.",
    )
}

const SUBJECT: &str = "log forwarding";

/// A place logs are sent to, and the line that sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// How it is sent: `UDP`, `TCP`, `RELP` or `omfwd` (protocol set by its parameters).
    pub(crate) via: &'static str,
    pub(crate) target: String,
    pub(crate) line: usize,
}

pub(super) fn judge(meta: &CheckMeta, ctx: &CheckContext) -> Result<Finding, Problem> {
    let mut destinations = Vec::new();
    for path in rsyslog_files(ctx)? {
        let Some(text) = read_text(&path)? else {
            continue;
        };
        let forwards = rsyslog_forwards(&text)
            .map_err(|(line, problem)| ConfigError::at(&path, line, problem))?;
        destinations.extend(forwards.into_iter().map(|f| {
            format!(
                "rsyslog sends to {} over {} ({} line {})",
                f.target,
                f.via,
                path.display(),
                f.line
            )
        }));
    }
    let upload = systemd::setting(ctx, "journal-upload.conf", "Upload", "URL")?;
    let upload_enabled = systemd::enabled_by(ctx, "systemd-journal-upload.service")?;
    let mut upload_not_enabled = None;
    match (upload, upload_enabled) {
        (Some(url), Some(_)) => destinations.push(format!(
            "systemd-journal-upload sends the journal to {} ({} line {})",
            url.value,
            url.path.display(),
            url.line
        )),
        (Some(url), None) => upload_not_enabled = Some(url),
        (None, _) => {}
    }
    if !destinations.is_empty() {
        return Ok(meta.finding(Status::Pass, SUBJECT, destinations.join("; ")));
    }
    let message = match upload_not_enabled {
        Some(url) => format!(
            "logs stay on this host: {} line {} sets URL={} for systemd-journal-upload, but the \
             service is not enabled, so nothing is sent; run `systemctl enable --now \
             systemd-journal-upload`",
            url.path.display(),
            url.line,
            url.value
        ),
        None => "logs stay on this host: no rsyslog forwarding action (in /etc/rsyslog.conf or \
                 /etc/rsyslog.d/*.conf) and no systemd-journal-upload URL was found"
            .to_owned(),
    };
    Ok(meta.finding(Status::Fail, SUBJECT, message))
}

/// rsyslog's main file and the drop-ins its stock configuration includes.
fn rsyslog_files(ctx: &CheckContext) -> Result<Vec<PathBuf>, Problem> {
    let mut files = vec![ctx.path("/etc/rsyslog.conf")];
    files.extend(files_ending_with(&ctx.path("/etc/rsyslog.d"), ".conf")?);
    Ok(files)
}

/// The forwarding actions in one rsyslog configuration file, or the line that could not be read.
///
/// The file is first reduced to its code: comments (`#` to the end of the line, `/* */`) and
/// the insides of quoted strings are blanked, so a `@` in a template string or a commented-out
/// `*.* @@old-server` does not count. RainerScript objects may span lines, so quotes and
/// parentheses are tracked across lines; the legacy syntax is one line per statement.
pub fn rsyslog_forwards(text: &str) -> Result<Vec<Forward>, (usize, String)> {
    let code = Code::scan(text)?;
    let mut forwards = Vec::new();
    for object in &code.actions {
        if let Some(forward) = object.forward()? {
            forwards.push(forward);
        }
    }
    for (index, line) in code.top_level.lines().enumerate() {
        if let Some((via, target)) = legacy_forward(line) {
            forwards.push(Forward {
                via,
                target,
                line: index + 1,
            });
        }
    }
    forwards.sort_by_key(|f| f.line);
    Ok(forwards)
}

/// A configuration file reduced to what rsyslog executes.
struct Code {
    /// The text with comments, `$` directives, string contents and the insides of objects
    /// replaced by spaces; newlines are kept, so line numbers still match the file.
    top_level: String,
    /// Every `action(...)` object with the line it starts on.
    actions: Vec<ActionObject>,
}

struct ActionObject {
    line: usize,
    /// The text between the parentheses, comments removed, strings intact.
    params: String,
}

/// A RainerScript object (`action(`, `module(`, an `if (` condition) being read.
struct Object {
    line: usize,
    depth: usize,
    is_action: bool,
    params: String,
}

/// Reads a configuration file one character at a time, the way rsyslog's lexer does where it
/// matters here: `$` directives and `#` comments run to the end of the line, `/* */` comments
/// and objects may span lines, and a quote left open on a legacy line ends with that line.
struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    /// Only white space so far on this line (outside objects): a `$` here starts a directive.
    line_start: bool,
    quote: Option<char>,
    object: Option<Object>,
    code: Code,
}

impl Code {
    fn scan(text: &str) -> Result<Code, (usize, String)> {
        let mut s = Scanner {
            chars: text.chars().peekable(),
            line: 1,
            line_start: true,
            quote: None,
            object: None,
            code: Code {
                top_level: String::with_capacity(text.len()),
                actions: Vec::new(),
            },
        };
        while let Some(c) = s.chars.next() {
            if let Some(quote) = s.quote {
                s.in_string(c, quote);
                continue;
            }
            match c {
                // `$IncludeConfig /etc/rsyslog.d/*.conf` must not open a `/*` comment.
                '$' if s.object.is_none() && s.line_start => s.skip_line(c),
                '#' => s.skip_line(c),
                '/' if s.chars.peek() == Some(&'*') => s.skip_block_comment()?,
                '"' | '\'' => {
                    s.quote = Some(c);
                    s.emit(c, c);
                }
                '(' => s.open(),
                ')' => s.close(),
                _ => s.emit(c, c),
            }
        }
        if let Some(object) = s.object {
            return Err((
                object.line,
                "a `(` opened here is never closed with `)` (or a quoted string inside it is \
                 never closed)"
                    .to_owned(),
            ));
        }
        Ok(s.code)
    }
}

impl Scanner<'_> {
    /// Passes `raw` on: into the object being read, or to the top-level text as `shown`.
    fn emit(&mut self, raw: char, shown: char) {
        match &mut self.object {
            Some(object) => {
                object.params.push(raw);
                self.code.top_level.push(blanked(raw));
            }
            None => self.code.top_level.push(shown),
        }
        self.count(raw);
    }

    /// Drops `raw` (part of a comment), keeping only line breaks.
    fn blank(&mut self, raw: char) {
        self.code.top_level.push(blanked(raw));
        self.count(raw);
    }

    fn count(&mut self, raw: char) {
        if raw == '\n' {
            self.line += 1;
            self.line_start = true;
        } else if !raw.is_whitespace() {
            self.line_start = false;
        }
    }

    fn in_string(&mut self, c: char, quote: char) {
        if c == '\\' {
            // An escaped character never ends the string.
            self.emit(c, ' ');
            if let Some(next) = self.chars.next() {
                self.emit(next, blanked(next));
            }
        } else if c == quote || (c == '\n' && self.object.is_none()) {
            self.quote = None;
            self.emit(c, c);
        } else {
            self.emit(c, blanked(c));
        }
    }

    fn skip_line(&mut self, first: char) {
        self.blank(first);
        while let Some(&next) = self.chars.peek() {
            if next == '\n' {
                break;
            }
            self.chars.next();
            self.blank(next);
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), (usize, String)> {
        let start = self.line;
        self.blank('/');
        self.chars.next();
        self.blank('*');
        while let Some(c) = self.chars.next() {
            self.blank(c);
            if c == '*' && self.chars.peek() == Some(&'/') {
                self.chars.next();
                self.blank('/');
                return Ok(());
            }
        }
        Err((start, "a `/*` comment is never closed with `*/`".to_owned()))
    }

    /// A `(` right after a name opens an object; elsewhere (`@(z9)host`) it is plain text.
    fn open(&mut self) {
        if let Some(object) = &mut self.object {
            object.depth += 1;
            self.emit('(', '(');
            return;
        }
        let before = self.code.top_level.trim_end();
        if !before.ends_with(|p: char| p.is_alphanumeric() || p == '_') {
            self.emit('(', '(');
            return;
        }
        let is_action = before
            .strip_suffix("action")
            .is_some_and(|rest| !rest.ends_with(|p: char| p.is_alphanumeric() || p == '_'));
        self.object = Some(Object {
            line: self.line,
            depth: 1,
            is_action,
            params: String::new(),
        });
        self.blank('(');
    }

    fn close(&mut self) {
        match &mut self.object {
            Some(object) if object.depth > 1 => {
                object.depth -= 1;
                self.emit(')', ')');
            }
            Some(_) => {
                if let Some(object) = self.object.take()
                    && object.is_action
                {
                    self.code.actions.push(ActionObject {
                        line: object.line,
                        params: object.params,
                    });
                }
                self.blank(')');
            }
            None => self.emit(')', ')'),
        }
    }
}

/// What a character becomes where it is hidden: a space, except line breaks.
fn blanked(c: char) -> char {
    if c == '\n' { '\n' } else { ' ' }
}

impl ActionObject {
    /// The destination when this action forwards (`type="omfwd"` or `"omrelp"`).
    fn forward(&self) -> Result<Option<Forward>, (usize, String)> {
        let params = parameters(&self.params).ok_or_else(|| {
            (
                self.line,
                "could not read the parameters of this action(...); expected name=\"value\" pairs"
                    .to_owned(),
            )
        })?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let via = match get("type").map(str::to_ascii_lowercase).as_deref() {
            Some("omfwd") => match get("protocol").map(str::to_ascii_lowercase).as_deref() {
                Some("tcp") => "TCP",
                _ => "UDP",
            },
            Some("omrelp") => "RELP",
            _ => return Ok(None),
        };
        let target = get("target").unwrap_or("(no target set)").to_owned();
        let target = match get("port") {
            Some(port) => format!("{target}:{port}"),
            None => target,
        };
        Ok(Some(Forward {
            via,
            target,
            line: self.line,
        }))
    }
}

/// `name="value"` pairs separated by white space, as RainerScript objects take them; values
/// may be single- or double-quoted, or bare words. `None` if the text does not have that shape.
fn parameters(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return None;
        }
        let after = after.trim_start();
        let (value, remainder) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                let end = closing_quote(body, q)?;
                (unescape(&body[..end]), &body[end + 1..])
            }
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (after[..end].to_owned(), &after[end..])
            }
        };
        pairs.push((name.to_owned(), value));
        rest = remainder.trim_start();
    }
    Some(pairs)
}

/// The byte offset of the quote that closes a string whose body starts `body`.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    out
}

/// A legacy forwarding action on one line: `<selector> @host` (UDP), `@@host` (TCP),
/// `@(options)host`, `:omrelp:host:port`, or the same after `&` (another action for the
/// previous selector). `$` lines are directives, not actions.
fn legacy_forward(line: &str) -> Option<(&'static str, String)> {
    let line = line.trim();
    if line.starts_with('$') {
        return None;
    }
    line.split_whitespace().skip(1).find_map(|word| {
        // A template or other option follows the destination after `;`.
        let action = word.split(';').next().unwrap_or(word);
        if let Some(relp) = action.strip_prefix(":omrelp:") {
            return (!relp.is_empty()).then(|| ("RELP", relp.to_owned()));
        }
        let (via, rest) = match action.strip_prefix("@@") {
            Some(rest) => ("TCP", rest),
            None => ("UDP", action.strip_prefix('@')?),
        };
        // `@(z9,o)host`: compression and octet-framing options before the host.
        let host = match rest.strip_prefix('(') {
            Some(options) => options.split_once(')')?.1,
            None => rest,
        };
        let starts_like_a_host = host
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '[');
        starts_like_a_host.then(|| (via, host.to_owned()))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    fn targets(text: &str) -> Vec<(&'static str, String, usize)> {
        rsyslog_forwards(text)
            .unwrap()
            .into_iter()
            .map(|f| (f.via, f.target, f.line))
            .collect()
    }

    #[test]
    fn legacy_actions() {
        let text = "\
$ModLoad imuxsock
$IncludeConfig /etc/rsyslog.d/*.conf
*.* @@logs.example.org:514
auth,authpriv.* @10.0.0.9;RSYSLOG_ForwardFormat
& @(z9)[2001:db8::1]:514
kern.* :omrelp:relp.example.org:2514
mail.* /var/log/mail.log
user.* @
";
        assert_eq!(
            targets(text),
            [
                ("TCP", "logs.example.org:514".into(), 3),
                ("UDP", "10.0.0.9".into(), 4),
                ("UDP", "[2001:db8::1]:514".into(), 5),
                ("RELP", "relp.example.org:2514".into(), 6),
            ]
        );
    }

    #[test]
    fn rainerscript_actions_across_lines() {
        let text = r#"
module(load="omrelp")
*.* action(type="omfwd"
           target="siem.example.org" port="6514" protocol="tcp"
           template="RSYSLOG_SyslogProtocol23Format") # to the SIEM
local0.* action(type='omrelp' target='relp.example.org' port='2514')
*.* action(type="omfile" file="/var/log/all.log")
"#;
        assert_eq!(
            targets(text),
            [
                ("TCP", "siem.example.org:6514".into(), 3),
                ("RELP", "relp.example.org:2514".into(), 6),
            ]
        );
    }

    #[test]
    fn comments_and_strings_do_not_forward() {
        let text = r#"
# *.* @@old.example.org
/* retired:
*.* action(type="omfwd" target="gone.example.org")
*/
$template Fmt,"%msg% @@not-a-host"
*.* /var/log/syslog;Fmt  # @@also.not
"#;
        assert_eq!(targets(text), []);
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(
            rsyslog_forwards("\n/* open\n*.* @@x\n").unwrap_err(),
            (2, "a `/*` comment is never closed with `*/`".into())
        );
        assert_eq!(
            rsyslog_forwards("*.* /x\n*.* action(type=\"omfwd\"\n target=\"x\"\n")
                .unwrap_err()
                .0,
            2
        );
        assert_eq!(
            rsyslog_forwards("*.* action(type=\"omfwd\" target)\n")
                .unwrap_err()
                .0,
            1
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = rsyslog_forwards(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn config_like_text_never_panics(text in "([*.@:;()\"'#/= \na-z\\\\]{0,12}){0,24}") {
            if let Ok(forwards) = rsyslog_forwards(&text) {
                let lines = text.split('\n').count();
                prop_assert!(forwards.iter().all(|f| f.line >= 1 && f.line <= lines));
            }
        }
    }
}
