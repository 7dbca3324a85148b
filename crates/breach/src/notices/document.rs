//! One description of a notice, rendered twice: as Markdown to edit and as HTML to print.
//!
//! A notice is built once as a list of [`Block`]s; [`Document::markdown`] and
//! [`Document::html`] only render it, so the two files cannot say different things, and the
//! places a person must fill in are [`Span::Fill`]s that both renderings mark the same
//! greppable way (`TO FILL IN`) and [`Document::to_fill`] lists. Every piece of text is
//! escaped for the format it is written in: titles, descriptions and names are what people
//! typed, and markup in them must come out as text.

use phiguard_core::html::escape;

/// The word every place left to fill in carries, in both renderings, so `grep "TO FILL IN"`
/// finds each one.
pub const FILL_MARKER: &str = "TO FILL IN";

/// A run of text inside a paragraph, list item or field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Strong(String),
    /// What a person must still write here, in words.
    Fill(String),
}

impl Span {
    pub fn text(text: impl Into<String>) -> Span {
        Span::Text(text.into())
    }

    pub fn strong(text: impl Into<String>) -> Span {
        Span::Strong(text.into())
    }

    pub fn fill(what: impl Into<String>) -> Span {
        Span::Fill(what.into())
    }
}

/// Text made of spans: a paragraph, a list item, a field's value.
pub type Line = Vec<Span>;

/// A label and its value, as a row of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: String,
    pub value: Line,
}

impl Field {
    pub fn new(label: impl Into<String>, value: Line) -> Field {
        Field {
            label: label.into(),
            value,
        }
    }
}

/// One block of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section heading (the document's title is the only first-level heading).
    Heading(String),
    Paragraph(Line),
    List(Vec<Line>),
    /// Labelled values: the draft's particulars, a form to copy.
    Fields(Vec<Field>),
}

/// A notice: its title, the notes for the person preparing it (its particulars, how to send
/// it, what to check), and the notice itself. The notes come first, set apart, so that
/// nobody sends them by mistake and nobody misses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub notes: Vec<Block>,
    pub body: Vec<Block>,
}

impl Document {
    /// Every place left to fill in, in the order they appear, each once.
    pub fn to_fill(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut note = |line: &Line| {
            for span in line {
                if let Span::Fill(what) = span
                    && !found.contains(what)
                {
                    found.push(what.clone());
                }
            }
        };
        for block in self.notes.iter().chain(&self.body) {
            match block {
                Block::Paragraph(line) => note(line),
                Block::List(items) => items.iter().for_each(&mut note),
                Block::Fields(fields) => fields.iter().for_each(|f| note(&f.value)),
                Block::Heading(_) => {}
            }
        }
        found
    }

    /// The notice as Markdown (CommonMark), every piece of text escaped so that it reads
    /// as the same text when rendered. The notes are a block quote above a rule.
    pub fn markdown(&self) -> String {
        let mut out = format!("# {}\n\n", markdown_line_start(&markdown_text(&self.title)));
        let notes = markdown_blocks(&self.notes);
        for line in notes.lines() {
            if line.is_empty() {
                out.push_str(">\n");
            } else {
                out.push_str(&format!("> {line}\n"));
            }
        }
        out.push_str("\n---\n\n");
        out.push_str(&markdown_blocks(&self.body));
        out
    }

    /// The notice as one self-contained HTML5 page: inline print CSS, no script, and a
    /// Content-Security-Policy that forbids every load, so it can be opened offline, mailed
    /// and archived, and text that reached it from a person cannot run.
    pub fn html(&self) -> String {
        let title = html_text(&self.title);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'\">\n<title>{title}</title>\n<style>{STYLE}</style>\n\
             </head>\n<body>\n<main>\n<h1>{title}</h1>\n\
             <section class=\"draft-notes\" aria-label=\"Notes for the person preparing this notice\">\n\
             {notes}</section>\n<article>\n{body}</article>\n</main>\n</body>\n</html>\n",
            notes = html_blocks(&self.notes),
            body = html_blocks(&self.body),
        )
    }
}

