//! Visits: every page the user opened, with its title, when and how it was reached.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{ProfileError, Store};

/// How a visit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Typed or pasted in the address bar, or given on the command line.
    Typed,
    /// A link, a form or a script on the page before.
    Link,
    /// Back or forward.
    BackForward,
    Reload,
    /// Opened from a bookmark.
    Bookmark,
    /// Reopened by session restore.
    Restored,
    /// Opened for a page in a new tab or window.
    NewWindow,
}

impl Transition {
    fn as_str(self) -> &'static str {
        match self {
            Self::Typed => "typed",
            Self::Link => "link",
            Self::BackForward => "back_forward",
            Self::Reload => "reload",
            Self::Bookmark => "bookmark",
            Self::Restored => "restored",
            Self::NewWindow => "new_window",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "typed" => Self::Typed,
            "back_forward" => Self::BackForward,
            "reload" => Self::Reload,
            "bookmark" => Self::Bookmark,
            "restored" => Self::Restored,
            "new_window" => Self::NewWindow,
            _ => Self::Link,
        }
    }
}

/// A page in the history: its latest visit and how many there were.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visit {
    pub url: String,
    pub title: String,
    /// Seconds since the Unix epoch.
    pub last_visit: i64,
    pub visit_count: i64,
    pub transition: Transition,
}

impl Store {
    /// Note a visit to `url` at `at`. Only web pages and files are history; Clef's own pages
    /// (`data:`, `about:`) are not.
    pub fn record_visit(
        &self,
        url: &str,
        title: &str,
        transition: Transition,
        at: i64,
    ) -> Result<(), ProfileError> {
        if !is_history(url) {
            return Ok(());
        }
        let run = || -> rusqlite::Result<()> {
            let transaction = self.connection.unchecked_transaction()?;
            transaction.execute(
                "INSERT INTO pages (url, title, folded, visit_count, last_visit)
                 VALUES (?1, ?2, ?4, 1, ?3)
                 ON CONFLICT(url) DO UPDATE SET visit_count = visit_count + 1,
                     last_visit = max(last_visit, excluded.last_visit),
                     title = CASE WHEN excluded.title = '' THEN title ELSE excluded.title END,
                     folded = CASE WHEN excluded.title = '' THEN folded
                         ELSE excluded.folded END",
                params![url, title, at, folded(url, title)],
            )?;
            transaction.execute(
                "INSERT INTO visits (page, at, transition)
                 SELECT id, ?2, ?3 FROM pages WHERE url = ?1",
                params![url, at, transition.as_str()],
            )?;
            transaction.commit()
        };
        run().map_err(|source| self.error(source))
    }

