//! Article metadata from JSON-LD, `<meta>` tags and the document title.

use crate::dom::{Document, collapse_whitespace};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub title: String,
    pub byline: Option<String>,
    pub lang: Option<String>,
    pub site_name: Option<String>,
    pub excerpt: Option<String>,
}

pub fn read(doc: &Document) -> Metadata {
    let meta = meta_values(doc);
    let json_ld = json_ld(doc);
    let pick = |keys: &[&str]| {
        keys.iter().find_map(|key| {
            meta.iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        })
    };
    let title = json_ld
        .title
        .clone()
        .or_else(|| {
            pick(&[
                "dc:title",
                "dcterm:title",
                "og:title",
                "weibo:article:title",
                "weibo:webpage:title",
                "title",
                "twitter:title",
            ])
        })
        .unwrap_or_else(|| article_title(doc));
    let byline = json_ld
        .byline
        .clone()
        .or_else(|| pick(&["dc:creator", "dcterm:creator", "author", "parsely-author"]))
        .filter(|byline| !looks_like_url(byline));
    let excerpt = json_ld.excerpt.clone().or_else(|| {
        pick(&[
            "dc:description",
            "dcterm:description",
            "og:description",
            "weibo:article:description",
            "weibo:webpage:description",
            "description",
            "twitter:description",
        ])
    });
    let site_name = json_ld
        .site_name
        .clone()
        .or_else(|| pick(&["og:site_name"]));
    let lang = doc
        .html_element()
        .and_then(|html| doc.attr(html, "lang"))
        .map(str::trim)
        .filter(|lang| !lang.is_empty())
        .map(str::to_string);
    Metadata {
        title: unescape(&title),
        byline: byline.map(|value| unescape(&value)),
        lang,
        site_name: site_name.map(|value| unescape(&value)),
        excerpt: excerpt.map(|value| unescape(&value)),
    }
}

fn looks_like_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

