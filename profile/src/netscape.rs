//! The Netscape bookmark file (`bookmarks.html`) that Firefox, Chrome, Edge and Safari export
//! and import: nested `<DL>` lists of `<DT><H3>` folders and `<DT><A HREF>` links.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
};

use crate::{Bookmark, BookmarkKind, NewBookmark, ProfileError, Store};

/// A folder or link read from a bookmark file.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Folder {
        title: String,
        added: Option<i64>,
        children: Vec<Item>,
    },
    Link {
        title: String,
        url: String,
        added: Option<i64>,
    },
}

/// What a bookmark file held.
#[derive(Debug, Default, PartialEq)]
pub struct Imported {
    pub items: Vec<Item>,
    /// Links left out: no address, or one that is not a web page or file (`place:`,
    /// `javascript:` bookmarklets).
    pub skipped: usize,
}

impl Imported {
    pub fn links(&self) -> usize {
        fn count(items: &[Item]) -> usize {
            items
                .iter()
                .map(|item| match item {
                    Item::Folder { children, .. } => count(children),
                    Item::Link { .. } => 1,
                })
                .sum()
        }
        count(&self.items)
    }
}

/// Read a Netscape bookmark file. Browsers write it loosely (unclosed `<DT>` and `<p>`), and
/// hand-edited ones are worse: anything that is not a folder or link is passed over, lists left
/// open at the end are closed.
pub fn parse_netscape(html: &str) -> Imported {
    let sink = Sink::default();
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, Default::default());
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let mut state = tokenizer.sink.state.take();
    while state.frames.len() > 1 {
        state.close_list();
    }
    Imported {
        items: state
            .frames
            .pop()
            .map(|frame| frame.items)
            .unwrap_or_default(),
        skipped: state.skipped,
    }
}

#[derive(Default)]
struct Sink {
    state: RefCell<State>,
}

#[derive(Default)]
struct Frame {
    /// The folder this list belongs to; `None` for a list with no heading (the outermost).
    folder: Option<(String, Option<i64>)>,
    items: Vec<Item>,
}

enum Capture {
    FolderTitle {
        added: Option<i64>,
    },
    Link {
        url: Option<String>,
        added: Option<i64>,
    },
}

struct State {
    frames: Vec<Frame>,
    /// A folder heading read, waiting for its `<DL>`.
    heading: Option<(String, Option<i64>)>,
    capture: Option<(Capture, String)>,
    skipped: usize,
}

impl Default for State {
    fn default() -> Self {
        Self {
            frames: vec![Frame::default()],
            heading: None,
            capture: None,
            skipped: 0,
        }
    }
}