    /// A page's title arrived (after the visit was noted).
    pub fn set_title(&self, url: &str, title: &str) -> Result<(), ProfileError> {
        if title.is_empty() {
            return Ok(());
        }
        self.connection
            .execute(
                "UPDATE pages SET title = ?2, folded = ?3 WHERE url = ?1",
                params![url, title, folded(url, title)],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    /// Pages visited, newest first, whose address or title holds every word of `query` (all
    /// pages when it is empty).
    pub fn history(&self, query: &str, limit: usize) -> Result<Vec<Visit>, ProfileError> {
        let words: Vec<String> = query
            .split_whitespace()
            .map(|word| format!("%{}%", escape_like(&word.to_lowercase())))
            .collect();
        let mut sql = String::from(
            "SELECT url, title, last_visit, visit_count,
                 (SELECT transition FROM visits WHERE visits.page = pages.id
                  ORDER BY at DESC LIMIT 1)
             FROM pages WHERE visit_count > 0",
        );
        for index in 1..=words.len() {
            sql.push_str(&format!(" AND folded LIKE ?{index} ESCAPE '\\'"));
        }
        sql.push_str(&format!(" ORDER BY last_visit DESC, id DESC LIMIT {limit}"));
        let run = || -> rusqlite::Result<Vec<Visit>> {
            let mut statement = self.connection.prepare(&sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(&words), visit_row)?;
            rows.collect()
        };
        run().map_err(|source| self.error(source))
    }

    /// Address-bar suggestions for what the user is typing: visited pages and bookmarks whose
    /// address (without its scheme and `www.`) starts with `text`, or whose title or address
    /// holds it; most visited first, bookmarks before pages seen once.
    pub fn suggest(&self, text: &str, limit: usize) -> Result<Vec<Suggestion>, ProfileError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let contains = format!("%{}%", escape_like(&text.to_lowercase()));
        let prefix = format!("{}%", escape_like(text));
        let run = || -> rusqlite::Result<Vec<Suggestion>> {
            let mut statement = self.connection.prepare(
                "SELECT url, title, bookmarked, score FROM (
                    SELECT pages.url AS url, pages.title AS title,
                        EXISTS (SELECT 1 FROM bookmarks WHERE bookmarks.url = pages.url)
                            AS bookmarked,
                        visit_count AS score, last_visit
                    FROM pages WHERE visit_count > 0
                    UNION ALL
                    SELECT url, title, 1, 0, added FROM bookmarks
                    WHERE kind = 'link'
                      AND url NOT IN (SELECT url FROM pages WHERE visit_count > 0)
                 )
                 WHERE (ltrim(replace(replace(replace(url, 'https://', ''), 'http://', ''),
                        'www.', ''), '/') LIKE ?1 ESCAPE '\\')
                    OR url LIKE ?2 ESCAPE '\\' OR title LIKE ?2 ESCAPE '\\'
                 ORDER BY (ltrim(replace(replace(replace(url, 'https://', ''), 'http://', ''),
                        'www.', ''), '/') LIKE ?1 ESCAPE '\\') DESC,
                    bookmarked * 2 + score DESC, last_visit DESC
                 LIMIT ?3",
            )?;
            let rows = statement.query_map(
                params![prefix, contains, i64::try_from(limit).unwrap_or(i64::MAX)],
                |row| {
                    Ok(Suggestion {
                        url: row.get(0)?,
                        title: row.get(1)?,
                        bookmarked: row.get(2)?,
                    })
                },
            )?;
            rows.collect()
        };
        run().map_err(|source| self.error(source))
    }

    /// Forget one page: its visits and what memory kept of it.
    pub fn delete_page(&self, url: &str) -> Result<bool, ProfileError> {
        let run = || -> rusqlite::Result<bool> {
            let transaction = self.connection.unchecked_transaction()?;
            let id: Option<i64> = transaction
                .query_row("SELECT id FROM pages WHERE url = ?1", [url], |row| {
                    row.get(0)
                })
                .optional()?;
            let Some(id) = id else { return Ok(false) };
            crate::memory::forget(&transaction, id)?;
            transaction.execute("DELETE FROM pages WHERE id = ?1", [id])?;
            transaction.commit()?;
            Ok(true)
        };
        run().map_err(|source| self.error(source))
    }

