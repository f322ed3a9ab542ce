//! How close an extraction is to a reference: token-level precision, recall and F1, and
//! metadata agreement. Used by the reader tests and the benchmark over the shared set.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::dom::{Document, ROOT};

use super::Article;

/// Lower-cased alphanumeric words.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overlap {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Bag-of-words overlap between `ours` and `expected`.
pub fn overlap(ours: &str, expected: &str) -> Overlap {
    let ours = tokens(ours);
    let expected = tokens(expected);
    if ours.is_empty() && expected.is_empty() {
        return Overlap {
            precision: 1.0,
            recall: 1.0,
            f1: 1.0,
        };
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for token in &expected {
        *counts.entry(token).or_default() += 1;
    }
    let mut common = 0usize;
    for token in &ours {
        if let Some(count) = counts.get_mut(token.as_str())
            && *count > 0
        {
            *count -= 1;
            common += 1;
        }
    }
    let precision = if ours.is_empty() {
        0.0
    } else {
        common as f64 / ours.len() as f64
    };
    let recall = if expected.is_empty() {
        0.0
    } else {
        common as f64 / expected.len() as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Overlap {
        precision,
        recall,
        f1,
    }
}

/// `expected-metadata.json` of the shared readability set.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedMetadata {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub lang: Option<String>,
    pub site_name: Option<String>,
}

/// One page of the set, scored.
#[derive(Debug, Clone)]
pub struct PageScore {
    pub name: String,
    pub overlap: Overlap,
    pub title: bool,
    pub byline: bool,
    pub lang: bool,
    pub error: Option<String>,
}

fn same(ours: Option<&str>, expected: Option<&str>) -> bool {
    let normal = |text: Option<&str>| {
        text.map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|text| !text.is_empty())
    };
    normal(ours) == normal(expected)
}

/// Score the page in `dir` (`source.html`, `expected.html`, `expected-metadata.json`).
pub fn score_page(dir: &Path) -> std::io::Result<PageScore> {
    let source = std::fs::read_to_string(dir.join("source.html"))?;
    let expected_html = std::fs::read_to_string(dir.join("expected.html"))?;
    let metadata: ExpectedMetadata = serde_json::from_str(&std::fs::read_to_string(
        dir.join("expected-metadata.json"),
    )?)
    .map_err(std::io::Error::other)?;
    let expected_text = Document::parse(&expected_html).text_content(ROOT);
    let name = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(match super::extract(&source) {
        Ok(article) => score_article(name, &article, &expected_text, &metadata),
        Err(error) => PageScore {
            name,
            overlap: overlap("", &expected_text),
            title: false,
            byline: false,
            lang: false,
            error: Some(error.to_string()),
        },
    })
}

fn score_article(
    name: String,
    article: &Article,
    expected_text: &str,
    metadata: &ExpectedMetadata,
) -> PageScore {
    PageScore {
        name,
        overlap: overlap(&article.text(), expected_text),
        title: same(Some(&article.title), metadata.title.as_deref()),
        byline: same(article.byline.as_deref(), metadata.byline.as_deref()),
        lang: same(article.lang.as_deref(), metadata.lang.as_deref()),
        error: None,
    }
}

/// Every page folder under `root`, sorted by name.
pub fn page_dirs(root: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut dirs: Vec<_> = std::fs::read_dir(root)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join("source.html").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_counts_repeated_words_once_each() {
        let score = overlap("the cat the cat", "the cat sat");
        assert!((score.precision - 0.5).abs() < 1e-9);
        assert!((score.recall - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(overlap("", "words").f1, 0.0);
        assert_eq!(overlap("Same, words!", "same words").f1, 1.0);
    }
}