fn markdown_blocks(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (index, block) in blocks.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        match block {
            Block::Heading(text) => out.push_str(&format!("## {}\n", markdown_text(text))),
            Block::Paragraph(line) => {
                out.push_str(&markdown_line_start(&markdown_spans(line)));
                out.push('\n');
            }
            Block::List(items) => {
                for item in items {
                    out.push_str(&format!(
                        "- {}\n",
                        markdown_line_start(&markdown_spans(item))
                    ));
                }
            }
            Block::Fields(fields) => {
                for field in fields {
                    // "Was media notice required? Yes", "Due: March 1, 2026".
                    let colon = if field.label.ends_with('?') { "" } else { ":" };
                    out.push_str(&format!(
                        "- **{}{colon}** {}\n",
                        markdown_text(&field.label),
                        markdown_spans(&field.value)
                    ));
                }
            }
        }
    }
    out
}

fn html_blocks(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(text) => out.push_str(&format!("<h2>{}</h2>\n", html_text(text))),
            Block::Paragraph(line) => out.push_str(&format!("<p>{}</p>\n", html_spans(line))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", html_spans(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Fields(fields) => {
                out.push_str("<table class=\"fields\">\n<tbody>\n");
                for field in fields {
                    out.push_str(&format!(
                        "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                        html_text(&field.label),
                        html_spans(&field.value)
                    ));
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out
}

const STYLE: &str = "
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--fill:#fff3b0}
html{font-family:Georgia,\"Times New Roman\",serif;font-size:16px;line-height:1.5;color:var(--ink);background:#fff}
body{margin:0}
main{max-width:46rem;margin:0 auto;padding:24px 28px 40px}
h1{font-size:1.6rem;margin:0 0 16px}
h2{font-size:1.15rem;margin:22px 0 6px}
p{margin:6px 0}
ul{margin:6px 0;padding-left:22px}
li{margin:3px 0}
table.fields{border-collapse:collapse;width:100%;margin:8px 0 12px}
table.fields th,table.fields td{border:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
table.fields th{background:var(--soft);width:34%;font-weight:600}
section.draft-notes{border:2px dashed var(--muted);background:var(--soft);padding:4px 14px 8px;margin:0 0 18px;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;font-size:.92rem}
mark.to-fill{background:var(--fill);color:var(--ink);font-weight:700;padding:0 3px;border:1px solid #d4a72c}
@media print{
@page{margin:18mm}
html{font-size:11.5pt}
main{max-width:none;padding:0}
h2{break-after:avoid}
tr,li,p{break-inside:avoid}
mark.to-fill{-webkit-print-color-adjust:exact;print-color-adjust:exact}
section.draft-notes{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
";

/// Runs of whitespace (line breaks included) become one space: a fact is one run of text,
/// and a line break a person typed must not start a Markdown heading or list. A space at
/// either end stays, as it separates the span from the next.
fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                line.push(' ');
            }
            in_space = true;
        } else {
            line.push(c);
            in_space = false;
        }
    }
    line
}

fn html_text(text: &str) -> String {
    escape(&one_line(text))
}

fn html_spans(line: &Line) -> String {
    line.iter()
        .map(|span| match span {
            Span::Text(text) => html_text(text),
            Span::Strong(text) => format!("<strong>{}</strong>", html_text(text)),
            Span::Fill(what) => format!(
                "<mark class=\"to-fill\">{FILL_MARKER}: {}</mark>",
                html_text(what)
            ),
        })
        .collect()
}

/// Text for Markdown: every character CommonMark could read as markup is backslash-escaped
/// (raw HTML, emphasis, links, code, tables), so the text renders as itself.
fn markdown_text(text: &str) -> String {
    let text = one_line(text);
    let mut escaped = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // `&` only matters where it could start an entity (`&amp;`, `&#60;`): "Health &
        // Safety" stays as it is.
        let entity = c == '&'
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '#');
        if entity
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#'
            )
        {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A block's text with what would make it a list item or heading at the start of a line
/// (`-`, `+`, `=`, `1.`, `1)`) escaped.
fn markdown_line_start(line: &str) -> String {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let mut chars = line.chars();
    match chars.next() {
        Some(first @ ('-' | '+' | '=')) => format!("\\{first}{}", chars.as_str()),
        Some(_) if digits > 0 => {
            let rest = &line[digits..];
            match rest.chars().next() {
                Some(mark @ ('.' | ')')) => {
                    format!("{}\\{mark}{}", &line[..digits], &rest[1..])
                }
                _ => line.to_owned(),
            }
        }
        _ => line.to_owned(),
    }
}

fn markdown_spans(line: &Line) -> String {
    line.iter()
        .map(|span| match span {
            Span::Text(text) => markdown_text(text),
            Span::Strong(text) => format!("**{}**", markdown_text(text)),
            Span::Fill(what) => format!("**[{FILL_MARKER}: {}]**", markdown_text(what)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document {
            title: "Notice <b>".into(),
            notes: vec![
                Block::Fields(vec![Field::new("Due", vec![Span::text("March 1, 2026")])]),
                Block::Paragraph(vec![Span::fill("the date mailed")]),
            ],
            body: vec![
                Block::Heading("What happened".into()),
                Block::Paragraph(vec![
                    Span::text("A laptop was stolen on "),
                    Span::fill("the date"),
                    Span::text("."),
                ]),
                Block::List(vec![vec![Span::fill("the date mailed")]]),
            ],
        }
    }

    #[test]
    fn fills_are_listed_once_each_in_order() {
        assert_eq!(sample().to_fill(), ["the date mailed", "the date"]);
    }

    #[test]
    fn both_renderings_mark_each_fill_the_same_way() {
        let document = sample();
        let markdown = document.markdown();
        let html = document.html();
        assert!(
            markdown.contains("**[TO FILL IN: the date]**"),
            "{markdown}"
        );
        assert!(
            html.contains("<mark class=\"to-fill\">TO FILL IN: the date</mark>"),
            "{html}"
        );
        assert_eq!(markdown.matches(FILL_MARKER).count(), 3);
        assert_eq!(html.matches(FILL_MARKER).count(), 3);
    }

    #[test]
    fn the_notes_are_set_apart_from_the_notice() {
        let html = sample().html();
        let open = html
            .find("<section class=\"draft-notes\"")
            .unwrap_or(usize::MAX);
        let due = html.find("<th scope=\"row\">Due</th>").unwrap_or(0);
        let close = html.find("</section>").unwrap_or(0);
        let heading = html.find("<h2>What happened</h2>").unwrap_or(0);
        assert!(open < due && due < close && close < heading, "{html}");
        let markdown = sample().markdown();
        assert!(
            markdown
                .starts_with("# Notice \\<b\\>\n\n> - **Due:** March 1, 2026\n>\n> **[TO FILL IN"),
            "{markdown}"
        );
        assert!(
            markdown.contains("\n---\n\n## What happened\n"),
            "{markdown}"
        );
    }

    #[test]
    fn markup_in_text_is_escaped_in_both() {
        let hostile = "<script>alert(1)</script> *bold* [link](x) | a & b &amp;";
        assert_eq!(
            escape(hostile),
            "&lt;script&gt;alert(1)&lt;/script&gt; *bold* [link](x) | a &amp; b &amp;amp;"
        );
        assert_eq!(
            markdown_text(hostile),
            "\\<script\\>alert(1)\\</script\\> \\*bold\\* \\[link\\](x) \\| a & b \\&amp;"
        );
    }

    #[test]
    fn a_line_break_or_list_mark_typed_in_text_does_not_become_markup() {
        assert_eq!(markdown_text("one\n# two"), "one \\# two");
        assert_eq!(markdown_text("Call: "), "Call: ");
        assert_eq!(escape(&one_line(" a \n\n b\t")), " a b ");
        assert_eq!(markdown_line_start("- item"), "\\- item");
        assert_eq!(markdown_line_start("12. item"), "12\\. item");
        assert_eq!(markdown_line_start("12 items"), "12 items");
        assert_eq!(markdown_line_start("+"), "\\+");
    }
}
