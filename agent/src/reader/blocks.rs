//! The article as a flat list of text blocks (headings, paragraphs, list items, quotes, code):
//! what the reader view renders and what summaries cite.

use serde::Serialize;

use crate::dom::{Document, Kind, NodeId, collapse_whitespace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    Paragraph,
    ListItem,
    Quote,
    Code,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
}

/// Elements that end the running paragraph.
const BREAKING: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "figure",
    "figcaption",
    "hr",
    "form",
    "fieldset",
    "details",
    "summary",
    "address",
];

struct Collector<'a> {
    doc: &'a Document,
    blocks: Vec<Block>,
    running: String,
    kind: BlockKind,
}

impl Collector<'_> {
    fn flush(&mut self) {
        let text = collapse_whitespace(&self.running);
        self.running.clear();
        if !text.is_empty() {
            self.blocks.push(Block {
                kind: self.kind,
                text,
            });
        }
    }

    fn walk(&mut self, node: NodeId) {
        let data = self.doc.node(node);
        match data.kind {
            Kind::Text => self.running.push_str(&data.text),
            Kind::Element => {
                let tag = data.tag.as_str();
                if tag == "br" {
                    // A single <br> inside a paragraph is a line break, not a new block.
                    self.running.push(' ');
                    return;
                }
                if !BREAKING.contains(&tag) {
                    for &child in &data.children {
                        self.walk(child);
                    }
                    return;
                }
                self.flush();
                let outer = self.kind;
                self.kind = match tag {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => BlockKind::Heading,
                    "li" | "dt" | "dd" => BlockKind::ListItem,
                    "blockquote" => BlockKind::Quote,
                    "pre" => BlockKind::Code,
                    "p" | "td" | "th" | "figcaption" if outer == BlockKind::Quote => {
                        BlockKind::Quote
                    }
                    "p" | "td" | "th" | "figcaption" if outer == BlockKind::ListItem => {
                        BlockKind::ListItem
                    }
                    "p" | "td" | "th" | "figcaption" | "caption" | "summary" => {
                        BlockKind::Paragraph
                    }
                    _ => outer,
                };
                for &child in &data.children {
                    self.walk(child);
                }
                self.flush();
                self.kind = outer;
            }
            _ => {}
        }
    }
}

pub fn collect(doc: &Document, article: NodeId) -> Vec<Block> {
    let mut collector = Collector {
        doc,
        blocks: Vec::new(),
        running: String::new(),
        kind: BlockKind::Paragraph,
    };
    collector.walk(article);
    collector.flush();
    collector.blocks
}