/// html5ever already decodes entities in attributes; pages that double-escape leave `&amp;` etc.
fn unescape(text: &str) -> String {
    collapse_whitespace(
        &text
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// `(name, content)` of every `<meta>`, names lower-cased; `property` may list several names.
fn meta_values(doc: &Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for node in doc.find_all(crate::dom::ROOT, &["meta"]) {
        let Some(content) = doc.attr(node, "content").map(str::trim) else {
            continue;
        };
        if content.is_empty() {
            continue;
        }
        if let Some(property) = doc.attr(node, "property") {
            for name in property.split_whitespace() {
                out.push((name.to_lowercase(), content.to_string()));
            }
        }
        if let Some(name) = doc.attr(node, "name") {
            let name = name.trim().to_lowercase().replace('.', ":");
            out.push((name, content.to_string()));
        }
    }
    out
}

#[derive(Debug, Default)]
struct JsonLd {
    title: Option<String>,
    byline: Option<String>,
    excerpt: Option<String>,
    site_name: Option<String>,
}

const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "AdvertiserContentArticle",
    "NewsArticle",
    "AnalysisNewsArticle",
    "AskPublicNewsArticle",
    "BackgroundNewsArticle",
    "OpinionNewsArticle",
    "ReportageNewsArticle",
    "ReviewNewsArticle",
    "Report",
    "SatiricalArticle",
    "ScholarlyArticle",
    "MedicalScholarlyArticle",
    "SocialMediaPosting",
    "BlogPosting",
    "LiveBlogPosting",
    "DiscussionForumPosting",
    "TechArticle",
    "APIReference",
];

fn json_ld(doc: &Document) -> JsonLd {
    for script in doc.find_all(crate::dom::ROOT, &["script"]) {
        if doc.attr(script, "type") != Some("application/ld+json") {
            continue;
        }
        let source = doc.text_content(script);
        let source = source
            .trim()
            .trim_start_matches("<![CDATA[")
            .trim_end_matches("]]>");
        let Ok(value) = serde_json::from_str::<serde_json::Value>(source) else {
            continue;
        };
        let candidates = match &value {
            serde_json::Value::Array(items) => items.clone(),
            other => match other.get("@graph") {
                Some(serde_json::Value::Array(items)) => items.clone(),
                _ => vec![other.clone()],
            },
        };
        for item in candidates {
            let is_article = match item.get("@type") {
                Some(serde_json::Value::String(kind)) => ARTICLE_TYPES.contains(&kind.as_str()),
                Some(serde_json::Value::Array(kinds)) => kinds.iter().any(|kind| {
                    kind.as_str()
                        .is_some_and(|kind| ARTICLE_TYPES.contains(&kind))
                }),
                _ => false,
            };
            if !is_article {
                continue;
            }
            let text = |key: &str| {
                item.get(key)
                    .and_then(|value| value.as_str())
                    .map(|value| value.trim().to_string())
                    .filter(|value| !value.is_empty())
            };
            let names = |value: &serde_json::Value| -> Option<String> {
                match value {
                    serde_json::Value::Object(_) => value
                        .get("name")
                        .and_then(|name| name.as_str())
                        .map(|name| name.trim().to_string()),
                    serde_json::Value::Array(items) => {
                        let names: Vec<String> = items
                            .iter()
                            .filter_map(|item| item.get("name").and_then(|name| name.as_str()))
                            .map(|name| name.trim().to_string())
                            .collect();
                        (!names.is_empty()).then(|| names.join(", "))
                    }
                    serde_json::Value::String(name) => Some(name.trim().to_string()),
                    _ => None,
                }
            };
            let title = match (text("name"), text("headline")) {
                (Some(name), Some(headline)) if name != headline => {
                    // Readability prefers whichever matches the document title.
                    let document_title = article_title(doc);
                    if similar(&headline, &document_title) && !similar(&name, &document_title) {
                        Some(headline)
                    } else {
                        Some(name)
                    }
                }
                (name, headline) => name.or(headline),
            };
            return JsonLd {
                title,
                byline: item.get("author").and_then(names),
                excerpt: text("description"),
                site_name: item
                    .get("publisher")
                    .and_then(|publisher| publisher.get("name"))
                    .and_then(|name| name.as_str())
                    .map(|name| name.trim().to_string()),
            };
        }
    }
    JsonLd::default()
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether most of `b`'s words (weighted by length) appear in `a`, as Readability compares
/// titles and headings.
pub(super) fn similar(a: &str, b: &str) -> bool {
    let a = words(a);
    let b = words(b);
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let missing: usize = b
        .iter()
        .filter(|word| !a.contains(word))
        .map(|word| word.len() + 1)
        .sum();
    let total: usize = b.iter().map(|word| word.len() + 1).sum();
    1.0 - (missing as f64 / total as f64) >= 0.75
}

const SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " \\ ", " / ", " > ", " » "];

/// The document's `<title>`, with the site name cut off the way Readability does.
pub fn article_title(doc: &Document) -> String {
    let original = doc
        .first(crate::dom::ROOT, "title")
        .map(|title| doc.inner_text(title))
        .unwrap_or_default();
    let word_count = |text: &str| text.split_whitespace().count();
    let mut title = original.clone();
    let mut hierarchical = false;
    let has_separator = SEPARATORS.iter().any(|sep| original.contains(sep));
    if has_separator {
        hierarchical = [" \\ ", " / ", " > ", " » "]
            .iter()
            .any(|sep| original.contains(sep));
        // Everything before the last separator.
        let last = SEPARATORS
            .iter()
            .filter_map(|sep| original.rfind(sep))
            .max()
            .unwrap_or(0);
        title = original[..last].to_string();
        if word_count(&title) < 3 {
            let first = SEPARATORS
                .iter()
                .filter_map(|sep| original.find(sep).map(|at| at + sep.len()))
                .min()
                .unwrap_or(0);
            title = original[first..].to_string();
        }
    } else if original.contains(": ") {
        let headings = doc.find_all(crate::dom::ROOT, &["h1", "h2"]);
        let matches_heading = headings
            .iter()
            .any(|&heading| doc.inner_text(heading).trim() == original.trim());
        if !matches_heading {
            let last = original.rfind(": ").map(|at| at + 2).unwrap_or(0);
            title = original[last..].to_string();
            if word_count(&title) < 3 {
                let first = original.find(": ").map(|at| at + 2).unwrap_or(0);
                title = original[first..].to_string();
            } else if original
                .find(": ")
                .is_some_and(|at| word_count(&original[..at]) > 5)
            {
                title = original.clone();
            }
        }
    } else if original.chars().count() > 150 || original.chars().count() < 15 {
        let h1s = doc.find_all(crate::dom::ROOT, &["h1"]);
        if h1s.len() == 1 {
            title = doc.inner_text(h1s[0]);
        }
    }
    let title = collapse_whitespace(&title);
    let count = word_count(&title);
    let original_count = word_count(
        &SEPARATORS
            .iter()
            .fold(original.clone(), |text, sep| text.replace(sep, " ")),
    );
    if count <= 4 && (!hierarchical || count != original_count.saturating_sub(1)) {
        return collapse_whitespace(&original);
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_open_graph_and_cuts_site_names() {
        let doc = Document::parse(
            "<html lang=fr><head><title>A long headline about rivers | Atlas</title>\
             <meta property='og:site_name' content='Atlas'><meta name=author content='Ada'></head></html>",
        );
        let metadata = read(&doc);
        assert_eq!(metadata.title, "A long headline about rivers");
        assert_eq!(metadata.byline.as_deref(), Some("Ada"));
        assert_eq!(metadata.site_name.as_deref(), Some("Atlas"));
        assert_eq!(metadata.lang.as_deref(), Some("fr"));
    }

    #[test]
    fn json_ld_article_wins() {
        let doc = Document::parse(
            r#"<html><head><title>x</title><script type="application/ld+json">
            {"@type":"NewsArticle","headline":"Rivers rise","author":{"name":"Ada"},"publisher":{"name":"Atlas"}}
            </script></head></html>"#,
        );
        let metadata = read(&doc);
        assert_eq!(metadata.title, "Rivers rise");
        assert_eq!(metadata.byline.as_deref(), Some("Ada"));
        assert_eq!(metadata.site_name.as_deref(), Some("Atlas"));
    }
}
