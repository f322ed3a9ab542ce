//! The local memory of what was read: reader passages of visited pages in an FTS5 index, so a
//! question about "that article about night trains" finds the page and the passage to cite.
//!
//! Each page's passages take a block of rowids (`page × PASSAGES_PER_PAGE + index`), so a page is
//! replaced or forgotten by a rowid range — no scan of the index. Passage 0 is the title.

use rusqlite::{Transaction, params};
use serde::Serialize;

use crate::{ProfileError, Store};

/// Passages kept per page (longer pages keep their first ones).
const PASSAGES_PER_PAGE: i64 = 4096;
/// Words shorter than this match exactly; longer ones also match as prefixes, so "train" finds
/// "trains" and "économie" finds "économiques" in any language the tokenizer splits.
const PREFIX_FROM: usize = 4;
/// Common words are left out of searches once memory holds this many passages.
const COMMON_FROM: i64 = 1_000;

/// A passage that answers a memory search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryHit {
    pub url: String,
    pub title: String,
    /// When the page was read (seconds since the epoch).
    pub read_at: i64,
    /// The passage's index in the page's reader text (0 is the title).
    pub passage: usize,
    pub text: String,
    /// FTS5's bm25 score: lower is better.
    pub rank: f64,
}

impl Store {
    /// Remember `passages` of `url` (which must be in the history), read at `read_at`,
    /// replacing what was kept of it before.
    pub fn remember(
        &self,
        url: &str,
        title: &str,
        passages: &[String],
        read_at: i64,
    ) -> Result<bool, ProfileError> {
        let run = || -> rusqlite::Result<bool> {
            let transaction = self.connection.unchecked_transaction()?;
            let page: Option<i64> = rusqlite::OptionalExtension::optional(transaction.query_row(
                "SELECT id FROM pages WHERE url = ?1",
                [url],
                |row| row.get(0),
            ))?;
            let Some(page) = page else {
                // Not (or no longer) in the history: nothing to remember it by.
                return Ok(false);
            };
            forget(&transaction, page)?;
            let base = page * PASSAGES_PER_PAGE;
            {
                let mut insert =
                    transaction.prepare("INSERT INTO memory (rowid, text) VALUES (?1, ?2)")?;
                insert.execute(params![base, title])?;
                let mut count = 0_i64;
                for (offset, passage) in passages
                    .iter()
                    .filter(|passage| !passage.trim().is_empty())
                    .take(usize::try_from(PASSAGES_PER_PAGE - 1).unwrap_or(usize::MAX))
                    .enumerate()
                {
                    let offset = i64::try_from(offset).unwrap_or(0);
                    insert.execute(params![base + 1 + offset, passage])?;
                    count += 1;
                }
                transaction.execute(
                    "INSERT INTO remembered (page, read_at, passages) VALUES (?1, ?2, ?3)",
                    params![page, read_at, count],
                )?;
            }
            transaction.commit()?;
            Ok(true)
        };
        run().map_err(|source| self.error(source))
    }

    /// Passages that best match `question`, at most `per_page` from one page and `limit` in all,
    /// best first.
    pub fn recall(
        &self,
        question: &str,
        limit: usize,
        per_page: usize,
    ) -> Result<Vec<MemoryHit>, ProfileError> {
        let Some(query) = self.match_query(question)? else {
            return Ok(Vec::new());
        };
        let run = || -> rusqlite::Result<Vec<MemoryHit>> {
            let mut statement = self.connection.prepare(
                "SELECT memory.rowid, memory.text, bm25(memory) AS rank,
                        pages.url, pages.title, remembered.read_at
                 FROM memory
                 JOIN pages ON pages.id = memory.rowid / ?2
                 JOIN remembered ON remembered.page = pages.id
                 WHERE memory MATCH ?1
                 ORDER BY rank LIMIT ?3",
            )?;
            // Read more than asked, so `per_page` can leave room for other pages.
            let wanted = i64::try_from(limit.saturating_mul(per_page.max(1)).max(limit) * 4)
                .unwrap_or(i64::MAX);
            let rows = statement.query_map(params![query, PASSAGES_PER_PAGE, wanted], |row| {
                let rowid: i64 = row.get(0)?;
                Ok(MemoryHit {
                    passage: usize::try_from(rowid % PASSAGES_PER_PAGE).unwrap_or(0),
                    text: row.get(1)?,
                    rank: row.get(2)?,
                    url: row.get(3)?,
                    title: row.get(4)?,
                    read_at: row.get(5)?,
                })
            })?;
            let mut hits: Vec<MemoryHit> = Vec::new();
            for hit in rows {
                let hit = hit?;
                let from_page = hits.iter().filter(|kept| kept.url == hit.url).count();
                if from_page < per_page.max(1) {
                    hits.push(hit);
                }
                if hits.len() == limit {
                    break;
                }
            }
            Ok(hits)
        };
        run().map_err(|source| self.error(source))
    }

