//! `parse_mode=HTML` as Telegram applies it: only the supported tags, properly nested,
//! `<`, `>` and `&` escaped elsewhere; the message keeps the text without tags.

use super::reply::ApiError;

const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
];

/// The visible text of an HTML-formatted message, or Telegram's 400 for bad markup.
pub(crate) fn to_plain(html: &str) -> Result<String, ApiError> {
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let offset = html.len() - rest.len();
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or_else(|| parse_error(offset, "Unclosed start tag"))?;
                let tag = &rest[1..end];
                let (closing, body) = match tag.strip_prefix('/') {
                    Some(body) => (true, body),
                    None => (false, tag),
                };
                let name: String = body
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    let what = if closing { "end" } else { "start" };
                    return Err(parse_error(
                        offset,
                        &format!("Unsupported {what} tag \"{name}\""),
                    ));
                }
                if closing {
                    match open.pop() {
                        Some(top) if top == name => {}
                        _ => {
                            return Err(parse_error(
                                offset,
                                &format!("Unmatched end tag \"{name}\""),
                            ));
                        }
                    }
                } else {
                    open.push(name);
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let entities = [
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                    ("&amp;", '&'),
                    ("&quot;", '"'),
                ];
                match entities.iter().find(|(e, _)| rest.starts_with(e)) {
                    Some((entity, ch)) => {
                        out.push(*ch);
                        rest = &rest[entity.len()..];
                    }
                    None => {
                        out.push('&');
                        rest = &rest[1..];
                    }
                }
            }
            '>' => return Err(parse_error(offset, "Unexpected end tag")),
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(ApiError::bad_request(&format!(
            "can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
        )));
    }
    Ok(out)
}

fn parse_error(offset: usize, what: &str) -> ApiError {
    ApiError::bad_request(&format!(
        "can't parse entities: {what} at byte offset {offset}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_rejects_bad_markup() {
        assert_eq!(
            to_plain("<b>Hi</b> &lt;3 &amp; more").ok(),
            Some("Hi <3 & more".into())
        );
        assert_eq!(to_plain("<a href=\"x\">l</a>").ok(), Some("l".into()));
        assert!(to_plain("1 < 2").is_err());
        assert!(to_plain("<b>open").is_err());
        assert!(to_plain("<div>x</div>").is_err());
        assert!(to_plain("<b><i>x</b></i>").is_err());
    }
}
