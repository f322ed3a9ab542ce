//! The browser's use of the profile (`clef-profile`): which visits are kept, which pages go
//! into the local memory (reader passages, off the window's thread), and memory answers turned
//! into sources the assistant cites. Servo never appears here; the window hands it addresses,
//! titles and page copies.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use clef_agent::page::PageDocument;
use clef_agent::passages::{Passage, Passages};
use clef_profile::{MemoryHit, Profile, ProfileError, Store, Transition};

use crate::config::Privacy;
use crate::policies::Policies;

/// Pages and passages a memory question reads at most.
const MEMORY_PAGES: usize = 4;
const MEMORY_PASSAGES_PER_PAGE: usize = 3;

/// What the profile keeps, and the store it keeps it in.
pub struct Places {
    store: Store,
    history: bool,
    memory: bool,
    memory_exclude: Vec<String>,
    policies: Policies,
    indexer: Option<Sender<PageDocument>>,
    /// Something the user should be told about the profile (a damaged database set aside).
    pub notice: Option<String>,
}

impl Places {
    /// The profile's places, as the user's settings and the organisation's policy allow.
    pub fn open(
        profile: &Profile,
        privacy: &Privacy,
        policies: &Policies,
    ) -> Result<Self, ProfileError> {
        let opened = profile.store()?;
        let history = policies.history().unwrap_or(privacy.history);
        let memory = history && policies.memory().unwrap_or(privacy.memory);
        let indexer = memory.then(|| start_indexer(opened.store.path().to_owned()));
        Ok(Self {
            store: opened.store,
            history,
            memory,
            memory_exclude: privacy.memory_exclude.clone(),
            policies: policies.clone(),
            indexer,
            notice: opened.notice,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn keeps_history(&self) -> bool {
        self.history
    }

    pub fn keeps_memory(&self) -> bool {
        self.memory
    }

    /// Note a visit (when history is kept). A failure (a full disk) is logged: browsing goes on.
    pub fn visited(&self, url: &str, title: &str, transition: Transition) {
        if !self.history {
            return;
        }
        if let Err(error) = self
            .store
            .record_visit(url, title, transition, clef_profile::now())
        {
            tracing::warn!(%error, "visit not kept in the history");
        }
    }

    pub fn retitled(&self, url: &str, title: &str) {
        if !self.history {
            return;
        }
        if let Err(error) = self.store.set_title(url, title) {
            tracing::warn!(%error, "title not kept in the history");
        }
    }

    /// Whether the page at `url` may go into memory: memory on, a web page or file, not a site
    /// the user excluded, and one the organisation lets the assistant read.
    pub fn may_remember(&self, url: &str) -> bool {
        if !self.memory {
            return false;
        }
        let Ok(parsed) = url::Url::parse(url) else {
            return false;
        };
        if !clef_profile::keeps_scheme(parsed.scheme()) {
            return false;
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let excluded = self.memory_exclude.iter().any(|site| {
            let site = site.trim().trim_start_matches("*.").to_ascii_lowercase();
            !site.is_empty() && (host == site || host.ends_with(&format!(".{site}")))
        });
        !excluded && self.policies.check_site(url, false).is_ok()
    }

    /// Read a loaded page into memory, on the indexer's thread.
    pub fn remember(&self, document: PageDocument) {
        if !self.may_remember(&document.url) {
            return;
        }
        if let Some(indexer) = &self.indexer
            && indexer.send(document).is_err()
        {
            tracing::warn!("the memory indexer has stopped; pages are no longer remembered");
        }
    }
}

/// The thread that turns page copies into remembered passages, with its own connection.
fn start_indexer(database: PathBuf) -> Sender<PageDocument> {
    let (sender, receiver) = channel();
    let spawned = std::thread::Builder::new()
        .name("clef-memory".to_owned())
        .spawn(move || index_pages(&database, &receiver));
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the memory indexer");
    }
    sender
}

fn index_pages(database: &std::path::Path, pages: &Receiver<PageDocument>) {
    let store = match Store::open(database) {
        Ok(opened) => opened.store,
        Err(error) => {
            tracing::warn!(%error, "memory indexer cannot open the profile database");
            return;
        }
    };
    for document in pages {
        let passages = match crate::assistant::read_page(&document) {
            Ok((_, passages)) => passages,
            Err(error) => {
                tracing::debug!(%error, url = %document.url, "nothing to remember");
                continue;
            }
        };
        let texts: Vec<String> = passages.items.into_iter().map(|p| p.text).collect();
        let title = if passages.title.is_empty() {
            document.title.clone()
        } else {
            passages.title
        };
        match store.remember(&document.url, &title, &texts, clef_profile::now()) {
            Ok(true) => tracing::debug!(url = %document.url, passages = texts.len(), "remembered"),
            Ok(false) => tracing::debug!(url = %document.url, "not in the history; not remembered"),
            Err(error) => tracing::warn!(%error, "page not remembered"),
        }
    }
}

/// Import a Netscape bookmark file (Firefox's, Chrome's export) into a folder of its own;
/// returns what to tell the user.
pub fn import_bookmarks(store: &Store, path: &std::path::Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let imported = clef_profile::parse_netscape(&text);
    if imported.items.is_empty() {
        return Err(format!("{} holds no bookmarks", path.display()));
    }
    let now = clef_profile::now();
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = store
        .top_folder(&format!("Imported from {name}"), now)
        .map_err(|error| error.to_string())?;
    let added = store
        .import_bookmarks(&imported.items, Some(folder), now)
        .map_err(|error| error.to_string())?;
    let mut report = format!("{added} bookmarks imported from {}", path.display());
    if imported.skipped > 0 {
        report.push_str(&format!(
            "; {} left out (bookmarklets or addresses that are not web pages)",
            imported.skipped
        ));
    }
    Ok(report)
}

/// Write every bookmark to `path` as a Netscape bookmark file; returns what to tell the user.
pub fn export_bookmarks(store: &Store, path: &std::path::Path) -> Result<String, String> {
    let bookmarks = store.bookmarks().map_err(|error| error.to_string())?;
    let links = bookmarks
        .iter()
        .filter(|bookmark| bookmark.kind == clef_profile::BookmarkKind::Link)
        .count();
    std::fs::write(path, clef_profile::export_netscape(&bookmarks))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(format!("{links} bookmarks exported to {}", path.display()))
}

/// What memory holds about `question`, as sources the assistant reads and cites: one per page,
/// best first, its title saying where and when it was read.
pub fn memory_sources(store: &Store, question: &str) -> Result<Vec<Passages>, ProfileError> {
    let hits = store.recall(
        question,
        MEMORY_PAGES * MEMORY_PASSAGES_PER_PAGE,
        MEMORY_PASSAGES_PER_PAGE,
    )?;
    Ok(group_hits(hits, MEMORY_PAGES))
}

fn group_hits(hits: Vec<MemoryHit>, pages: usize) -> Vec<Passages> {
    let mut sources: Vec<(Passages, Vec<usize>)> = Vec::new();
    for hit in hits {
        let position = sources.iter().position(|(source, _)| source.url == hit.url);
        let index = match position {
            Some(index) => index,
            None if sources.len() < pages => {
                sources.push((
                    Passages {
                        title: format!("{} (read {})", hit.title, read_on(hit.read_at)),
                        url: hit.url.clone(),
                        ..Passages::default()
                    },
                    Vec::new(),
                ));
                sources.len() - 1
            }
            None => continue,
        };
        sources[index].1.push(hit.passage);
        sources[index].0.items.push(Passage {
            number: 0,
            heading: None,
            text: hit.text,
        });
    }
    // Reading order within each page, numbered from 1 as citations expect.
    sources
        .into_iter()
        .map(|(mut source, order)| {
            let mut items: Vec<(usize, Passage)> = order.into_iter().zip(source.items).collect();
            items.sort_by_key(|(passage, _)| *passage);
            source.items = items
                .into_iter()
                .enumerate()
                .map(|(index, (_, passage))| Passage {
                    number: index + 1,
                    ..passage
                })
                .collect();
            source
        })
        .collect()
}

/// "Tuesday 24 November 2026", in the machine's time zone: people remember days, not dates.
pub fn read_on(epoch_seconds: i64) -> String {
    jiff::Timestamp::from_second(epoch_seconds)
        .map(|time| {
            time.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%A %-d %B %Y")
                .to_string()
        })
        .unwrap_or_else(|_| crate::utc::minutes(u64::try_from(epoch_seconds).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(url: &str, passage: usize, text: &str) -> MemoryHit {
        MemoryHit {
            url: url.to_owned(),
            title: "T".to_owned(),
            read_at: 1_764_000_000,
            passage,
            text: text.to_owned(),
            rank: -1.0,
        }
    }

    #[test]
    fn hits_become_one_source_per_page_in_reading_order() {
        let sources = group_hits(
            vec![
                hit("https://a.example/", 5, "a5"),
                hit("https://b.example/", 1, "b1"),
                hit("https://a.example/", 2, "a2"),
                hit("https://c.example/", 1, "c1"),
            ],
            2,
        );
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].url, "https://a.example/");
        let texts: Vec<_> = sources[0].items.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["a2", "a5"]);
        assert_eq!(sources[0].get(2).map(|p| p.text.as_str()), Some("a5"));
        assert!(
            sources[0].title.starts_with("T (read "),
            "{}",
            sources[0].title
        );
        assert!(read_on(1_764_000_000).contains("2025"));
    }

    #[test]
    fn excluded_sites_and_policy_keep_pages_out_of_memory() {
        let dir = std::env::temp_dir().join(format!("clef-places-{}", std::process::id()));
        let profile = Profile::open(&dir).unwrap();
        let privacy = Privacy {
            memory_exclude: vec!["bank.example".to_owned()],
            ..Privacy::default()
        };
        let policies = Policies::parse(
            std::path::Path::new("test"),
            r#"{"policies": {"DomainAccess": {"secret.example": "no-access"}}}"#,
        );
        let places = Places::open(&profile, &privacy, &policies).unwrap();
        assert!(places.may_remember("https://news.example/a"));
        assert!(!places.may_remember("https://www.bank.example/login"));
        assert!(!places.may_remember("https://secret.example/"));
        assert!(!places.may_remember("data:text/html,x"));
        let off = Policies::parse(
            std::path::Path::new("test"),
            r#"{"policies": {"History": {"Memory": false}}}"#,
        );
        drop(places);
        let places = Places::open(&profile, &privacy, &off).unwrap();
        assert!(places.keeps_history() && !places.may_remember("https://news.example/a"));
        drop(places);
        drop(profile);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
