//! Finding the article container: score paragraphs, propagate to ancestors, pick the best
//! candidate and gather its related siblings.

use std::collections::HashMap;

use crate::dom::{Document, Kind, NodeId};

use super::metadata::similar;

#[derive(Debug, Clone, Copy)]
pub struct Flags {
    pub strip_unlikely: bool,
    pub weight_classes: bool,
    pub clean_conditionally: bool,
}

impl Flags {
    /// Strictest first; each retry drops one rule.
    pub fn attempts() -> [Flags; 4] {
        [
            Flags {
                strip_unlikely: true,
                weight_classes: true,
                clean_conditionally: true,
            },
            Flags {
                strip_unlikely: false,
                weight_classes: true,
                clean_conditionally: true,
            },
            Flags {
                strip_unlikely: false,
                weight_classes: false,
                clean_conditionally: true,
            },
            Flags {
                strip_unlikely: false,
                weight_classes: false,
                clean_conditionally: false,
            },
        ]
    }
}

pub struct Outcome {
    pub article: NodeId,
    pub byline: Option<String>,
}

const UNLIKELY: &[&str] = &[
    "-ad-",
    "ai2html",
    "banner",
    "breadcrumbs",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "yom-remote",
];
const MAYBE_CANDIDATE: &[&str] = &[
    "and", "article", "body", "column", "content", "main", "mathjax", "shadow",
];
const UNLIKELY_ROLES: &[&str] = &[
    "menu",
    "menubar",
    "complementary",
    "navigation",
    "alert",
    "alertdialog",
    "dialog",
];
const POSITIVE: &[&str] = &[
    "article",
    "body",
    "content",
    "entry",
    "hentry",
    "h-entry",
    "main",
    "page",
    "pagination",
    "post",
    "text",
    "blog",
    "story",
];
const NEGATIVE: &[&str] = &[
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
];
const BYLINE: &[&str] = &["byline", "author", "dateline", "writtenby", "p-author"];

pub const BLOCK_TAGS: &[&str] = &[
    "blockquote",
    "dl",
    "div",
    "img",
    "ol",
    "p",
    "pre",
    "table",
    "ul",
    "section",
    "article",
    "aside",
    "figure",
    "header",
    "footer",
    "nav",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "form",
    "hr",
    "main",
    "details",
];
const PHRASING: &[&str] = &[
    "abbr", "audio", "b", "bdo", "br", "button", "cite", "code", "data", "datalist", "dfn", "em",
    "embed", "i", "img", "input", "kbd", "label", "mark", "math", "meter", "noscript", "object",
    "output", "progress", "q", "ruby", "samp", "script", "select", "small", "span", "strong",
    "sub", "sup", "textarea", "time", "var", "wbr", "a", "del", "ins", "canvas", "iframe", "map",
    "font", "u", "s", "strike", "tt", "big", "center",
];
const TAGS_TO_SCORE: &[&str] = &["section", "h2", "h3", "h4", "h5", "h6", "p", "td", "pre"];

fn matches_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|needle| haystack.contains(needle))
}

/// `class` and `id` lower-cased and joined, for the pattern lists above.
pub fn match_string(doc: &Document, node: NodeId) -> String {
    format!(
        "{} {}",
        doc.attr(node, "class").unwrap_or(""),
        doc.attr(node, "id").unwrap_or("")
    )
    .to_lowercase()
}

fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
        .any(|part| part == word)
}

pub fn class_weight(doc: &Document, node: NodeId, flags: Flags) -> f64 {
    if !flags.weight_classes {
        return 0.0;
    }
    let mut weight = 0.0;
    for attr in ["class", "id"] {
        let Some(value) = doc.attr(node, attr) else {
            continue;
        };
        let value = value.to_lowercase();
        if value.is_empty() {
            continue;
        }
        if matches_any(&value, NEGATIVE) || has_word(&value, "hid") {
            weight -= 25.0;
        }
        if matches_any(&value, POSITIVE) {
            weight += 25.0;
        }
    }
    weight
}