impl State {
    fn close_list(&mut self) {
        if self.frames.len() < 2 {
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let Some(parent) = self.frames.last_mut() else {
            return;
        };
        match frame.folder {
            Some((title, added)) => parent.items.push(Item::Folder {
                title,
                added,
                children: frame.items,
            }),
            None => parent.items.extend(frame.items),
        }
    }

    fn tag(&mut self, tag: &Tag) {
        let attribute = |name: &str| {
            tag.attrs
                .iter()
                .find(|attribute| &*attribute.name.local == name)
                .map(|attribute| attribute.value.to_string())
        };
        let added = attribute("add_date").and_then(|date| date.trim().parse::<i64>().ok());
        // A new item ends the text of one left open (`<A>` with no `</A>`).
        if tag.kind == TagKind::StartTag && matches!(&*tag.name, "dt" | "dd" | "h3" | "a" | "dl") {
            self.finish_capture();
        }
        match (tag.kind, &*tag.name) {
            (TagKind::StartTag, "h3") => {
                self.capture = Some((Capture::FolderTitle { added }, String::new()));
            }
            (TagKind::StartTag, "a") => {
                let url = attribute("href");
                self.capture = Some((Capture::Link { url, added }, String::new()));
            }
            (TagKind::EndTag, "h3" | "a") => self.finish_capture(),
            (TagKind::StartTag, "dl") => {
                self.finish_capture();
                let folder = self.heading.take();
                self.frames.push(Frame {
                    folder,
                    items: Vec::new(),
                });
            }
            (TagKind::EndTag, "dl") => {
                self.finish_capture();
                // A heading with no list of its own is an empty folder.
                if let Some((title, added)) = self.heading.take()
                    && let Some(frame) = self.frames.last_mut()
                {
                    frame.items.push(Item::Folder {
                        title,
                        added,
                        children: Vec::new(),
                    });
                }
                self.close_list();
            }
            _ => {}
        }
    }

    fn finish_capture(&mut self) {
        let Some((capture, text)) = self.capture.take() else {
            return;
        };
        let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match capture {
            Capture::FolderTitle { added } => self.heading = Some((title, added)),
            Capture::Link { url, added } => {
                let url = url
                    .map(|url| url.trim().to_owned())
                    .filter(|url| crate::history::is_history(url));
                match (url, self.frames.last_mut()) {
                    (Some(url), Some(frame)) => frame.items.push(Item::Link {
                        title: if title.is_empty() { url.clone() } else { title },
                        url,
                        added,
                    }),
                    _ => self.skipped += 1,
                }
            }
        }
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => state.tag(&tag),
            Token::CharacterTokens(text) => {
                if let Some((_, captured)) = state.capture.as_mut() {
                    captured.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl Store {
    /// Add what a bookmark file held under the folder `parent` (the top when `None`).
    pub fn import_bookmarks(
        &self,
        items: &[Item],
        parent: Option<i64>,
        now: i64,
    ) -> Result<usize, ProfileError> {
        let mut added = 0;
        for item in items {
            match item {
                Item::Folder {
                    title,
                    added: when,
                    children,
                } => {
                    let folder = self.add_bookmark(&NewBookmark {
                        parent,
                        kind: BookmarkKind::Folder,
                        title: title.clone(),
                        url: None,
                        added: when.unwrap_or(now),
                    })?;
                    added += self.import_bookmarks(children, Some(folder), now)?;
                }
                Item::Link {
                    title,
                    url,
                    added: when,
                } => {
                    self.add_bookmark(&NewBookmark {
                        parent,
                        kind: BookmarkKind::Link,
                        title: title.clone(),
                        url: Some(url.clone()),
                        added: when.unwrap_or(now),
                    })?;
                    added += 1;
                }
            }
        }
        Ok(added)
    }
}

/// The bookmarks (as [`Store::bookmarks`] lists them) as a Netscape bookmark file.
pub fn export_netscape(bookmarks: &[Bookmark]) -> String {
    let mut out = String::from(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n\
         <!-- This is an automatically generated file.\n     It will be read and overwritten.\n     \
         DO NOT EDIT! -->\n\
         <META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n\
         <TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n\n<DL><p>\n",
    );
    write_folder(&mut out, bookmarks, None, 1);
    out.push_str("</DL>\n");
    out
}

fn write_folder(out: &mut String, all: &[Bookmark], parent: Option<i64>, depth: usize) {
    let indent = "    ".repeat(depth);
    for bookmark in all.iter().filter(|bookmark| bookmark.parent == parent) {
        match bookmark.kind {
            BookmarkKind::Folder => {
                out.push_str(&format!(
                    "{indent}<DT><H3 ADD_DATE=\"{}\">{}</H3>\n{indent}<DL><p>\n",
                    bookmark.added,
                    escape(&bookmark.title)
                ));
                write_folder(out, all, Some(bookmark.id), depth + 1);
                out.push_str(&format!("{indent}</DL><p>\n"));
            }
            BookmarkKind::Link => out.push_str(&format!(
                "{indent}<DT><A HREF=\"{}\" ADD_DATE=\"{}\">{}</A>\n",
                escape(bookmark.url.as_deref().unwrap_or_default()),
                bookmark.added,
                escape(&bookmark.title)
            )),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Firefox 13x writes it (shortened), with a bookmarklet, a `place:` query, an empty
    /// folder and an entity in a title.
    const FIREFOX: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src 'none'; img-src data: *; object-src 'none'"></meta>
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks Menu</H1>

<DL><p>
    <DT><H3 ADD_DATE="1700000000" LAST_MODIFIED="1700000500" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks Toolbar</H3>
    <DL><p>
        <DT><A HREF="https://www.mozilla.org/fr/" ADD_DATE="1700000100" ICON_URI="https://www.mozilla.org/favicon.ico">Mozilla &amp; amis</A>
        <DT><A HREF="javascript:alert(1)">Bookmarklet</A>
        <DT><H3 ADD_DATE="1700000200">Trains de nuit</H3>
        <DL><p>
            <DT><A HREF="https://rail.example/night?from=paris&amp;to=wien" ADD_DATE="1700000300">Paris – Wien</A>
            <DD>A description Firefox keeps
        </DL><p>
        <DT><H3>Empty</H3>
        <DL><p>
        </DL><p>
    </DL><p>
    <DT><A HREF="place:sort=8&maxResults=10">Recent Tags</A>
    <DT><A HREF="https://example.org/">Example</A>
</DL>
"#;

    #[test]
    fn reads_a_firefox_export_and_round_trips_through_ours() {
        let imported = parse_netscape(FIREFOX);
        assert_eq!(imported.skipped, 2);
        assert_eq!(imported.links(), 3);
        let Item::Folder {
            title, children, ..
        } = &imported.items[0]
        else {
            panic!("{imported:?}");
        };
        assert_eq!(title, "Bookmarks Toolbar");
        assert_eq!(
            children[0],
            Item::Link {
                title: "Mozilla & amis".to_owned(),
                url: "https://www.mozilla.org/fr/".to_owned(),
                added: Some(1_700_000_100),
            }
        );
        let Item::Folder {
            children: trains, ..
        } = &children[1]
        else {
            panic!("{children:?}");
        };
        assert!(matches!(&trains[0], Item::Link { url, .. }
            if url == "https://rail.example/night?from=paris&to=wien"));
        assert!(matches!(&children[2], Item::Folder { title, children, .. }
            if title == "Empty" && children.is_empty()));

        let store = Store::in_memory().unwrap();
        assert_eq!(store.import_bookmarks(&imported.items, None, 5).unwrap(), 3);
        let exported = export_netscape(&store.bookmarks().unwrap());
        let again = parse_netscape(&exported);
        assert_eq!(again.skipped, 0);
        // What had no date gets the import's.
        fn dated(items: &[Item]) -> Vec<Item> {
            items
                .iter()
                .map(|item| match item.clone() {
                    Item::Folder {
                        title,
                        added,
                        children,
                    } => Item::Folder {
                        title,
                        added: added.or(Some(5)),
                        children: dated(&children),
                    },
                    Item::Link { title, url, added } => Item::Link {
                        title,
                        url,
                        added: added.or(Some(5)),
                    },
                })
                .collect()
        }
        assert_eq!(again.items, dated(&imported.items), "{exported}");
    }

    #[test]
    fn loose_or_broken_files_give_what_they_hold() {
        let imported = parse_netscape("<DL><DT><A HREF='https://a.example/'>A<DT><H3>F</H3><DL>");
        assert_eq!(imported.links(), 1);
        assert!(matches!(&imported.items[1], Item::Folder { title, .. } if title == "F"));
        assert_eq!(
            parse_netscape("not html at all \u{0}\u{202e}").items,
            Vec::new()
        );
        assert_eq!(parse_netscape("").links(), 0);
    }
}
