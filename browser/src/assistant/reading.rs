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
    #[error("this PDF could not be read: {0}")]
    Pdf(String),
}

/// PDFs read at most this big.
const PDF_LIMIT: u64 = 64 << 20;

/// A PDF's bytes: the page's, when it could give them, else fetched again from its address
/// (Servo shows no PDF, and its placeholder document may not fetch its own address). A page
/// load the user asked for; only http(s) and files.
fn pdf_bytes(document: &PageDocument) -> Result<Vec<u8>, ReadError> {
    use base64::Engine as _;
    if let Some(encoded) = document.pdf.as_deref() {
        return base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|error| ReadError::Pdf(error.to_string()));
    }
    let url = url::Url::parse(&document.url).map_err(|error| ReadError::Pdf(error.to_string()))?;
    match url.scheme() {
        "file" => {
            let path = url
                .to_file_path()
                .map_err(|()| ReadError::Pdf("not a local path".to_owned()))?;
            std::fs::read(&path).map_err(|error| ReadError::Pdf(error.to_string()))
        }
        "http" | "https" => {
            let response = crate::model_pull::http_agent(10)
                .get(url.as_str())
                .call()
                .map_err(|error| ReadError::Pdf(error.to_string()))?;
            if response.status() != 200 {
                return Err(ReadError::Pdf(format!("HTTP {}", response.status())));
            }
            response
                .into_body()
                .into_with_config()
                .limit(PDF_LIMIT)
                .read_to_vec()
                .map_err(|error| ReadError::Pdf(error.to_string()))
        }
        other => Err(ReadError::Pdf(format!("a {other}: address"))),
    }
}

/// A PDF's text, its paragraphs separated by blank lines as `plain_text_html` expects.
fn pdf_text(document: &PageDocument) -> Result<String, ReadError> {
    let bytes = pdf_bytes(document)?;
    // pdf-extract panics on some malformed files: a bad PDF must not take the reader down.
    let text = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes))
        .map_err(|_| ReadError::Pdf("the file is malformed".to_owned()))?
        .map_err(|error| ReadError::Pdf(error.to_string()))?;
    // Lines end where the PDF placed them; a blank line (or page break) ends a paragraph.
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|paragraph| !paragraph.is_empty())
        .collect();
    if paragraphs.is_empty() {
        return Err(ReadError::Pdf("it holds no text (a scan?)".to_owned()));
    }
    Ok(paragraphs.join("\n\n"))
}

/// The article and its passages, from what the page shows.
pub fn read_page(document: &PageDocument) -> Result<(Article, Passages), ReadError> {
    let html_like = document.content_type.contains("html") || document.content_type.is_empty();
    let article = if html_like {
        reader::extract(&document.html)?
    } else if document.content_type == "application/pdf" {
        reader::extract(&plain_text_html(&escape_html(&pdf_text(document)?)))?
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
    if article.title.is_empty() {
        // A PDF or text file: its file name.
        article.title = url::Url::parse(&document.url)
            .ok()
            .and_then(|url| url.path_segments()?.next_back().map(str::to_owned))
            .map(|name| {
                percent_encoding::percent_decode_str(&name)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
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