pub fn is_probably_visible(doc: &Document, node: NodeId) -> bool {
    let style = doc
        .attr(node, "style")
        .unwrap_or("")
        .to_lowercase()
        .replace(' ', "");
    let hidden_style = style.contains("display:none") || style.contains("visibility:hidden");
    let aria_hidden = doc.attr(node, "aria-hidden") == Some("true")
        && !doc
            .attr(node, "class")
            .unwrap_or("")
            .contains("fallback-image");
    !hidden_style && doc.attr(node, "hidden").is_none() && !aria_hidden
}

pub fn link_density(doc: &Document, node: NodeId) -> f64 {
    let length = doc.inner_text(node).chars().count();
    if length == 0 {
        return 0.0;
    }
    let mut link_length = 0.0;
    for link in doc.find_all(node, &["a"]) {
        let coefficient = match doc.attr(link, "href") {
            Some(href) if href.starts_with('#') => 0.3,
            _ => 1.0,
        };
        link_length += doc.inner_text(link).chars().count() as f64 * coefficient;
    }
    link_length / length as f64
}

fn is_phrasing(doc: &Document, node: NodeId) -> bool {
    match doc.node(node).kind {
        Kind::Text => true,
        Kind::Element => {
            let tag = doc.tag(node);
            PHRASING.contains(&tag)
                || (matches!(tag, "a" | "del" | "ins")
                    && doc
                        .children(node)
                        .iter()
                        .all(|&child| is_phrasing(doc, child)))
        }
        _ => false,
    }
}

fn is_whitespace(doc: &Document, node: NodeId) -> bool {
    let data = doc.node(node);
    (data.kind == Kind::Text && data.text.trim().is_empty())
        || (data.kind == Kind::Element && data.tag == "br")
}

fn has_block_child(doc: &Document, node: NodeId) -> bool {
    doc.children(node).iter().any(|&child| {
        doc.is_element(child)
            && (BLOCK_TAGS.contains(&doc.tag(child)) || has_block_child(doc, child))
    })
}

fn is_element_without_content(doc: &Document, node: NodeId) -> bool {
    doc.inner_text(node).is_empty()
        && doc
            .element_children(node)
            .all(|child| matches!(doc.tag(child), "br" | "hr"))
}

/// The only element child, when it is a `tag` and no text sits beside it.
fn single_child(doc: &Document, node: NodeId, tag: &str) -> Option<NodeId> {
    let elements: Vec<NodeId> = doc.element_children(node).collect();
    if elements.len() != 1 || doc.tag(elements[0]) != tag {
        return None;
    }
    let loose_text = doc.children(node).iter().any(|&child| {
        doc.node(child).kind == Kind::Text && !doc.node(child).text.trim().is_empty()
    });
    (!loose_text).then_some(elements[0])
}

fn has_ancestor(doc: &Document, node: NodeId, tag: &str, max_depth: usize) -> bool {
    doc.ancestors(node)
        .take(max_depth)
        .any(|ancestor| doc.tag(ancestor) == tag)
}

fn is_valid_byline(doc: &Document, node: NodeId, match_string: &str) -> bool {
    let rel_author = doc.attr(node, "rel") == Some("author");
    let itemprop_author = doc
        .attr(node, "itemprop")
        .is_some_and(|itemprop| itemprop.contains("author"));
    if !(rel_author || itemprop_author || matches_any(match_string, BYLINE)) {
        return false;
    }
    let length = doc.inner_text(node).chars().count();
    length > 0 && length < 100
}

fn similar_to_title(doc: &Document, node: NodeId, title: &str) -> bool {
    matches!(doc.tag(node), "h1" | "h2") && similar(title, &doc.inner_text(node))
}

