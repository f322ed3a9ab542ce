//! Cookies that survive a crash. Servo 0.7 writes its cookie jar (`cookie_jar.json` in its
//! config dir) only when it shuts down cleanly, and gives the embedder no way to ask for a
//! write. So Clef keeps its own copy: every couple of seconds, and after each page load, it asks
//! Servo for the cookies of the sites and pages seen, and writes them (0600, atomically) to
//! `cookies.json` in the profile. At start, when that copy is newer than Servo's jar (the last
//! run did not shut down cleanly), its cookies are handed back to Servo before any page loads.
//!
//! What a restore cannot bring back exactly: a host-only cookie returns as a cookie for its
//! domain (Servo reports every cookie with a domain), and the last-access order is lost.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cookie::time::OffsetDateTime;
use cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use servo::{CookieSource, Servo, StorageType};
use url::Url;

/// How often the cookie copy is refreshed: what a crash may lose at most.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_secs(2);
/// Page addresses whose cookies are asked for, besides each site's root.
const PAGES_KEPT: usize = 200;
const SERVO_JAR: &str = "cookie_jar.json";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct SavedCookie {
    domain: String,
    path: String,
    name: String,
    value: String,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
    /// Seconds since the epoch; `None` for a session cookie.
    expires: Option<i64>,
}

impl SavedCookie {
    fn from_servo(cookie: &Cookie<'_>, url: &Url) -> Self {
        let domain = cookie
            .domain()
            .map(|domain| domain.trim_start_matches('.').to_ascii_lowercase())
            .filter(|domain| !domain.is_empty())
            .unwrap_or_else(|| url.host_str().unwrap_or_default().to_ascii_lowercase());
        Self {
            domain,
            path: cookie.path().unwrap_or("/").to_owned(),
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            secure: cookie.secure().unwrap_or(false),
            http_only: cookie.http_only().unwrap_or(false),
            same_site: cookie.same_site().map(|same_site| same_site.to_string()),
            expires: cookie
                .expires_datetime()
                .map(OffsetDateTime::unix_timestamp),
        }
    }

    /// Whether Servo would send this cookie to `url` (RFC 6265 domain, path and Secure).
    fn applies_to(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let domain_matches = host == self.domain || host.ends_with(&format!(".{}", self.domain));
        let path = url.path();
        let path_matches = path == self.path
            || (path.starts_with(&self.path)
                && (self.path.ends_with('/') || path[self.path.len()..].starts_with('/')));
        domain_matches && path_matches && (!self.secure || url.scheme() == "https")
    }

