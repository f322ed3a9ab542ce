//! Names and types: what a download is called on disk, from the server's header, the link or
//! the address, and which media types the engine shows as pages rather than downloading.

use url::Url;

/// `archive.tar.gz` → (`archive`, `.tar.gz`); `report.pdf` → (`report`, `.pdf`).
pub(super) fn split_extension(name: &str) -> (&str, &str) {
    let at = match name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".xz"))
    {
        Some(inner) if inner.ends_with(".tar") => inner.len() - 4,
        _ => match name.rfind('.') {
            Some(0) | None => name.len(),
            Some(dot) => dot,
        },
    };
    name.split_at(at)
}

/// The last segment of the address's path, decoded; `download` when it has none.
pub(super) fn name_from_url(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back().map(str::to_owned))
        .unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(&segment)
        .decode_utf8_lossy()
        .into_owned();
    let name = safe_name(&decoded);
    if name.is_empty() {
        "download".to_owned()
    } else {
        name
    }
}

/// A name that stays inside the download folder and shows plainly: no path separators, no
/// control or bidi characters, no leading dots (hidden files), at most 200 bytes.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c if c.is_control() => '_',
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 200 {
            break;
        }
        out.push(c);
    }
    out
}

/// The file name a `Content-Disposition` header gives: `filename*=UTF-8''…` (RFC 5987) first,
/// else `filename="…"`. Hand-read: the header is a short list of `key=value` pairs and no crate
/// in the tree parses it.
pub fn disposition_name(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in split_parameters(header) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key == "filename*" {
            // charset'language'percent-encoded
            let mut pieces = value.splitn(3, '\'');
            let charset = pieces.next().unwrap_or("");
            let _language = pieces.next();
            if let Some(encoded) = pieces.next() {
                let bytes = percent_encoding::percent_decode_str(encoded);
                extended = if charset.eq_ignore_ascii_case("utf-8") {
                    bytes.decode_utf8().ok().map(|text| text.into_owned())
                } else {
                    // ISO-8859-1: each byte is the code point.
                    Some(bytes.map(char::from).collect())
                };
            }
        } else if key == "filename" {
            let unquoted = value
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .map(|inner| inner.replace("\\\"", "\"").replace("\\\\", "\\"))
                .unwrap_or_else(|| value.to_owned());
            plain = Some(unquoted);
        }
    }
    extended.or(plain).filter(|name| !name.trim().is_empty())
}

/// `attachment; filename="a;b.txt"` → [`attachment`, `filename="a;b.txt"`]: semicolons inside
/// quotes do not split.
fn split_parameters(header: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&header[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

/// Whether Servo shows a document of this media type as a page; anything else is downloaded.
pub fn renders_as_page(media_type: &str) -> bool {
    let media_type = media_type.trim().to_ascii_lowercase();
    let essence = media_type.split(';').next().unwrap_or("").trim();
    if essence.is_empty() {
        return true;
    }
    essence.starts_with("text/")
        || essence.starts_with("image/")
        || essence.starts_with("audio/")
        || essence.starts_with("video/")
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
        || matches!(
            essence,
            "application/xhtml+xml"
                | "application/xml"
                | "application/json"
                | "application/javascript"
                | "application/ecmascript"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_headers_and_addresses() {
        assert_eq!(
            disposition_name("attachment; filename=\"report; final.pdf\"").as_deref(),
            Some("report; final.pdf")
        );
        assert_eq!(
            disposition_name("attachment; filename=\"x.pdf\"; filename*=UTF-8''%C3%A9t%C3%A9.pdf")
                .as_deref(),
            Some("été.pdf")
        );
        assert_eq!(disposition_name("attachment"), None);
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("a\u{202e}gpj.exe"), "a_gpj.exe");
        let url = Url::parse("http://h/files/r%C3%A9sum%C3%A9.pdf?x=1").expect("url");
        assert_eq!(name_from_url(&url), "résumé.pdf");
        assert_eq!(
            name_from_url(&Url::parse("http://h/").expect("url")),
            "download"
        );
        assert_eq!(split_extension("a.tar.gz"), ("a", ".tar.gz"));
        assert_eq!(split_extension("noext"), ("noext", ""));
        assert_eq!(split_extension(".hidden"), (".hidden", ""));
    }

    #[test]
    fn what_servo_renders() {
        assert!(renders_as_page("text/html; charset=utf-8"));
        assert!(renders_as_page("image/svg+xml"));
        assert!(!renders_as_page("application/pdf"));
        assert!(!renders_as_page("application/zip"));
        assert!(!renders_as_page("application/octet-stream"));
    }
}
