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
    /// Further passages of the same page the point rests on (a key point drawn from several).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<usize>,
}

impl Point {
    /// Every passage the point cites, the first one first.
    pub fn passages(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.passage).chain(self.also.iter().copied())
    }
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

/// Longest key point, in characters (a full stop inside a number counts with the next one):
/// a point drawn from several passages needs more room than a restated one.
pub const MAX_KEY_POINT_CHARS: usize = 240;

fn root_rule(min: usize, max: usize) -> String {
    let optional = max.saturating_sub(min);
    let mut root = vec!["point"; min.max(1)].join(" ");
    if optional > 0 {
        root.push_str(&format!(" point{{0,{optional}}}"));
    }
    root
}

/// GBNF for `min..=max` lines of `- one sentence. [label]`. A point is one sentence: its full
/// stop is the only one allowed, which keeps a small model from rambling on.
pub fn points_grammar(labels: &[Label], min: usize, max: usize) -> String {
    format!(
        "root ::= {}\n\
         point ::= \"- \" [^\\[\\]\\n. -] [^\\[\\]\\n.]{{4,{}}} \". [\" cite \"]\\n\"\n\
         cite ::= {}\n",
        root_rule(min, max),
        MAX_POINT_CHARS,
        alternatives(labels)
    )
}

/// The rules a key point or an answer ends with: its citations after the full stop, `. [2]`, or
/// before it, `[2, 5].` (models write both; one allowed alone, a model that wanted the other
/// wrote its numbers into the sentence instead); and the characters of its sentence (a full stop
/// inside a number, an abbreviation or an address, `3.5`, `mozilla.org`: one followed by a
/// letter or a digit; after any other the line must cite).
fn sentence_rules(labels: &[Label], most_cites: usize) -> String {
    let more = most_cites.saturating_sub(1);
    format!(
        "ending ::= \". [\" cites \"]\\n\" | \" [\" cites \"].\\n\"\n\
         cites ::= cite (\", \" cite){{0,{more}}}\n\
         char ::= [^\\[\\]\\n.] | \".\" [0-9A-Za-z]\n\
         cite ::= {}\n",
        alternatives(labels)
    )
}

/// GBNF for `min..=max` key points, one sentence each, citing one to `most_cites` labels.
pub fn key_points_grammar(labels: &[Label], min: usize, max: usize, most_cites: usize) -> String {
    format!(
        "root ::= {}\n\
         point ::= \"- \" [^\\[\\]\\n. -] char{{4,{}}} ending\n{}",
        root_rule(min, max),
        MAX_KEY_POINT_CHARS,
        sentence_rules(labels, most_cites)
    )
}

/// GBNF for a one-sentence answer citing one to `most_cites` labels, or, with `declined`, that
/// exact sentence. The answer has no "- " in front: a model that starts its answer the way the
/// declining sentence starts ("The …") must not be steered into declining.
pub fn answer_grammar(labels: &[Label], most_cites: usize, declined: Option<&str>) -> String {
    let root = match declined {
        Some(sentence) => format!("root ::= \"{sentence}\\n\" | answer\n"),
        None => "root ::= answer\n".to_owned(),
    };
    format!(
        "{root}answer ::= [^\\[\\]\\n. -] char{{4,{}}} ending\n{}",
        MAX_KEY_POINT_CHARS,
        sentence_rules(labels, most_cites)
    )
}

/// Tokens a grammar of `points` lines can need at most (about three characters per token).
pub fn max_tokens_for(points: usize) -> u32 {
    u32::try_from(points * (MAX_POINT_CHARS / 3 + 12)).unwrap_or(u32::MAX)
}

/// Tokens `points` key points may take at worst: a token per character, a character unit being
/// two characters where a full stop sits inside a word, and the citations. Prose takes a sixth of
/// that, but a small model's rambling, grammar-bound, can take all of it, and a reply cut short
/// would lose the answer; callers bound it by what the context leaves (`model::fit_reply`).
pub fn max_tokens_for_key_points(points: usize) -> u32 {
    u32::try_from(points * (2 * MAX_KEY_POINT_CHARS + 40)).unwrap_or(u32::MAX)
}

/// Context to keep free for `points` key points as models write them (prose, about four
/// characters a token): the page gets the rest, and only a model that rambles runs out.
pub fn room_for_key_points(points: usize) -> usize {
    points * (MAX_KEY_POINT_CHARS / 4 + 20)
}

/// A line `- text. [a]` or `- text. [a, b]` as a point; labels the model was not shown are
/// dropped, and a line citing none of the known ones is no point. Further labels count only
/// when they name passages of the first one's page.
pub fn parse_line(line: &str, labels: &[Label]) -> Option<Point> {
    let line = line.trim();
    let body = line.strip_prefix("- ").unwrap_or(line);
    let open = body.rfind(" [")?;
    let after = &body[open + 2..];
    // `text. [n]`, or `text [n].` (the full stop then goes back on the text).
    let (cited, stop_after) = match after.strip_suffix("].") {
        Some(cited) => (cited, true),
        None => (after.strip_suffix(']')?, false),
    };
    let mut known = cited.split(',').filter_map(|label| {
        let label = label.trim();
        labels.iter().find(|known| known.label == label)
    });
    let first = known.next()?;
    let mut also = Vec::new();
    for label in known {
        if label.source == first.source
            && label.passage != first.passage
            && !also.contains(&label.passage)
        {
            also.push(label.passage);
        }
    }
    let mut text = body[..open].trim().to_string();
    if stop_after {
        text.push('.');
    }
    Some(Point {
        text,
        source: first.source,
        passage: first.passage,
        also,
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
                passage: 2,
                also: Vec::new(),
            }]
        );
    }

    #[test]
    fn an_answer_needs_no_dash_and_may_decline() {
        let grammar = answer_grammar(&labels(), 2, Some("The pages do not say."));
        assert!(
            grammar.starts_with("root ::= \"The pages do not say.\\n\" | answer\n"),
            "{grammar}"
        );
        assert!(grammar.contains("answer ::= [^"), "{grammar}");
        assert!(
            grammar.contains("cites ::= cite (\", \" cite){0,1}"),
            "{grammar}"
        );
        // An answer line parses as a point, dash or not.
        assert_eq!(
            parse_line("The council met in 1932. [2]", &labels()).map(|point| point.passage),
            Some(2)
        );
    }

    #[test]
    fn a_key_point_may_cite_several_passages() {
        let point = parse_line("- Both rivers rose. [3, 1, 9, 3]", &labels());
        assert_eq!(
            point,
            Some(Point {
                text: "Both rivers rose.".into(),
                source: 0,
                passage: 3,
                also: vec![1],
            })
        );
        let grammar = key_points_grammar(&labels(), 3, 5, 3);
        assert!(
            grammar.contains("cites ::= cite (\", \" cite){0,2}"),
            "{grammar}"
        );
        // The citation may come before the full stop too.
        let point = parse_line("- Both rivers rose [2, 3].", &labels());
        assert_eq!(
            point.map(|point| (point.text, point.passage, point.also)),
            Some(("Both rivers rose.".to_owned(), 2, vec![3]))
        );
        assert!(
            grammar.contains("point point point point{0,2}"),
            "{grammar}"
        );
    }
}
