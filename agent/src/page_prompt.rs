//! How a model that reads whole pages is shown one: one system prompt for key points and
//! answers, and one rendering of the page (`Page title: …`, then its passages numbered under
//! their headings inside `<page>`). Summaries and questions build their requests from the same
//! pieces, so a question asked after a summary of the same page starts with the tokens the
//! engine has just read, and only the question itself is new.

use crate::model::Segment;
use crate::passages::Passage;

pub const READING_SYSTEM: &str = include_str!("../../resources/prompts/reading-system.txt");

/// The passages as numbered lines, a `## heading` line where a new section begins; `label`
/// names each passage as the model is to cite it.
pub fn numbered_lines(passages: &[&Passage], label: impl Fn(&Passage) -> String) -> String {
    let mut lines = String::new();
    let mut heading = None;
    for passage in passages {
        lines.push_str(&passage_lines(passage, heading, &label(passage)));
        heading = passage.heading.as_deref();
    }
    lines
}

/// One passage's lines: its heading when it differs from `previous_heading`, then `[label] text`.
pub fn passage_lines(passage: &Passage, previous_heading: Option<&str>, label: &str) -> String {
    let mut lines = String::new();
    if let Some(heading) = &passage.heading
        && previous_heading != Some(heading.as_str())
    {
        lines.push_str(&format!("## {heading}\n"));
    }
    lines.push_str(&format!("[{label}] {}\n", passage.text));
    lines
}

/// A single page, up to its closing tag: the prefix summaries and questions share. The caller
/// adds its task after it, starting with `</page>`.
pub fn page_segments(title: &str, passages: &[&Passage]) -> Vec<Segment> {
    vec![
        Segment::trusted("Page title: "),
        Segment::untrusted(title.to_owned()),
        Segment::trusted("\n<page>\n"),
        Segment::untrusted(numbered_lines(passages, |passage| {
            passage.number.to_string()
        })),
    ]
}
