//! Copies of the web pages the user opened, kept on this machine so that they can be read,
//! summarized and asked about with the network cut: `$XDG_CACHE_HOME/clef/pages/<key>.html`
//! beside `<key>.json` (address, title, when). A copy is the page as it was shown (the DOM after
//! scripts ran, scripts themselves left out but JSON-LD data kept) with a `<base>` so its links
//! still point home.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use url::Url;

/// Run in the page: its DOM as HTML, without scripts, with a charset and a base address.
pub const COPY_SCRIPT: &str = r#"(() => {
  const root = document.documentElement.cloneNode(true);
  // Code goes; JSON-LD stays, as data the reader takes the byline and dates from.
  for (const script of root.querySelectorAll('script:not([type="application/ld+json"]), noscript')) script.remove();
  let head = root.querySelector('head');
  if (!head) { head = document.createElement('head'); root.prepend(head); }
  for (const meta of head.querySelectorAll('meta[charset], meta[http-equiv]')) meta.remove();
  if (!head.querySelector('base[href]')) {
    const base = document.createElement('base');
    base.href = document.baseURI;
    head.prepend(base);
  }
  const charset = document.createElement('meta');
  charset.setAttribute('charset', 'utf-8');
  head.prepend(charset);
  return '<!doctype html>\n' + root.outerHTML;
})()"#;

#[derive(Debug, thiserror::Error)]
pub enum PageCacheError {
    #[error("only web pages are kept, not {0}")]
    NotAWebPage(String),
    #[error("cannot write the saved copy in {dir}: {source}")]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// A saved copy of one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPage {
    pub url: String,
    pub title: String,
    /// Seconds since the Unix epoch.
    pub saved_at: u64,
    #[serde(skip)]
    pub file: PathBuf,
}

impl SavedPage {
    /// When the copy was saved, as "YYYY-MM-DD HH:MM UTC".
    pub fn saved_at_utc(&self) -> String {
        crate::utc::minutes(self.saved_at)
    }
}

/// The site a task on a page works for, and the origins it may work in. A saved copy is its
/// site's page: the site's address (for its policy) and origin count, and the copy's own place
/// (a local file) is allowed besides. `None` where the page has no origin to act on.
pub fn task_site(page_url: &str, saved_copy: Option<&SavedPage>) -> Option<(String, Vec<String>)> {
    use clef_agent::act::origin_of;
    let site_url = saved_copy.map_or(page_url, |saved| saved.url.as_str());
    let mut origins = vec![origin_of(site_url)?];
    if saved_copy.is_some() {
        origins.extend(origin_of(page_url));
    }
    Some((site_url.to_owned(), origins))
}

/// The folder of saved copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCache {
    dir: PathBuf,
}

