//! Cleaning before scoring (scripts, styles, `<br>` runs) and after it (clutter inside the
//! chosen article: share bars, forms, link lists, empty paragraphs).

use crate::dom::{Document, Kind, NodeId, ROOT};

use super::score::{Flags, class_weight, link_density, match_string};

pub fn prepare_document(doc: &mut Document) {
    for node in doc.find_all(ROOT, &["script", "style", "noscript", "template", "link"]) {
        doc.detach(node);
    }
    let comments: Vec<NodeId> = doc
        .descendants(ROOT)
        .into_iter()
        .filter(|&node| doc.node(node).kind == Kind::Comment)
        .collect();
    for comment in comments {
        doc.detach(comment);
    }
    for font in doc.find_all(ROOT, &["font"]) {
        doc.rename(font, "span");
    }
    replace_brs(doc);
}

/// Two or more `<br>` in a row start a new paragraph holding the phrasing content that follows.
fn replace_brs(doc: &mut Document) {
    for br in doc.find_all(ROOT, &["br"]) {
        if !doc.is_attached(br) {
            continue;
        }
        let Some(parent) = doc.parent(br) else {
            continue;
        };
        let siblings = doc.children(parent).to_vec();
        let Some(index) = siblings.iter().position(|&node| node == br) else {
            continue;
        };
        let mut next = index + 1;
        let mut run = vec![];
        while let Some(&node) = siblings.get(next) {
            let data = doc.node(node);
            if data.kind == Kind::Text && data.text.trim().is_empty() {
                next += 1;
                continue;
            }
            if data.kind == Kind::Element && data.tag == "br" {
                run.push(node);
                next += 1;
                continue;
            }
            break;
        }
        if run.is_empty() {
            continue;
        }
        for &extra in &run {
            doc.detach(extra);
        }
        // Turn the first <br> into a <p> and move the following phrasing content into it.
        doc.rename(br, "p");
        let siblings = doc.children(parent).to_vec();
        let Some(start) = siblings.iter().position(|&node| node == br) else {
            continue;
        };
        let following = &siblings[start + 1..];
        for (offset, &node) in following.iter().enumerate() {
            let data = doc.node(node);
            if data.kind == Kind::Element && data.tag == "br" {
                // Stop before the next run of two <br>: it starts the next paragraph.
                let next_element = following[offset + 1..].iter().copied().find(|&next| {
                    let next = doc.node(next);
                    !(next.kind == Kind::Text && next.text.trim().is_empty())
                });
                if next_element.is_some_and(|next| doc.is_element(next) && doc.tag(next) == "br") {
                    break;
                }
            }
            if data.kind == Kind::Element && super::score::BLOCK_TAGS.contains(&data.tag.as_str()) {
                break;
            }
            doc.append_child(br, node);
        }
        if doc.parent(br).is_some_and(|parent| doc.tag(parent) == "p") {
            doc.rename(parent, "div");
        }
    }
}

fn is_data_table(doc: &Document, table: NodeId) -> bool {
    if doc.attr(table, "role") == Some("presentation") || doc.attr(table, "datatable") == Some("0")
    {
        return false;
    }
    if doc
        .attr(table, "summary")
        .is_some_and(|summary| !summary.is_empty())
    {
        return true;
    }
    if doc
        .first(table, "caption")
        .is_some_and(|caption| !doc.children(caption).is_empty())
    {
        return true;
    }
    if !doc
        .find_all(table, &["col", "colgroup", "tfoot", "thead", "th"])
        .is_empty()
    {
        return true;
    }
    if doc.first(table, "table").is_some() {
        return false;
    }
    let rows = doc.find_all(table, &["tr"]);
    let columns = rows
        .iter()
        .map(|&row| doc.find_all(row, &["td", "th"]).len())
        .max()
        .unwrap_or(0);
    rows.len() >= 10 || columns > 4 || rows.len() * columns > 10
}

fn inside_data_table(doc: &Document, node: NodeId) -> bool {
    doc.ancestors(node)
        .any(|ancestor| doc.tag(ancestor) == "table" && is_data_table(doc, ancestor))
}

fn remove_all(doc: &mut Document, article: NodeId, tags: &[&str]) {
    for node in doc.find_all(article, tags) {
        doc.detach(node);
    }
}

fn is_video_embed(doc: &Document, node: NodeId) -> bool {
    let src = doc.attr(node, "src").unwrap_or("").to_lowercase();
    [
        "youtube",
        "vimeo",
        "dailymotion",
        "youtube-nocookie",
        "twitch",
        "archive.org",
        "player",
    ]
    .iter()
    .any(|host| src.contains(host))
}

