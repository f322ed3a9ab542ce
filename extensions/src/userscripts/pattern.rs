//! Match patterns as browser extensions write them (`*://*.example.org/*`, `<all_urls>`), checked
//! here and turned into the regular expression the page tests its own address with.

/// One `@match` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPattern {
    /// `None`: http and https (`*`).
    scheme: Option<String>,
    /// `None`: any host; `Some((true, d))`: `d` and its subdomains; `Some((false, h))`: `h` only.
    host: Option<(bool, String)>,
    /// The path and query, `*` matching anything.
    path: String,
    source: String,
}

const SCHEMES: [&str; 4] = ["http", "https", "file", "*"];

impl MatchPattern {
    pub fn parse(text: &str) -> Result<MatchPattern, String> {
        let source = text.trim().to_owned();
        if source == "<all_urls>" {
            return Ok(MatchPattern {
                scheme: None,
                host: None,
                path: "/*".to_owned(),
                source,
            });
        }
        let (scheme, rest) = source
            .split_once("://")
            .ok_or_else(|| format!("{source:?} has no scheme://"))?;
        if !SCHEMES.contains(&scheme) {
            return Err(format!(
                "{source:?}: the scheme must be http, https, file or *"
            ));
        }
        let (host, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => return Err(format!("{source:?} has no path (add /*)")),
        };
        let host = match host {
            "*" => None,
            "" if scheme == "file" => None,
            "" => return Err(format!("{source:?} has no host")),
            wildcard if wildcard.starts_with("*.") => {
                let domain = &wildcard[2..];
                valid_host(domain, &source)?;
                Some((true, domain.to_ascii_lowercase()))
            }
            exact => {
                valid_host(exact, &source)?;
                Some((false, exact.to_ascii_lowercase()))
            }
        };
        Ok(MatchPattern {
            scheme: (scheme != "*").then(|| scheme.to_owned()),
            host,
            path: path.to_owned(),
            source,
        })
    }

    /// Whether `url` (without its fragment) matches.
    pub fn matches(&self, url: &url::Url) -> bool {
        let scheme_fits = match &self.scheme {
            Some(scheme) => url.scheme() == scheme,
            None => matches!(url.scheme(), "http" | "https"),
        };
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let host_fits = match &self.host {
            None => true,
            Some((false, exact)) => host == *exact,
            Some((true, domain)) => host == *domain || host.ends_with(&format!(".{domain}")),
        };
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        scheme_fits && host_fits && glob(&self.path, &path)
    }

    /// A JavaScript regular expression (source) for the same test on `location.href` without
    /// its fragment.
    pub fn regex(&self) -> String {
        let scheme = match &self.scheme {
            Some(scheme) => escape(scheme),
            None => "https?".to_owned(),
        };
        let host = match &self.host {
            None => "[^/]*".to_owned(),
            Some((false, exact)) => format!("{}(:\\d+)?", escape(exact)),
            Some((true, domain)) => format!("([^/:]+\\.)?{}(:\\d+)?", escape(domain)),
        };
        let path: Vec<String> = self.path.split('*').map(escape).collect();
        format!("^{scheme}://{host}{}$", path.join(".*"))
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

fn valid_host(host: &str, source: &str) -> Result<(), String> {
    // Match patterns name no port (any port matches); a bracketed IPv6 address has colons.
    let bracketed = host.starts_with('[') && host.ends_with(']');
    let fits = !host.is_empty()
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '.')
                || (bracketed && matches!(c, '[' | ']' | ':'))
        });
    if fits {
        Ok(())
    } else {
        Err(format!("{source:?}: {host:?} is not a host name"))
    }
}

/// `text` matched against `pattern`, `*` standing for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        if last {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Escape regex metacharacters (JavaScript's set).
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\^$.|?*+()[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    const CASES: [(&str, &str, bool); 14] = [
        ("*://*.example.org/*", "https://example.org/", true),
        (
            "*://*.example.org/*",
            "http://www.example.org/a/b?c=1",
            true,
        ),
        ("*://*.example.org/*", "https://notexample.org/", false),
        ("*://*.example.org/*", "ftp://example.org/", false),
        (
            "https://example.org/admin/*",
            "https://example.org/admin/users",
            true,
        ),
        (
            "https://example.org/admin/*",
            "http://example.org/admin/users",
            false,
        ),
        (
            "https://example.org/admin/*",
            "https://example.org/public",
            false,
        ),
        ("http://127.0.0.1/*", "http://127.0.0.1:8080/page", true),
        ("<all_urls>", "http://a.test/x", true),
        ("*://*/*.pdf", "https://a.test/docs/file.pdf", true),
        ("*://*/*.pdf", "https://a.test/docs/file.pdf.html", false),
        ("file:///home/*", "file:///home/me/page.html", true),
        ("https://EXAMPLE.org/*", "https://example.org/", true),
        ("*://a.test/x*y", "http://a.test/x-middle-y", true),
    ];

    #[test]
    fn patterns_match_as_extensions_define_them() {
        for (pattern, address, expected) in CASES {
            let parsed = MatchPattern::parse(pattern).unwrap();
            assert_eq!(
                parsed.matches(&url(address)),
                expected,
                "{pattern} on {address}"
            );
        }
    }

    #[test]
    fn the_regex_agrees_with_the_matcher() {
        for (pattern, address, expected) in CASES {
            let parsed = MatchPattern::parse(pattern).unwrap();
            let regex = regex::Regex::new(&parsed.regex()).unwrap();
            let href = url(address).to_string();
            assert_eq!(
                regex.is_match(&href),
                expected,
                "{} on {href}",
                parsed.regex()
            );
        }
    }

    #[test]
    fn bad_patterns_say_why() {
        for bad in [
            "example.org",
            "gopher://a/*",
            "https://a.test",
            "https:///x",
            "*://a b/*",
            "https://a.test:8080/*",
        ] {
            assert!(MatchPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
