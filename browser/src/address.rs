//! Turns what a user typed into the address bar into a URL, locally.
//!
//! Accepts a URL with a scheme, a host name (with or without port and path) or a file path.
//! Anything else is an error shown to the user: no search engine is ever asked behind their back.

use std::path::Path;

use url::Url;

use crate::BrowserError;

/// Schemes the browser loads itself; anything else typed with a scheme is refused.
const LOADABLE_SCHEMES: &[&str] = &["http", "https", "file", "data", "about"];

/// Resolve address-bar input against the process's working directory.
pub fn parse_address_in_cwd(input: &str) -> Result<Url, BrowserError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new("/").to_path_buf());
    parse_address(input, &cwd)
}

/// Resolve address-bar input. Relative file paths resolve against `cwd`.
pub fn parse_address(input: &str, cwd: &Path) -> Result<Url, BrowserError> {
    let input = input.trim();
    let bad = |reason: &str| BrowserError::BadAddress {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    if input.is_empty() {
        return Err(bad("nothing was typed"));
    }
    if looks_like_path(input) {
        return file_url(input, cwd);
    }
    // A bare relative path of an existing file (`clef read page.html`, `docs/a.html`): the file,
    // not a host of that name.
    if !input.contains("://") && cwd.join(input).is_file() {
        return file_url(input, cwd);
    }
    if let Ok(url) = Url::parse(input) {
        // "localhost:8080" parses as scheme "localhost"; treat it as a host below.
        if LOADABLE_SCHEMES.contains(&url.scheme()) {
            if matches!(url.scheme(), "http" | "https") && url.host_str().is_none_or(str::is_empty)
            {
                return Err(bad("the URL has no host"));
            }
            return Ok(url);
        }
        if url.cannot_be_a_base() && !input.contains("://") && looks_like_host(input) {
            return host_url(input).ok_or_else(|| bad("not a valid host name"));
        }
        if input.contains("://") {
            return Err(bad(&format!("scheme {:?} is not supported", url.scheme())));
        }
    }
    if input.contains(char::is_whitespace) {
        return Err(bad(
            "contains spaces; Clef does not send what you type to a search engine",
        ));
    }
    if looks_like_host(input) {
        return host_url(input).ok_or_else(|| bad("not a valid host name"));
    }
    Err(bad(
        "not a URL, host or existing file; Clef does not search the web for you",
    ))
}

fn looks_like_path(input: &str) -> bool {
    input.starts_with('/')
        || input.starts_with("./")
        || input.starts_with("../")
        || input.starts_with("~/")
}

fn file_url(input: &str, cwd: &Path) -> Result<Url, BrowserError> {
    let expanded = match input.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => cwd.join(input),
    };
    let path = expanded
        .canonicalize()
        .map_err(|_| BrowserError::MissingFile(expanded.display().to_string()))?;
    Url::from_file_path(&path).map_err(|()| BrowserError::BadAddress {
        input: input.to_owned(),
        reason: "not an absolute file path".to_owned(),
    })
}

/// A host name: `localhost`, an IP address, or dotted labels, optionally with port and path.
fn looks_like_host(input: &str) -> bool {
    let host_port = input.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => host,
        Some(_) => return false,
        None => host_port,
    };
    if host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(char::is_alphabetic))
}

/// Loopback hosts default to plain HTTP (local servers rarely have certificates); others to HTTPS.
fn host_url(input: &str) -> Option<Url> {
    let host = input.split([':', '/']).next().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    Url::parse(&format!("{scheme}://{input}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<String, BrowserError> {
        parse_address(input, Path::new("/")).map(String::from)
    }

    #[test]
    fn an_existing_relative_file_is_the_file() {
        let dir = std::env::temp_dir().join(format!("clef-address-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        std::fs::write(dir.join("page.html"), "<p>x").unwrap();
        std::fs::write(dir.join("docs/a.html"), "<p>y").unwrap();
        let page = parse_address("page.html", &dir).unwrap();
        assert_eq!(page.scheme(), "file");
        assert!(page.path().ends_with("/page.html"));
        assert_eq!(parse_address("docs/a.html", &dir).unwrap().scheme(), "file");
        // Not there: a host, as before.
        assert_eq!(
            String::from(parse_address("other.html", &dir).unwrap()),
            "https://other.html/"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn full_urls_pass_through() {
        assert_eq!(
            parse("https://example.org/a?b").unwrap(),
            "https://example.org/a?b"
        );
        assert_eq!(
            parse("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080/"
        );
    }

    #[test]
    fn host_names_get_a_scheme() {
        assert_eq!(parse("example.org").unwrap(), "https://example.org/");
        assert_eq!(
            parse("example.org/path").unwrap(),
            "https://example.org/path"
        );
        assert_eq!(parse("localhost:8080").unwrap(), "http://localhost:8080/");
        assert_eq!(
            parse("127.0.0.1:3000/x").unwrap(),
            "http://127.0.0.1:3000/x"
        );
    }

    #[test]
    fn file_paths_become_file_urls() {
        assert_eq!(parse("/").unwrap(), "file:///");
        assert!(matches!(
            parse("/no/such/file.html"),
            Err(BrowserError::MissingFile(_))
        ));
    }

    #[test]
    fn words_are_not_searched() {
        for input in ["what is rust", "rust", "", "ftp://example.org", "http://"] {
            let error = parse(input).unwrap_err();
            assert!(
                matches!(error, BrowserError::BadAddress { .. }),
                "{input}: {error}"
            );
        }
    }
}
