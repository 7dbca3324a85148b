//! Text made safe for HTML: the one escape every HTML phiguard writes goes through (the
//! assessment report, the breach notice drafts). What goes into those pages (file paths, host
//! names, incident descriptions, names people typed) may contain markup.

/// `text` escaped for HTML content and for attribute values in either kind of quotes.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_covers_markup_and_both_quotes() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(
            escape("plain /etc/ssh/sshd_config"),
            "plain /etc/ssh/sshd_config"
        );
    }
}
