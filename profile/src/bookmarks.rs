//! Bookmarks: links in folders, in the order the user left them.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{ProfileError, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BookmarkKind {
    Folder,
    Link,
}

/// A bookmark or a folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bookmark {
    pub id: i64,
    /// The folder it is in; `None` at the top.
    pub parent: Option<i64>,
    pub kind: BookmarkKind,
    pub title: String,
    /// Set for links.
    pub url: Option<String>,
    /// Seconds since the epoch.
    pub added: i64,
}

/// A bookmark or folder to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBookmark {
    pub parent: Option<i64>,
    pub kind: BookmarkKind,
    pub title: String,
    pub url: Option<String>,
    pub added: i64,
}

impl Store {
    /// Add a bookmark or folder at the end of its folder; returns its id.
    pub fn add_bookmark(&self, new: &NewBookmark) -> Result<i64, ProfileError> {
        if new.kind == BookmarkKind::Link && new.url.as_deref().is_none_or(str::is_empty) {
            return Err(ProfileError::Invalid(
                "a bookmark needs an address".to_owned(),
            ));
        }
        let kind = match new.kind {
            BookmarkKind::Folder => "folder",
            BookmarkKind::Link => "link",
        };
        let run = || -> rusqlite::Result<i64> {
            self.connection.execute(
                "INSERT INTO bookmarks (parent, kind, title, url, added, position)
                 VALUES (?1, ?2, ?3, ?4, ?5,
                     (SELECT coalesce(max(position), 0) + 1 FROM bookmarks
                      WHERE parent IS ?1))",
                params![new.parent, kind, new.title, new.url, new.added],
            )?;
            Ok(self.connection.last_insert_rowid())
        };
        run().map_err(|source| self.error(source))
    }

    /// Every bookmark and folder, each folder's content in order, parents before children.
    pub fn bookmarks(&self) -> Result<Vec<Bookmark>, ProfileError> {
        let run = || -> rusqlite::Result<Vec<Bookmark>> {
            let mut statement = self.connection.prepare(
                "WITH RECURSIVE tree(id, depth_path) AS (
                     SELECT id, printf('%08d', position) FROM bookmarks WHERE parent IS NULL
                     UNION ALL
                     SELECT bookmarks.id, tree.depth_path || '/' || printf('%08d', position)
                     FROM bookmarks JOIN tree ON bookmarks.parent = tree.id
                 )
                 SELECT bookmarks.id, parent, kind, title, url, added
                 FROM tree JOIN bookmarks ON bookmarks.id = tree.id
                 ORDER BY tree.depth_path",
            )?;
            let rows = statement.query_map([], bookmark_row)?;
            rows.collect()
        };
        run().map_err(|source| self.error(source))
    }

    /// The bookmark for `url`, if it has one (the star in the address bar).
    pub fn bookmark_for(&self, url: &str) -> Result<Option<Bookmark>, ProfileError> {
        self.connection
            .query_row(
                "SELECT id, parent, kind, title, url, added FROM bookmarks
                 WHERE kind = 'link' AND url = ?1 ORDER BY id LIMIT 1",
                [url],
                bookmark_row,
            )
            .optional()
            .map_err(|source| self.error(source))
    }

    /// Remove a bookmark, or a folder with everything in it.
    pub fn remove_bookmark(&self, id: i64) -> Result<bool, ProfileError> {
        self.connection
            .execute("DELETE FROM bookmarks WHERE id = ?1", [id])
            .map(|removed| removed > 0)
            .map_err(|source| self.error(source))
    }

    /// Move a bookmark or folder to the end of folder `parent` (the top when `None`). A folder
    /// cannot go inside itself.
    pub fn move_bookmark(&self, id: i64, parent: Option<i64>) -> Result<bool, ProfileError> {
        let run = || -> rusqlite::Result<bool> {
            if let Some(target) = parent {
                let inside_itself: bool = self.connection.query_row(
                    "WITH RECURSIVE up(id, parent) AS (
                         SELECT id, parent FROM bookmarks WHERE id = ?1
                         UNION ALL
                         SELECT bookmarks.id, bookmarks.parent FROM bookmarks
                         JOIN up ON bookmarks.id = up.parent
                     )
                     SELECT EXISTS (SELECT 1 FROM up WHERE id = ?2)",
                    params![target, id],
                    |row| row.get(0),
                )?;
                let is_folder: bool = self
                    .connection
                    .query_row(
                        "SELECT kind = 'folder' FROM bookmarks WHERE id = ?1",
                        [target],
                        |row| row.get(0),
                    )
                    .optional()?
                    .unwrap_or(false);
                if inside_itself || !is_folder {
                    return Ok(false);
                }
            }
            let moved = self.connection.execute(
                "UPDATE bookmarks SET parent = ?2,
                     position = (SELECT coalesce(max(position), 0) + 1 FROM bookmarks
                                 WHERE parent IS ?2)
                 WHERE id = ?1",
                params![id, parent],
            )?;
            Ok(moved > 0)
        };
        run().map_err(|source| self.error(source))
    }

    /// The folder called `title` at the top, made if missing (imports go in one).
    pub fn top_folder(&self, title: &str, now: i64) -> Result<i64, ProfileError> {
        let found: Option<i64> = self
            .connection
            .query_row(
                "SELECT id FROM bookmarks WHERE parent IS NULL AND kind = 'folder'
                 AND title = ?1",
                [title],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.error(source))?;
        match found {
            Some(id) => Ok(id),
            None => self.add_bookmark(&NewBookmark {
                parent: None,
                kind: BookmarkKind::Folder,
                title: title.to_owned(),
                url: None,
                added: now,
            }),
        }
    }
}

