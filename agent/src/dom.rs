//! A small arena DOM built by html5ever, for reader extraction and form analysis.
//!
//! Nodes live in one vector and refer to each other by index, so the reader can detach and
//! rename nodes cheaply without reference counting.

use std::borrow::Cow;
use std::cell::{Ref, RefCell};

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, QualName, local_name, ns, parse_document};

pub type NodeId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Document,
    Element,
    Text,
    Comment,
    Other,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    /// Lower-case local name for elements, empty otherwise.
    pub tag: String,
    pub attrs: Vec<(String, String)>,
    /// Character data for text and comments.
    pub text: String,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    qual: QualName,
}

impl Node {
    fn new(kind: Kind, qual: QualName) -> Self {
        Node {
            kind,
            tag: qual.local.to_string(),
            attrs: Vec::new(),
            text: String::new(),
            parent: None,
            children: Vec::new(),
            qual,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Document {
    pub nodes: Vec<Node>,
}

pub const ROOT: NodeId = 0;

impl Document {
    pub fn parse(html: &str) -> Document {
        let sink = Sink {
            nodes: RefCell::new(vec![Node::new(Kind::Document, empty_name())]),
        };
        parse_document(sink, Default::default()).one(html)
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn is_element(&self, id: NodeId) -> bool {
        self.nodes[id].kind == Kind::Element
    }

    pub fn tag(&self, id: NodeId) -> &str {
        &self.nodes[id].tag
    }

    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.nodes[id]
            .attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn set_attr(&mut self, id: NodeId, name: &str, value: &str) {
        let attrs = &mut self.nodes[id].attrs;
        match attrs.iter_mut().find(|(key, _)| key == name) {
            Some(entry) => entry.1 = value.to_string(),
            None => attrs.push((name.to_string(), value.to_string())),
        }
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.nodes[id].children
    }

    pub fn element_children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes[id]
            .children
            .iter()
            .copied()
            .filter(|&child| self.is_element(child))
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.nodes[id].parent
    }

    /// Elements below `id` in document order (not including `id`).
    pub fn descendants(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self.nodes[id].children.iter().rev().copied().collect();
        while let Some(next) = stack.pop() {
            out.push(next);
            stack.extend(self.nodes[next].children.iter().rev().copied());
        }
        out
    }

    pub fn find_all(&self, id: NodeId, tags: &[&str]) -> Vec<NodeId> {
        self.descendants(id)
            .into_iter()
            .filter(|&node| self.is_element(node) && tags.contains(&self.tag(node)))
            .collect()
    }

    pub fn first(&self, id: NodeId, tag: &str) -> Option<NodeId> {
        self.descendants(id)
            .into_iter()
            .find(|&node| self.is_element(node) && self.tag(node) == tag)
    }

    /// The concatenated text of all descendant text nodes.
    pub fn text_content(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.collect_text(id, &mut out);
        out
    }

    fn collect_text(&self, id: NodeId, out: &mut String) {
        let node = &self.nodes[id];
        match node.kind {
            Kind::Text => out.push_str(&node.text),
            Kind::Element | Kind::Document => {
                for &child in &node.children {
                    self.collect_text(child, out);
                }
            }
            _ => {}
        }
    }

    /// Text content with runs of whitespace collapsed and ends trimmed.
    pub fn inner_text(&self, id: NodeId) -> String {
        collapse_whitespace(&self.text_content(id))
    }

    pub fn detach(&mut self, id: NodeId) {
        if let Some(parent) = self.nodes[id].parent.take() {
            self.nodes[parent].children.retain(|&child| child != id);
        }
    }

    pub fn append_child(&mut self, parent: NodeId, child: NodeId) {
        self.detach(child);
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
    }

    pub fn rename(&mut self, id: NodeId, tag: &str) {
        self.nodes[id].tag = tag.to_string();
    }

    pub fn create_element(&mut self, tag: &str) -> NodeId {
        let mut node = Node::new(Kind::Element, empty_name());
        node.tag = tag.to_string();
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    pub fn is_attached(&self, mut id: NodeId) -> bool {
        loop {
            if id == ROOT {
                return true;
            }
            match self.nodes[id].parent {
                Some(parent) => id = parent,
                None => return false,
            }
        }
    }

    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.nodes[id].parent, move |&node| self.nodes[node].parent)
    }

    pub fn html_element(&self) -> Option<NodeId> {
        self.element_children(ROOT)
            .find(|&node| self.tag(node) == "html")
    }

    pub fn body(&self) -> Option<NodeId> {
        let html = self.html_element()?;
        self.element_children(html)
            .find(|&node| self.tag(node) == "body")
    }

    pub fn head(&self) -> Option<NodeId> {
        let html = self.html_element()?;
        self.element_children(html)
            .find(|&node| self.tag(node) == "head")
    }
}

pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn empty_name() -> QualName {
    QualName::new(None, ns!(), local_name!(""))
}

struct Sink {
    nodes: RefCell<Vec<Node>>,
}

impl Sink {
    fn push(&self, node: Node) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(node);
        nodes.len() - 1
    }

    fn append_text(&self, parent: NodeId, position: Option<usize>, text: &str) {
        let mut nodes = self.nodes.borrow_mut();
        // Merge with the neighbouring text node, as the DOM does.
        let neighbour = match position {
            Some(0) => None,
            Some(index) => nodes[parent].children.get(index - 1).copied(),
            None => nodes[parent].children.last().copied(),
        };
        if let Some(previous) = neighbour
            && nodes[previous].kind == Kind::Text
        {
            nodes[previous].text.push_str(text);
            return;
        }
        let mut node = Node::new(Kind::Text, empty_name());
        node.text = text.to_string();
        node.parent = Some(parent);
        nodes.push(node);
        let id = nodes.len() - 1;
        match position {
            Some(index) => nodes[parent].children.insert(index, id),
            None => nodes[parent].children.push(id),
        }
    }

    fn insert(&self, parent: NodeId, position: Option<usize>, child: NodeOrText<NodeId>) {
        match child {
            NodeOrText::AppendText(text) => self.append_text(parent, position, &text),
            NodeOrText::AppendNode(node) => {
                self.remove_from_parent(&node);
                let mut nodes = self.nodes.borrow_mut();
                nodes[node].parent = Some(parent);
                match position {
                    Some(index) => nodes[parent].children.insert(index, node),
                    None => nodes[parent].children.push(node),
                }
            }
        }
    }
}

impl TreeSink for Sink {
    type Handle = NodeId;
    type Output = Document;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Document {
        Document {
            nodes: self.nodes.into_inner(),
        }
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        ROOT
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        Ref::map(self.nodes.borrow(), |nodes| &nodes[*target].qual)
    }

    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        _flags: ElementFlags,
    ) -> NodeId {
        let mut node = Node::new(Kind::Element, name);
        node.attrs = attrs
            .into_iter()
            .map(|attr| (attr.name.local.to_string(), attr.value.to_string()))
            .collect();
        self.push(node)
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        let mut node = Node::new(Kind::Comment, empty_name());
        node.text = text.to_string();
        self.push(node)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.push(Node::new(Kind::Other, empty_name()))
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.insert(*parent, None, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let has_parent = self.nodes.borrow()[*element].parent.is_some();
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        // Template contents stay inline: the reader never renders templates anyway.
        *target
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let (parent, index) = {
            let nodes = self.nodes.borrow();
            let Some(parent) = nodes[*sibling].parent else {
                return;
            };
            let index = nodes[parent]
                .children
                .iter()
                .position(|child| child == sibling)
                .unwrap_or(0);
            (parent, index)
        };
        if let NodeOrText::AppendNode(node) = &new_node {
            // Removing the node first may shift the sibling's index.
            self.remove_from_parent(node);
            let index = self.nodes.borrow()[parent]
                .children
                .iter()
                .position(|child| child == sibling)
                .unwrap_or(index);
            self.insert(parent, Some(index), new_node);
        } else {
            self.insert(parent, Some(index), new_node);
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        let mut nodes = self.nodes.borrow_mut();
        let node = &mut nodes[*target];
        for attr in attrs {
            let name = attr.name.local.to_string();
            if !node.attrs.iter().any(|(key, _)| *key == name) {
                node.attrs.push((name, attr.value.to_string()));
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        if let Some(parent) = nodes[*target].parent.take() {
            nodes[parent].children.retain(|child| child != target);
        }
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        let children = std::mem::take(&mut nodes[*node].children);
        for &child in &children {
            nodes[child].parent = Some(*new_parent);
        }
        nodes[*new_parent].children.extend(children);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reads_text() {
        let doc = Document::parse("<p id=a>Hello <b>big</b>   world<!-- hidden --></p>");
        let body = doc.body().expect("body");
        let p = doc.first(body, "p").expect("p");
        assert_eq!(doc.attr(p, "id"), Some("a"));
        assert_eq!(doc.inner_text(p), "Hello big world");
    }

    #[test]
    fn misnested_markup_is_repaired() {
        let doc = Document::parse("<table><tr><td>cell</td></tr>stray</table><p>after");
        let body = doc.body().expect("body");
        // Foster parenting moves the stray text before the table.
        assert_eq!(doc.inner_text(body), "straycellafter");
        assert!(doc.first(body, "td").is_some());
    }
}