fn initial_score(doc: &Document, node: NodeId, flags: Flags) -> f64 {
    let tag_score = match doc.tag(node) {
        "div" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    tag_score + class_weight(doc, node, flags)
}

/// Wrap runs of phrasing content directly inside `div` in `<p>`, as Readability does.
fn wrap_phrasing(doc: &mut Document, div: NodeId) {
    let children = doc.children(div).to_vec();
    let mut rebuilt = Vec::with_capacity(children.len());
    let mut paragraph: Option<NodeId> = None;
    for child in children {
        if is_phrasing(doc, child) {
            match paragraph {
                Some(p) => {
                    doc.nodes[p].children.push(child);
                    doc.nodes[child].parent = Some(p);
                }
                None if is_whitespace(doc, child) => rebuilt.push(child),
                None => {
                    let p = doc.create_element("p");
                    doc.nodes[p].parent = Some(div);
                    doc.nodes[p].children.push(child);
                    doc.nodes[child].parent = Some(p);
                    rebuilt.push(p);
                    paragraph = Some(p);
                }
            }
        } else {
            paragraph = None;
            rebuilt.push(child);
        }
    }
    doc.nodes[div].children = rebuilt;
}

pub fn grab_article(doc: &mut Document, title: &str, flags: Flags) -> Option<Outcome> {
    let body = doc.body()?;
    let mut byline = None;
    let mut to_score = Vec::new();

    // Walk in document order; removed subtrees are skipped because we walk a live stack.
    let mut stack: Vec<NodeId> = doc.children(body).iter().rev().copied().collect();
    while let Some(node) = stack.pop() {
        if !doc.is_element(node) || !doc.is_attached(node) {
            continue;
        }
        let match_string = match_string(doc, node);
        let tag = doc.tag(node).to_string();
        if !is_probably_visible(doc, node)
            || (doc.attr(node, "aria-modal") == Some("true")
                && doc.attr(node, "role") == Some("dialog"))
        {
            doc.detach(node);
            continue;
        }
        if byline.is_none() && is_valid_byline(doc, node, &match_string) {
            byline = Some(doc.inner_text(node));
            doc.detach(node);
            continue;
        }
        if similar_to_title(doc, node, title) {
            doc.detach(node);
            continue;
        }
        if flags.strip_unlikely {
            let unlikely = matches_any(&match_string, UNLIKELY)
                && !matches_any(&match_string, MAYBE_CANDIDATE)
                && !has_ancestor(doc, node, "table", 3)
                && !has_ancestor(doc, node, "code", 3)
                && tag != "body"
                && tag != "a";
            let role_unlikely = doc
                .attr(node, "role")
                .is_some_and(|role| UNLIKELY_ROLES.contains(&role));
            if unlikely || role_unlikely {
                doc.detach(node);
                continue;
            }
        }
        if matches!(
            tag.as_str(),
            "div" | "section" | "header" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
        ) && is_element_without_content(doc, node)
        {
            doc.detach(node);
            continue;
        }
        if TAGS_TO_SCORE.contains(&tag.as_str()) {
            to_score.push(node);
        }
        if tag == "div" {
            wrap_phrasing(doc, node);
            if let Some(p) = single_child(doc, node, "p").filter(|_| link_density(doc, node) < 0.25)
            {
                // Replace the div by its paragraph.
                if let Some(parent) = doc.parent(node) {
                    let index = doc
                        .children(parent)
                        .iter()
                        .position(|&c| c == node)
                        .unwrap_or(0);
                    doc.nodes[parent].children[index] = p;
                    doc.nodes[p].parent = Some(parent);
                    doc.nodes[node].parent = None;
                    to_score.push(p);
                    stack.extend(doc.children(p).iter().rev().copied());
                    continue;
                }
            } else if !has_block_child(doc, node) {
                doc.rename(node, "p");
                to_score.push(node);
            }
        }
        stack.extend(doc.children(node).iter().rev().copied());
    }

    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    let mut candidates: Vec<NodeId> = Vec::new();
    for &element in &to_score {
        if !doc.is_attached(element) {
            continue;
        }
        let Some(parent) = doc.parent(element) else {
            continue;
        };
        if !doc.is_element(parent) {
            continue;
        }
        let text = doc.inner_text(element);
        let length = text.chars().count();
        if length < 25 {
            continue;
        }
        let ancestors: Vec<NodeId> = doc
            .ancestors(element)
            .take(5)
            .filter(|&ancestor| doc.is_element(ancestor))
            .collect();
        if ancestors.is_empty() {
            continue;
        }
        let commas = text
            .matches([',', '，', '、', '،', '﹐', '︐', '︑', '⸁', '⸴', '⸲'])
            .count();
        let content_score = 1.0 + commas as f64 + (length / 100).min(3) as f64;
        for (level, &ancestor) in ancestors.iter().enumerate() {
            if doc.parent(ancestor).is_none() {
                continue;
            }
            let entry = scores.entry(ancestor).or_insert_with(|| {
                candidates.push(ancestor);
                initial_score(doc, ancestor, flags)
            });
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                _ => level as f64 * 3.0,
            };
            *entry += content_score / divider;
        }
    }
    for &candidate in &candidates {
        if let Some(score) = scores.get_mut(&candidate) {
            *score *= 1.0 - link_density(doc, candidate);
        }
    }
    let mut ranked = candidates.clone();
    ranked.sort_by(|a, b| scores[b].total_cmp(&scores[a]));
    ranked.truncate(5);

    let article = doc.create_element("div");
    let top = match ranked.first() {
        Some(&top) if doc.tag(top) != "body" => top,
        _ => {
            // No candidate: the whole body is the article.
            for child in doc.children(body).to_vec() {
                doc.append_child(article, child);
            }
            return Some(Outcome { article, byline });
        }
    };
    let mut top = top;
    let top_score = scores[&top];

    // Several strong candidates under one ancestor: that ancestor is the article.
    let alternatives: Vec<Vec<NodeId>> = ranked[1..]
        .iter()
        .filter(|&&other| scores[&other] / top_score >= 0.75)
        .map(|&other| doc.ancestors(other).collect())
        .collect();
    if alternatives.len() >= 3 {
        let mut parent = doc.parent(top);
        while let Some(ancestor) = parent {
            if doc.tag(ancestor) == "body" {
                break;
            }
            let containing = alternatives
                .iter()
                .filter(|ancestors| ancestors.contains(&ancestor))
                .count();
            if containing >= 3 {
                top = ancestor;
                break;
            }
            parent = doc.parent(ancestor);
        }
    }
    let initial = initial_score(doc, top, flags);
    scores.entry(top).or_insert(initial);

    // Climb while the parent scores better: the article may be split among siblings.
    let mut parent = doc.parent(top);
    let mut last_score = scores[&top];
    let threshold = last_score / 3.0;
    while let Some(ancestor) = parent {
        if doc.tag(ancestor) == "body" {
            break;
        }
        let Some(&score) = scores.get(&ancestor) else {
            parent = doc.parent(ancestor);
            continue;
        };
        if score < threshold {
            break;
        }
        if score > last_score {
            top = ancestor;
            break;
        }
        last_score = score;
        parent = doc.parent(ancestor);
    }
    // A lone child is no better than its parent.
    while let Some(parent) = doc.parent(top) {
        if doc.tag(parent) == "body" || doc.element_children(parent).count() != 1 {
            break;
        }
        top = parent;
    }
    let initial = initial_score(doc, top, flags);
    scores.entry(top).or_insert(initial);

    let top_score = scores[&top];
    let sibling_threshold = (top_score * 0.2).max(10.0);
    let top_class = doc.attr(top, "class").unwrap_or("").to_string();
    let siblings: Vec<NodeId> = match doc.parent(top) {
        Some(parent) => doc.element_children(parent).collect(),
        None => vec![top],
    };
    for sibling in siblings {
        let append = if sibling == top {
            true
        } else {
            let bonus = if !top_class.is_empty()
                && doc.attr(sibling, "class") == Some(top_class.as_str())
            {
                top_score * 0.2
            } else {
                0.0
            };
            match scores.get(&sibling) {
                Some(score) if score + bonus >= sibling_threshold => true,
                _ if doc.tag(sibling) == "p" => {
                    let density = link_density(doc, sibling);
                    let text = doc.inner_text(sibling);
                    let length = text.chars().count();
                    (length > 80 && density < 0.25)
                        || (length < 80
                            && length > 0
                            && density == 0.0
                            && (text.contains(". ") || text.ends_with('.')))
                }
                _ => false,
            }
        };
        if append {
            doc.append_child(article, sibling);
        }
    }
    Some(Outcome { article, byline })
}