fn bookmark_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Bookmark> {
    let kind: String = row.get(2)?;
    Ok(Bookmark {
        id: row.get(0)?,
        parent: row.get(1)?,
        kind: if kind == "folder" {
            BookmarkKind::Folder
        } else {
            BookmarkKind::Link
        },
        title: row.get(3)?,
        url: row.get(4)?,
        added: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_keep_order_and_removing_one_removes_its_content() {
        let store = Store::in_memory().unwrap();
        let link = |parent, title: &str, url: &str| NewBookmark {
            parent,
            kind: BookmarkKind::Link,
            title: title.to_owned(),
            url: Some(url.to_owned()),
            added: 1,
        };
        let work = store.top_folder("Work", 1).unwrap();
        assert_eq!(store.top_folder("Work", 2).unwrap(), work);
        store
            .add_bookmark(&link(None, "Top", "https://top.example/"))
            .unwrap();
        store
            .add_bookmark(&link(Some(work), "B", "https://b.example/"))
            .unwrap();
        store
            .add_bookmark(&link(Some(work), "A", "https://a.example/"))
            .unwrap();
        let titles: Vec<_> = store
            .bookmarks()
            .unwrap()
            .into_iter()
            .map(|bookmark| bookmark.title)
            .collect();
        assert_eq!(titles, ["Work", "B", "A", "Top"]);
        assert_eq!(
            store
                .bookmark_for("https://a.example/")
                .unwrap()
                .unwrap()
                .parent,
            Some(work)
        );
        assert!(store.add_bookmark(&link(None, "No address", "")).is_err());
        let top = store.bookmark_for("https://top.example/").unwrap().unwrap();
        assert!(store.move_bookmark(top.id, Some(work)).unwrap());
        assert!(
            !store.move_bookmark(work, Some(work)).unwrap(),
            "a folder into itself"
        );
        assert!(
            !store.move_bookmark(work, Some(top.id)).unwrap(),
            "into a link"
        );
        let titles: Vec<_> = store
            .bookmarks()
            .unwrap()
            .into_iter()
            .map(|b| b.title)
            .collect();
        assert_eq!(titles, ["Work", "B", "A", "Top"]);
        assert_eq!(
            store
                .bookmark_for("https://top.example/")
                .unwrap()
                .unwrap()
                .parent,
            Some(work)
        );
        assert!(store.remove_bookmark(work).unwrap());
        assert!(
            store.bookmarks().unwrap().is_empty(),
            "the folder took what it held"
        );
        assert!(store.bookmark_for("https://a.example/").unwrap().is_none());
    }
}