impl PageCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/clef/pages`, where the user's cache directory is known.
    pub fn user_default() -> Option<Self> {
        dirs::cache_dir().map(|dir| Self::new(dir.join("clef").join("pages")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keep `html` as the copy of `url` (http and https only), replacing an older one.
    pub fn save(&self, url: &Url, title: &str, html: &str) -> Result<SavedPage, PageCacheError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PageCacheError::NotAWebPage(url.scheme().to_owned()));
        }
        let address = address(url);
        let key = key(&address);
        let saved = SavedPage {
            url: address,
            title: title.to_owned(),
            saved_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs()),
            file: self.dir.join(format!("{key}.html")),
        };
        let write = |source| PageCacheError::Write {
            dir: self.dir.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(write)?;
        // The page first, then the record that points to it: a record is never left pointing
        // at half a page.
        write_atomically(&saved.file, html.as_bytes()).map_err(write)?;
        let record = serde_json::to_vec(&saved).unwrap_or_default();
        write_atomically(&self.dir.join(format!("{key}.json")), &record).map_err(write)?;
        Ok(saved)
    }

    /// The saved copy of `url`, if there is a whole one.
    pub fn find(&self, url: &Url) -> Option<SavedPage> {
        let address = address(url);
        let key = key(&address);
        let record = std::fs::read(self.dir.join(format!("{key}.json"))).ok()?;
        let mut saved: SavedPage = serde_json::from_slice(&record).ok()?;
        // Two addresses may share a key; the record says which one it holds.
        if saved.url != address {
            return None;
        }
        saved.file = self.dir.join(format!("{key}.html"));
        saved.file.exists().then_some(saved)
    }
}

impl PageCache {
    /// Drop the copy of `url` (its history entry was forgotten); whether there was one.
    pub fn forget(&self, url: &Url) -> bool {
        if self.find(url).is_none() {
            return false;
        }
        let key = key(&address(url));
        let removed = std::fs::remove_file(self.dir.join(format!("{key}.json"))).is_ok();
        let _ = std::fs::remove_file(self.dir.join(format!("{key}.html")));
        removed
    }

    /// Drop every copy saved at or after `since` (seconds since the epoch; 0: all), as the
    /// history of that time is cleared; how many went.
    pub fn forget_since(&self, since: u64) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut forgotten = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|extension| extension.to_str()) != Some("json") {
                continue;
            }
            let saved_at = std::fs::read(&path)
                .ok()
                .and_then(|record| serde_json::from_slice::<SavedPage>(&record).ok())
                .map(|saved| saved.saved_at);
            // An unreadable record is dropped with the rest when everything goes.
            if saved_at.map_or(since == 0, |saved_at| saved_at >= since) {
                let _ = std::fs::remove_file(path.with_extension("html"));
                if std::fs::remove_file(&path).is_ok() {
                    forgotten += 1;
                }
            }
        }
        forgotten
    }
}

/// The address a copy is kept under: the fragment names a place in the page, not a page.
fn address(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.into()
}

/// FNV-1a (64 bits) of the address: a short, stable file name.
fn key(address: &str) -> String {
    let hash = address
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}")
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(name: &str) -> PageCache {
        let dir =
            std::env::temp_dir().join(format!("clef-page-cache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        PageCache::new(dir)
    }

    #[test]
    fn forgetting_history_forgets_the_copies() {
        let cache = cache("forget");
        let first = Url::parse("http://example.test/first").unwrap();
        let second = Url::parse("http://example.test/second").unwrap();
        cache.save(&first, "First", "<p>one").unwrap();
        cache.save(&second, "Second", "<p>two").unwrap();
        assert!(cache.forget(&first));
        assert!(!cache.forget(&first));
        assert!(cache.find(&first).is_none() && cache.find(&second).is_some());
        // Copies older than the cut stay; from it on, they go.
        let future = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
            + 3_600;
        assert_eq!(cache.forget_since(future), 0);
        assert_eq!(cache.forget_since(0), 1);
        assert!(cache.find(&second).is_none());
        let left: Vec<_> = std::fs::read_dir(cache.dir()).unwrap().flatten().collect();
        assert!(left.is_empty(), "{left:?}");
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn a_saved_page_is_found_by_its_address_without_the_fragment() {
        let cache = cache("found");
        let url = Url::parse("http://example.test/a?b=1#part").unwrap();
        let saved = cache.save(&url, "A page", "<p>hello").unwrap();
        let found = cache
            .find(&Url::parse("http://example.test/a?b=1").unwrap())
            .unwrap();
        assert_eq!(found, saved);
        assert_eq!(found.url, "http://example.test/a?b=1");
        assert_eq!(std::fs::read_to_string(&found.file).unwrap(), "<p>hello");
        assert!(
            cache
                .find(&Url::parse("http://example.test/a").unwrap())
                .is_none()
        );
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn a_newer_copy_replaces_the_older_one() {
        let cache = cache("newer");
        let url = Url::parse("https://example.test/").unwrap();
        cache.save(&url, "Old", "old").unwrap();
        cache.save(&url, "New", "new").unwrap();
        let found = cache.find(&url).unwrap();
        assert_eq!(found.title, "New");
        assert_eq!(std::fs::read_to_string(&found.file).unwrap(), "new");
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn only_web_pages_are_kept_and_broken_records_are_not_found() {
        let cache = cache("broken");
        let file = Url::parse("file:///tmp/page.html").unwrap();
        assert!(matches!(
            cache.save(&file, "", ""),
            Err(PageCacheError::NotAWebPage(_))
        ));
        let url = Url::parse("http://example.test/").unwrap();
        let saved = cache.save(&url, "Page", "<p>x").unwrap();
        std::fs::write(saved.file.with_extension("json"), "{not json").unwrap();
        assert!(cache.find(&url).is_none());
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn a_task_on_a_saved_copy_works_for_its_site() {
        let page = "http://example.test/form";
        assert_eq!(
            task_site(page, None),
            Some((page.to_owned(), vec!["http://example.test".to_owned()]))
        );
        let saved = SavedPage {
            url: page.to_owned(),
            title: String::new(),
            saved_at: 0,
            file: PathBuf::from("/cache/0123.html"),
        };
        assert_eq!(
            task_site("file:///cache/0123.html", Some(&saved)),
            Some((
                page.to_owned(),
                vec!["http://example.test".to_owned(), "file://".to_owned()]
            ))
        );
        assert_eq!(task_site("about:blank", None), None);
    }

    #[test]
    fn keys_are_stable() {
        // A changed key would orphan every copy users already have.
        assert_eq!(key(""), "cbf29ce484222325");
        assert_eq!(key("a"), "af63dc4c8601ec8c");
    }
}