    fn expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }

    fn to_servo(&self) -> Option<(Url, Cookie<'static>)> {
        let scheme = if self.secure { "https" } else { "http" };
        let url = Url::parse(&format!("{scheme}://{}{}", self.domain, self.path)).ok()?;
        let mut cookie = Cookie::build((self.name.clone(), self.value.clone()))
            .domain(self.domain.clone())
            .path(self.path.clone())
            .secure(self.secure)
            .http_only(self.http_only)
            .build();
        if let Some(same_site) = self.same_site.as_deref() {
            cookie.set_same_site(match same_site {
                "Strict" => SameSite::Strict,
                "None" => SameSite::None,
                _ => SameSite::Lax,
            });
        }
        if let Some(expires) = self.expires {
            // Expires, not Max-Age: a Max-Age would restart the cookie's life from now.
            cookie.set_expires(OffsetDateTime::from_unix_timestamp(expires).ok()?);
        }
        Some((url, cookie))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Jar {
    cookies: BTreeSet<SavedCookie>,
}

/// The profile's copy of Servo's cookies.
pub(crate) struct CookieKeeper {
    path: PathBuf,
    jar: Jar,
    pages: Vec<Url>,
    written: Option<String>,
    last: Instant,
}

impl CookieKeeper {
    /// The keeper for a profile whose Servo config dir is `engine_dir`, restoring into `servo`
    /// the cookies a crash kept from Servo's own jar.
    pub(crate) fn start(profile_dir: &Path, engine_dir: &Path, servo: &Servo) -> Self {
        let path = profile_dir.join("cookies.json");
        let jar: Jar = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let modified = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|meta| meta.modified())
                .ok()
        };
        let servo_jar = modified(&engine_dir.join(SERVO_JAR));
        let ours = modified(&path);
        // Servo's own jar is exact; ours is only needed when it is missing or older.
        let restore = match (ours, servo_jar) {
            (Some(ours), Some(servo_jar)) => ours > servo_jar,
            (Some(_), None) => true,
            _ => false,
        };
        if restore {
            let now = clef_profile::now();
            let mut restored = 0;
            for saved in jar.cookies.iter().filter(|saved| !saved.expired(now)) {
                if let Some((url, cookie)) = saved.to_servo() {
                    servo
                        .site_data_manager()
                        .set_cookie_for_url(url, cookie, None);
                    restored += 1;
                }
            }
            tracing::info!(restored, "cookies restored after an unclean exit");
        }
        Self {
            path,
            jar,
            pages: Vec::new(),
            written: None,
            last: Instant::now(),
        }
    }

    /// A page was shown: its cookies are asked for from now on.
    pub(crate) fn saw(&mut self, url: &Url) {
        if !matches!(url.scheme(), "http" | "https") {
            return;
        }
        let mut page = url.clone();
        page.set_query(None);
        page.set_fragment(None);
        if self.pages.contains(&page) {
            return;
        }
        if self.pages.len() == PAGES_KEPT {
            self.pages.remove(0);
        }
        self.pages.push(page);
    }

    pub(crate) fn due(&self) -> bool {
        self.last.elapsed() >= FLUSH_INTERVAL
    }

    /// Ask Servo for the cookies of every site and page seen, and write the copy if it changed.
    pub(crate) fn flush(&mut self, servo: &Servo) {
        self.last = Instant::now();
        let manager = servo.site_data_manager();
        let mut urls: Vec<Url> = self.pages.clone();
        for site in manager.site_data(StorageType::Cookies) {
            for scheme in ["https", "http"] {
                if let Ok(url) = Url::parse(&format!("{scheme}://{}/", site.name())) {
                    urls.push(url);
                }
            }
        }
        for url in urls {
            let cookies = manager.cookies_for_url(url.clone(), CookieSource::HTTP);
            // What Servo would send to this address now replaces what the copy had for it.
            self.jar.cookies.retain(|saved| !saved.applies_to(&url));
            self.jar.cookies.extend(
                cookies
                    .iter()
                    .map(|cookie| SavedCookie::from_servo(cookie, &url)),
            );
        }
        let now = clef_profile::now();
        self.jar.cookies.retain(|saved| !saved.expired(now));
        let Ok(text) = serde_json::to_string(&self.jar) else {
            return;
        };
        if self.written.as_deref() == Some(text.as_str()) {
            return;
        }
        match write_private(&self.path, text.as_bytes()) {
            Ok(()) => self.written = Some(text),
            Err(error) => tracing::warn!(%error, path = %self.path.display(), "cookies not saved"),
        }
    }
}

/// Replace `path` with `bytes`, readable by the user alone, never half-written.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("json.partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)?;
    file.write_all(bytes)?;
    file.sync_data()?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(domain: &str, path: &str, secure: bool) -> SavedCookie {
        SavedCookie {
            domain: domain.to_owned(),
            path: path.to_owned(),
            name: "n".to_owned(),
            value: "v".to_owned(),
            secure,
            http_only: false,
            same_site: None,
            expires: None,
        }
    }

    #[test]
    fn cookies_apply_by_domain_path_and_scheme() {
        let url = |text: &str| Url::parse(text).unwrap();
        assert!(saved("example.org", "/", false).applies_to(&url("http://a.example.org/x")));
        assert!(!saved("example.org", "/", false).applies_to(&url("http://badexample.org/")));
        assert!(saved("example.org", "/docs", false).applies_to(&url("http://example.org/docs/a")));
        assert!(!saved("example.org", "/docs", false).applies_to(&url("http://example.org/docsx")));
        assert!(!saved("example.org", "/", true).applies_to(&url("http://example.org/")));
        assert!(saved("127.0.0.1", "/", false).applies_to(&url("http://127.0.0.1:8080/")));
    }

    #[test]
    fn a_saved_cookie_goes_back_with_its_expiry_and_no_max_age() {
        let mut cookie = saved("example.org", "/app", true);
        cookie.expires = Some(2_000_000_000);
        cookie.same_site = Some("Strict".to_owned());
        let (url, servo_cookie) = cookie.to_servo().unwrap();
        assert_eq!(url.as_str(), "https://example.org/app");
        assert_eq!(servo_cookie.max_age(), None);
        assert_eq!(
            servo_cookie
                .expires_datetime()
                .map(OffsetDateTime::unix_timestamp),
            Some(2_000_000_000)
        );
        assert_eq!(SavedCookie::from_servo(&servo_cookie, &url), cookie);
    }
}