    /// One remembered passage of a page, for a citation.
    pub fn remembered_passage(
        &self,
        url: &str,
        passage: usize,
    ) -> Result<Option<String>, ProfileError> {
        let passage = i64::try_from(passage).unwrap_or(i64::MAX);
        rusqlite::OptionalExtension::optional(self.connection.query_row(
            "SELECT memory.text FROM memory JOIN pages ON pages.url = ?1
             WHERE memory.rowid = pages.id * ?3 + ?2",
            params![url, passage, PASSAGES_PER_PAGE],
            |row| row.get(0),
        ))
        .map_err(|source| self.error(source))
    }

    /// How many pages memory holds.
    pub fn remembered_pages(&self) -> Result<usize, ProfileError> {
        self.connection
            .query_row("SELECT count(*) FROM remembered", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|count| usize::try_from(count).unwrap_or(0))
            .map_err(|source| self.error(source))
    }

    /// Forget every page memory holds (the history stays).
    pub fn clear_memory(&self) -> Result<(), ProfileError> {
        self.connection
            .execute_batch("DELETE FROM memory; DELETE FROM remembered;")
            .map_err(|source| self.error(source))
    }
}

/// Drop what memory holds of `page`.
pub(crate) fn forget(transaction: &Transaction<'_>, page: i64) -> rusqlite::Result<()> {
    let base = page * PASSAGES_PER_PAGE;
    transaction.execute(
        "DELETE FROM memory WHERE rowid >= ?1 AND rowid < ?2",
        params![base, base + PASSAGES_PER_PAGE],
    )?;
    transaction.execute("DELETE FROM remembered WHERE page = ?1", [page])?;
    Ok(())
}