    /// Forget every visit since `since` (seconds since the epoch; 0 clears all), and every page
    /// left with no visit, with what memory kept of it. Returns the pages forgotten.
    pub fn clear_since(&self, since: i64) -> Result<usize, ProfileError> {
        let run = || -> rusqlite::Result<usize> {
            let transaction = self.connection.unchecked_transaction()?;
            transaction.execute("DELETE FROM visits WHERE at >= ?1", [since])?;
            transaction.execute(
                "UPDATE pages SET
                    visit_count = (SELECT count(*) FROM visits WHERE visits.page = pages.id),
                    last_visit = coalesce(
                        (SELECT max(at) FROM visits WHERE visits.page = pages.id), 0)
                 WHERE last_visit >= ?1",
                [since],
            )?;
            // Memory of a page read since then goes too, even if it had older visits.
            let read_since: Vec<i64> = {
                let mut statement = transaction.prepare(
                    "SELECT page FROM remembered WHERE read_at >= ?1
                     OR page IN (SELECT id FROM pages WHERE visit_count = 0)",
                )?;
                let rows = statement.query_map([since], |row| row.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for page in read_since {
                crate::memory::forget(&transaction, page)?;
            }
            let gone = transaction.execute("DELETE FROM pages WHERE visit_count = 0", [])?;
            transaction.commit()?;
            Ok(gone)
        };
        let gone = run().map_err(|source| self.error(source))?;
        if since == 0 {
            // Clearing everything also gives the space back.
            let _ = self.connection.execute_batch("VACUUM");
        }
        Ok(gone)
    }

    /// How many pages the history holds.
    pub fn history_len(&self) -> Result<usize, ProfileError> {
        self.connection
            .query_row(
                "SELECT count(*) FROM pages WHERE visit_count > 0",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map(|count| usize::try_from(count).unwrap_or(0))
            .map_err(|source| self.error(source))
    }
}

/// An address-bar suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub url: String,
    pub title: String,
    pub bookmarked: bool,
}

fn visit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Visit> {
    let transition: Option<String> = row.get(4)?;
    Ok(Visit {
        url: row.get(0)?,
        title: row.get(1)?,
        last_visit: row.get(2)?,
        visit_count: row.get(3)?,
        transition: Transition::parse(transition.as_deref().unwrap_or("")),
    })
}

/// Web pages and local files are history; Clef's own pages and blank ones are not.
pub(crate) fn is_history(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| crate::keeps_scheme(url.scheme()))
}

/// What history searches match: the address and title, lower-cased.
fn folded(url: &str, title: &str) -> String {
    format!("{url} {title}").to_lowercase()
}

pub(crate) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::in_memory().unwrap()
    }

    #[test]
    fn visits_are_counted_searched_and_newest_first() {
        let store = store();
        store
            .record_visit(
                "https://trains.example/night",
                "Night trains",
                Transition::Typed,
                100,
            )
            .unwrap();
        store
            .record_visit("https://news.example/a", "", Transition::Link, 200)
            .unwrap();
        store
            .set_title("https://news.example/a", "Élections 2026")
            .unwrap();
        store
            .record_visit("https://trains.example/night", "", Transition::Reload, 300)
            .unwrap();
        store
            .record_visit("data:text/html,x", "x", Transition::Typed, 400)
            .unwrap();

        let all = store.history("", 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].url, "https://trains.example/night");
        assert_eq!(
            all[0].title, "Night trains",
            "an empty title keeps the known one"
        );
        assert_eq!(all[0].visit_count, 2);
        assert_eq!(all[0].transition, Transition::Reload);
        assert_eq!(all[1].title, "Élections 2026");

        assert_eq!(store.history("night TRAINS", 10).unwrap().len(), 1);
        assert_eq!(store.history("news élections", 10).unwrap().len(), 1);
        assert!(store.history("100%", 10).unwrap().is_empty());
    }

    #[test]
    fn clearing_the_last_hour_keeps_older_pages() {
        let store = store();
        store
            .record_visit("https://old.example/", "Old", Transition::Typed, 1_000)
            .unwrap();
        store
            .record_visit("https://both.example/", "Both", Transition::Typed, 1_000)
            .unwrap();
        store
            .record_visit("https://both.example/", "Both", Transition::Link, 5_000)
            .unwrap();
        store
            .record_visit("https://new.example/", "New", Transition::Typed, 5_000)
            .unwrap();
        assert_eq!(store.clear_since(4_000).unwrap(), 1);
        let left = store.history("", 10).unwrap();
        let urls: Vec<_> = left.iter().map(|visit| visit.url.as_str()).collect();
        assert_eq!(urls, ["https://both.example/", "https://old.example/"]);
        assert_eq!(left[0].last_visit, 1_000);
        assert_eq!(left[0].visit_count, 1);
        assert!(store.delete_page("https://old.example/").unwrap());
        assert!(!store.delete_page("https://old.example/").unwrap());
        store.clear_since(0).unwrap();
        assert_eq!(store.history_len().unwrap(), 0);
    }

    #[test]
    fn suggestions_prefer_address_prefixes_then_the_most_visited() {
        let store = store();
        for at in 0..3 {
            store
                .record_visit(
                    "https://www.example.org/docs",
                    "Docs",
                    Transition::Typed,
                    at,
                )
                .unwrap();
        }
        store
            .record_visit(
                "https://blog.example.com/",
                "Example blog",
                Transition::Link,
                9,
            )
            .unwrap();
        store
            .record_visit(
                "https://other.test/?q=example",
                "Other",
                Transition::Link,
                9,
            )
            .unwrap();
        let suggested = store.suggest("exa", 5).unwrap();
        let urls: Vec<_> = suggested.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls[0], "https://www.example.org/docs");
        assert_eq!(urls.len(), 3, "{urls:?}");
        assert!(store.suggest("  ", 5).unwrap().is_empty());
    }
}
