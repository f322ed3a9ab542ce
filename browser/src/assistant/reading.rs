//! From a page's visible document to the passages the assistant reads, and the reader view.

use clef_agent::page::PageDocument;
use clef_agent::passages::{self, Passages};
use clef_agent::reader::{self, Article, BlockKind, ReaderError};

use super::escape_html;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("this is a {0} document, not a web page: the assistant reads HTML pages")]
    NotHtml(String),
    #[error(transparent)]
    Reader(#[from] ReaderError),
}

/// The article and its passages, from what the page shows.
pub fn read_page(document: &PageDocument) -> Result<(Article, Passages), ReadError> {
    let html_like = document.content_type.contains("html") || document.content_type.is_empty();
    let article = if html_like {
        reader::extract(&document.html)?
    } else if document.content_type.starts_with("text/") {
        // Plain text shows as one <pre>: read it as paragraphs.
        reader::extract(&plain_text_html(&document.html))?
    } else {
        return Err(ReadError::NotHtml(document.content_type.clone()));
    };
    let mut article = article;
    if article.title.is_empty() {
        article.title = document.title.clone();
    }
    let passages = passages::from_article(&article, &document.url);
    if passages.items.is_empty() {
        return Err(ReadError::Reader(ReaderError::NoArticle {
            words: article.word_count(),
        }));
    }
    Ok((article, passages))
}

/// A plain-text document's text (inside the `<pre>` the browser shows) as paragraphs.
fn plain_text_html(html: &str) -> String {
    let text = clef_agent::dom::Document::parse(html).text_content(clef_agent::dom::ROOT);
    let paragraphs: String = text
        .split("\n\n")
        .filter(|paragraph| !paragraph.trim().is_empty())
        .map(|paragraph| format!("<p>{}</p>", escape_html(paragraph)))
        .collect();
    format!("<html><body><article>{paragraphs}</article></body></html>")
}

/// The reader view of `article` as a standalone page.
pub fn reader_page_html(article: &Article, url: &str) -> String {
    let mut body = String::new();
    let mut list_open = false;
    for block in &article.blocks {
        let is_item = block.kind == BlockKind::ListItem;
        if is_item && !list_open {
            body.push_str("<ul>");
        } else if !is_item && list_open {
            body.push_str("</ul>");
        }
        list_open = is_item;
        let text = escape_html(&block.text);
        body.push_str(&match block.kind {
            BlockKind::Heading => format!("<h2>{text}</h2>"),
            BlockKind::Paragraph => format!("<p>{text}</p>"),
            BlockKind::ListItem => format!("<li>{text}</li>"),
            BlockKind::Quote => format!("<blockquote>{text}</blockquote>"),
            BlockKind::Code => format!("<pre>{text}</pre>"),
        });
    }
    if list_open {
        body.push_str("</ul>");
    }
    let byline = article
        .byline
        .as_deref()
        .map(|byline| format!("<p class=byline>{}</p>", escape_html(byline)))
        .unwrap_or_default();
    let lang = article.lang.as_deref().map(escape_html).unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=utf-8><title>{title}</title>\
         <style>body{{max-width:42em;margin:2em auto;padding:0 1em;font:19px/1.6 Georgia,serif;color:#222;background:#fbf8f1}}\
         h1{{font-size:1.8em;line-height:1.2}}.byline,.source{{color:#666;font:15px sans-serif}}\
         blockquote{{border-left:3px solid #ccc;margin-left:0;padding-left:1em;color:#444}}pre{{white-space:pre-wrap}}</style>\
         <body><p class=source>Reader view of <a href=\"{url}\">{url_text}</a></p><h1>{title}</h1>{byline}{body}</body></html>",
        title = escape_html(&article.title),
        url = escape_html(url),
        url_text = escape_html(url),
    )
}