impl Store {
    /// An FTS5 query for a question in any words: each word (letters and digits, as the
    /// `unicode61` tokenizer splits them) quoted, the longer ones as prefixes, any of them
    /// matching; bm25 then ranks passages holding more and rarer words first. Words found in
    /// more than a tenth of all passages ("the", "what", "de") are left out of a large memory
    /// while rarer ones remain: they barely change the ranking and make every query read most of the index.
    fn match_query(&self, question: &str) -> Result<Option<String>, ProfileError> {
        let mut words: Vec<String> = Vec::new();
        for word in question.split(|character: char| !character.is_alphanumeric()) {
            let word = word.to_lowercase();
            if !word.is_empty() && !words.contains(&word) {
                words.push(word);
            }
        }
        let passages: i64 = self
            .connection
            .query_row(
                "SELECT coalesce(sum(passages) + count(*), 0) FROM remembered",
                [],
                |row| row.get(0),
            )
            .map_err(|source| self.error(source))?;
        let mut common = Vec::new();
        for word in &words {
            let found: Option<i64> =
                rusqlite::OptionalExtension::optional(self.connection.query_row(
                    "SELECT doc FROM memory_terms WHERE term = ?1",
                    [word],
                    |row| row.get(0),
                ))
                .map_err(|source| self.error(source))?;
            // A small memory is cheap to search whole, and a tenth of it is a handful.
            common.push(passages >= COMMON_FROM && found.is_some_and(|rows| rows * 10 > passages));
        }
        let keep_all = common.iter().all(|is_common| *is_common);
        let terms: Vec<String> = words
            .iter()
            .zip(common)
            .filter(|(_, is_common)| keep_all || !is_common)
            .map(|(word, _)| {
                if word.chars().count() >= PREFIX_FROM {
                    format!("\"{word}\"*")
                } else {
                    format!("\"{word}\"")
                }
            })
            .collect();
        Ok((!terms.is_empty()).then(|| terms.join(" OR ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transition;

    fn remembered(store: &Store, url: &str, title: &str, passages: &[&str], at: i64) {
        store
            .record_visit(url, title, Transition::Typed, at)
            .unwrap();
        let passages: Vec<String> = passages.iter().map(|p| (*p).to_owned()).collect();
        assert!(store.remember(url, title, &passages, at).unwrap());
    }

    #[test]
    fn recall_finds_the_page_and_passage_in_english_and_french() {
        let store = Store::in_memory().unwrap();
        remembered(
            &store,
            "https://rail.example/night",
            "The return of night trains",
            &[
                "Sleeper services between Paris and Vienna resumed in December.",
                "Operators say demand for overnight rail travel doubled since 2020.",
            ],
            1_000,
        );
        remembered(
            &store,
            "https://cuisine.example/pain",
            "Le pain au levain",
            &[
                "La fermentation lente donne au pain une croûte épaisse.",
                "Les boulangers économisent la levure commerciale.",
            ],
            2_000,
        );
        let hits = store
            .recall("what was that article about night trains?", 3, 2)
            .unwrap();
        assert_eq!(hits[0].url, "https://rail.example/night");
        assert!(
            hits.iter()
                .all(|hit| hit.url == "https://rail.example/night")
        );

        let hits = store.recall("Quelle croute pour le pain ?", 3, 1).unwrap();
        assert_eq!(hits[0].url, "https://cuisine.example/pain");
        assert_eq!(
            store
                .remembered_passage(&hits[0].url, hits[0].passage)
                .unwrap()
                .as_deref(),
            Some(hits[0].text.as_str())
        );
        assert!(store.recall("?!", 3, 1).unwrap().is_empty());
        // Operators of FTS5's own syntax in a question are words, not syntax.
        store.recall("NEAR(\"x\" AND -y) OR *", 3, 1).unwrap();
    }

    #[test]
    fn a_large_memory_leaves_the_commonest_words_out_of_searches() {
        let store = Store::in_memory().unwrap();
        let filler: Vec<String> = (0..1_200)
            .map(|n| format!("the filler passage number {n}"))
            .collect();
        let filler: Vec<&str> = filler.iter().map(String::as_str).collect();
        remembered(&store, "https://filler.example/", "Filler", &filler, 1);
        remembered(
            &store,
            "https://sky.example/",
            "Sky",
            &["the observatory was founded by amateurs"],
            2,
        );
        let query = store.match_query("the observatory").unwrap().unwrap();
        assert_eq!(query, "\"observatory\"*");
        // All common: kept, rather than searching for nothing.
        assert_eq!(store.match_query("the").unwrap().unwrap(), "\"the\"");
        let hits = store.recall("the observatory", 3, 1).unwrap();
        assert_eq!(hits[0].url, "https://sky.example/");
    }

    #[test]
    fn forgetting_history_forgets_memory_and_rereading_replaces_it() {
        let store = Store::in_memory().unwrap();
        remembered(
            &store,
            "https://a.example/",
            "A",
            &["alpha passage one"],
            100,
        );
        remembered(
            &store,
            "https://a.example/",
            "A",
            &["alpha passage two"],
            200,
        );
        let hits = store.recall("alpha", 10, 10).unwrap();
        assert_eq!(hits.len(), 1, "the first reading was replaced: {hits:?}");
        assert!(hits[0].text.ends_with("two"));
        remembered(&store, "https://b.example/", "B", &["beta passage"], 5_000);
        store.clear_since(4_000).unwrap();
        assert!(store.recall("beta", 10, 10).unwrap().is_empty());
        assert_eq!(store.remembered_pages().unwrap(), 1);
        store.delete_page("https://a.example/").unwrap();
        assert!(store.recall("alpha", 10, 10).unwrap().is_empty());
        assert!(
            !store
                .remember("https://never.example/", "N", &[], 1)
                .unwrap()
        );
    }
}
