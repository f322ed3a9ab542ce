//! Grammar-constrained output where every line cites a passage: the grammar only admits the
//! labels of passages the model was shown, so a citation always points at real page text.

use serde::Serialize;

/// A line of output and the passage it cites.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub text: String,
    /// Index of the page (tab) among those asked about; 0 for a single page.
    pub source: usize,
    /// Passage number within that page.
    pub passage: usize,
}

/// A passage label the model may cite, and what it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub label: String,
    pub source: usize,
    pub passage: usize,
}

/// Longest point, in characters; bounding it keeps a rambling model inside `max_tokens`.
pub const MAX_POINT_CHARS: usize = 140;

fn alternatives(labels: &[Label]) -> String {
    labels
        .iter()
        .map(|label| format!("\"{}\"", label.label))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// GBNF for `min..=max` lines of `- one sentence. [label]`. A point is one sentence: its full
/// stop is the only one allowed, which keeps a small model from rambling on.
pub fn points_grammar(labels: &[Label], min: usize, max: usize) -> String {
    let optional = max.saturating_sub(min);
    let mut root = vec!["point"; min.max(1)].join(" ");
    if optional > 0 {
        root.push_str(&format!(" point{{0,{optional}}}"));
    }
    format!(
        "root ::= {root}\n\
         point ::= \"- \" [^\\[\\]\\n. -] [^\\[\\]\\n.]{{4,{}}} \". [\" cite \"]\\n\"\n\
         cite ::= {}\n",
        MAX_POINT_CHARS,
        alternatives(labels)
    )
}

/// Tokens a grammar of `points` lines can need at most (about three characters per token).
pub fn max_tokens_for(points: usize) -> u32 {
    u32::try_from(points * (MAX_POINT_CHARS / 3 + 12)).unwrap_or(u32::MAX)
}

pub fn parse_line(line: &str, labels: &[Label]) -> Option<Point> {
    let line = line.trim();
    let body = line.strip_prefix("- ").unwrap_or(line);
    let open = body.rfind(" [")?;
    let label = body[open + 2..].strip_suffix(']')?;
    let known = labels.iter().find(|known| known.label == label)?;
    Some(Point {
        text: body[..open].trim().to_string(),
        source: known.source,
        passage: known.passage,
    })
}

/// Collects streamed text and hands out each point as its line completes.
#[derive(Debug, Default)]
pub struct LineBuffer {
    pending: String,
}

impl LineBuffer {
    pub fn push(&mut self, piece: &str, labels: &[Label]) -> Vec<Point> {
        self.pending.push_str(piece);
        let mut points = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            let line: String = self.pending.drain(..=end).collect();
            points.extend(parse_line(&line, labels));
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<Label> {
        (1..=3)
            .map(|n| Label {
                label: n.to_string(),
                source: 0,
                passage: n,
            })
            .collect()
    }

    #[test]
    fn grammar_lists_only_known_labels() {
        let grammar = points_grammar(&labels(), 1, 4);
        assert!(
            grammar.contains("cite ::= \"1\" | \"2\" | \"3\""),
            "{grammar}"
        );
        assert!(grammar.contains("point{0,3}"), "{grammar}");
    }

    #[test]
    fn lines_parse_as_they_complete() {
        let mut buffer = LineBuffer::default();
        assert!(buffer.push("- The river [", &labels()).is_empty());
        let points = buffer.push("2]\n- Unknown [9]\n", &labels());
        assert_eq!(
            points,
            vec![Point {
                text: "The river".into(),
                source: 0,
                passage: 2
            }]
        );
    }
}