/// Readability's conditional cleaning: drop a container that looks like clutter rather than prose.
fn clean_conditionally(doc: &mut Document, article: NodeId, tag: &str, flags: Flags) {
    if !flags.clean_conditionally {
        return;
    }
    for node in doc.find_all(article, &[tag]).into_iter().rev() {
        if !doc.is_attached(node) {
            continue;
        }
        if tag == "table" && is_data_table(doc, node) {
            continue;
        }
        if inside_data_table(doc, node) || doc.ancestors(node).any(|a| doc.tag(a) == "code") {
            continue;
        }
        let is_list = matches!(tag, "ul" | "ol") || {
            let text_length = doc.inner_text(node).chars().count();
            let list_length: usize = doc
                .find_all(node, &["ul", "ol"])
                .iter()
                .map(|&list| doc.inner_text(list).chars().count())
                .sum();
            text_length > 0 && list_length as f64 / text_length as f64 > 0.9
        };
        let weight = class_weight(doc, node, flags);
        if weight < 0.0 {
            doc.detach(node);
            continue;
        }
        let text = doc.inner_text(node);
        if text.matches(',').count() >= 10 {
            continue;
        }
        let paragraphs = doc.find_all(node, &["p"]).len() as f64;
        let images = doc.find_all(node, &["img"]).len() as f64;
        let items = doc.find_all(node, &["li"]).len() as f64 - 100.0;
        let inputs = doc.find_all(node, &["input"]).len() as f64;
        let heading_text: usize = doc
            .find_all(node, &["h1", "h2", "h3", "h4", "h5", "h6"])
            .iter()
            .map(|&heading| doc.inner_text(heading).chars().count())
            .sum();
        let length = text.chars().count();
        let heading_density = if length == 0 {
            0.0
        } else {
            heading_text as f64 / length as f64
        };
        let embeds = doc
            .find_all(node, &["object", "embed", "iframe"])
            .into_iter()
            .filter(|&embed| !is_video_embed(doc, embed))
            .count();
        let density = link_density(doc, node);
        let in_figure = doc.ancestors(node).any(|a| doc.tag(a) == "figure");
        let remove = (images > 1.0 && paragraphs / images < 0.5 && !in_figure)
            || (!is_list && items > paragraphs)
            || (inputs > (paragraphs / 3.0).floor())
            || (!is_list
                && heading_density < 0.9
                && length < 25
                && (images == 0.0 || images > 2.0)
                && density > 0.0)
            || (!is_list && weight < 25.0 && density > 0.2)
            || (weight >= 25.0 && density > 0.5)
            || ((embeds == 1 && length < 75) || embeds > 1);
        // A list of images only (a gallery) is kept.
        let image_list = is_list && {
            let items = doc.find_all(node, &["li"]);
            !items.is_empty()
                && items.iter().all(|&item| {
                    doc.find_all(item, &["img"]).len() == 1 && doc.inner_text(item).is_empty()
                })
        };
        if remove && !image_list {
            doc.detach(node);
        }
    }
}

const SHARE: &[&str] = &["share", "sharedaddy"];

pub fn prepare_article(doc: &mut Document, article: NodeId, flags: Flags) {
    clean_conditionally(doc, article, "form", flags);
    clean_conditionally(doc, article, "fieldset", flags);
    remove_all(
        doc,
        article,
        &["object", "embed", "footer", "link", "aside"],
    );
    // Share bars: small elements whose class or id says "share".
    for node in doc.descendants(article) {
        if !doc.is_element(node) || !doc.is_attached(node) {
            continue;
        }
        let names = match_string(doc, node);
        if SHARE.iter().any(|share| names.contains(share))
            && doc.inner_text(node).chars().count() < 500
        {
            doc.detach(node);
        }
    }
    remove_all(
        doc,
        article,
        &["iframe", "input", "textarea", "select", "button"],
    );
    for heading in doc.find_all(article, &["h1", "h2"]) {
        if class_weight(doc, heading, flags) < 0.0 {
            doc.detach(heading);
        }
    }
    clean_conditionally(doc, article, "table", flags);
    clean_conditionally(doc, article, "ul", flags);
    clean_conditionally(doc, article, "div", flags);
    for heading in doc.find_all(article, &["h1"]) {
        doc.rename(heading, "h2");
    }
    for paragraph in doc.find_all(article, &["p"]) {
        let media = doc
            .find_all(paragraph, &["img", "embed", "object", "iframe"])
            .len();
        if media == 0 && doc.inner_text(paragraph).is_empty() {
            doc.detach(paragraph);
        }
    }
}
