//! Questions about one page or several open tabs. The passages that share words with the
//! question are found first (a small model cannot search a whole page well); when none do, the
//! answer says the pages do not say, without asking the model to guess.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use crate::cited::{self, Label, LineBuffer, Point};
use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};
use crate::passages::{Passage, Passages};

const SYSTEM: &str = include_str!("../../resources/prompts/question-system.txt");

/// What the answer says when the pages do not answer the question.
pub const NOT_FOUND: &str = "The pages do not say.";

/// Passages shown to the model at most.
const MAX_PASSAGES: usize = 8;

#[derive(Debug)]
pub enum Event<'a> {
    Token(&'a str),
    Point(&'a Point),
}

#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub points: Vec<Point>,
    pub not_found: bool,
    pub stopped: bool,
}

impl Answer {
    pub fn text(&self) -> String {
        if self.not_found {
            return NOT_FOUND.to_string();
        }
        self.points
            .iter()
            .map(|point| point.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    #[error("the question is empty")]
    EmptyQuestion,
    #[error("no page text to answer from")]
    NoPages,
    #[error(transparent)]
    Model(#[from] ModelError),
}

const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "by",
    "with",
    "and",
    "or",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "does",
    "do",
    "did",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "page",
    "pages",
    "article",
    "say",
    "says",
    "tell",
    "me",
    "about",
    "can",
    "you",
    "there",
    "any",
    "from",
    "as",
    "than",
    "then",
    "into",
    "their",
    "they",
    "he",
    "she",
    "his",
    "her",
    "we",
    "our",
    "i",
    "my",
    "much",
    "many",
    "some",
    "has",
    "have",
    "had",
    "not",
    "no",
    "yes",
    "according",
    "mention",
    "mentioned",
    "tab",
    "tabs",
    "open",
];

/// Lower-cased words without stopwords, lightly stemmed so "rivers" finds "river".
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|word| !word.is_empty() && !STOPWORDS.contains(&word.as_str()))
        .map(|word| stem(&word))
        .collect()
}

fn stem(word: &str) -> String {
    for suffix in ["ies", "es", "s", "ing", "ed"] {
        if word.len() > suffix.len() + 3
            && let Some(root) = word.strip_suffix(suffix)
        {
            return root.to_string();
        }
    }
    word.to_string()
}

/// Passages ranked by how many question terms they contain, rarer terms counting more.
pub fn retrieve<'a>(sources: &'a [Passages], question: &str) -> Vec<(usize, &'a Passage, f64)> {
    let wanted: HashSet<String> = terms(question).into_iter().collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let all: Vec<(usize, &Passage, HashSet<String>)> = sources
        .iter()
        .enumerate()
        .flat_map(|(source, passages)| {
            passages.items.iter().map(move |passage| {
                let heading = passage.heading.as_deref().unwrap_or("");
                let words = terms(&format!("{heading} {}", passage.text))
                    .into_iter()
                    .collect();
                (source, passage, words)
            })
        })
        .collect();
    let mut document_frequency: HashMap<&str, usize> = HashMap::new();
    for (_, _, words) in &all {
        for term in &wanted {
            if words.contains(term) {
                *document_frequency.entry(term).or_default() += 1;
            }
        }
    }
    let total = all.len() as f64;
    let mut scored: Vec<(usize, &Passage, f64)> = all
        .iter()
        .map(|(source, passage, words)| {
            let score = wanted
                .iter()
                .filter(|term| words.contains(*term))
                .map(|term| {
                    let frequency =
                        document_frequency.get(term.as_str()).copied().unwrap_or(1) as f64;
                    (1.0 + total / frequency).ln()
                })
                .sum();
            (*source, *passage, score)
        })
        .filter(|(_, _, score)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.2.total_cmp(&a.2));
    scored
}

fn label(sources: usize, source: usize, passage: usize) -> String {
    if sources == 1 {
        passage.to_string()
    } else {
        format!("{}.{}", source + 1, passage)
    }
}

fn not_found_grammar(labels: &[Label]) -> String {
    let points = cited::points_grammar(labels, 1, 1);
    // Either cited lines or the exact "not found" sentence.
    points.replacen(
        "root ::= ",
        &format!("root ::= \"{NOT_FOUND}\\n\" | answer\nanswer ::= "),
        1,
    )
}

/// The request for `question` over the `chosen` passages; `may_decline` offers the model the
/// "not found" reply (only when retrieval itself is unsure: a small model declines too readily).
pub fn request(
    sources: &[Passages],
    chosen: &[(usize, &Passage)],
    question: &str,
    may_decline: bool,
) -> (ModelRequest, Vec<Label>) {
    let mut labels = Vec::new();
    let mut user = Vec::new();
    for (index, passages) in sources.iter().enumerate() {
        let mine: Vec<&Passage> = chosen
            .iter()
            .filter(|(source, _)| *source == index)
            .map(|(_, passage)| *passage)
            .collect();
        if mine.is_empty() {
            continue;
        }
        user.push(Segment::trusted(format!(
            "<page tab=\"{}\">\nTitle: ",
            index + 1
        )));
        user.push(Segment::untrusted(passages.title.clone()));
        user.push(Segment::trusted("\n"));
        let mut lines = String::new();
        for passage in mine {
            let name = label(sources.len(), index, passage.number);
            lines.push_str(&format!("[{name}] {}\n", passage.text));
            labels.push(Label {
                label: name,
                source: index,
                passage: passage.number,
            });
        }
        user.push(Segment::untrusted(lines));
        user.push(Segment::trusted("</page>\n"));
    }
    user.push(Segment::trusted(format!(
        "Question from the user: {question}\nAnswer from the passages above, citing them."
    )));
    let request = ModelRequest {
        system: SYSTEM.to_string(),
        user,
        grammar: Some(if may_decline {
            not_found_grammar(&labels)
        } else {
            cited::points_grammar(&labels, 1, 1)
        }),
        max_tokens: cited::max_tokens_for(1) + 16,
    };
    (request, labels)
}

/// Answer `question` about `sources` (one entry per page), streaming through `on_event`.
pub fn ask(
    model: &mut dyn LanguageModel,
    sources: &[Passages],
    question: &str,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Answer, QuestionError> {
    let question = question.trim();
    if question.is_empty() {
        return Err(QuestionError::EmptyQuestion);
    }
    if sources.iter().all(|passages| passages.items.is_empty()) {
        return Err(QuestionError::NoPages);
    }
    let ranked = retrieve(sources, question);
    if ranked.is_empty() {
        let _ = on_event(Event::Token(NOT_FOUND));
        return Ok(Answer {
            points: Vec::new(),
            not_found: true,
            stopped: false,
        });
    }
    let mut chosen: Vec<(usize, &Passage)> = ranked
        .iter()
        .take(MAX_PASSAGES)
        .map(|(source, passage, _)| (*source, *passage))
        .collect();
    // Reading order within each page.
    chosen.sort_by_key(|(source, passage)| (*source, passage.number));
    // Sure: the best passage holds most of what the question asks about.
    let wanted: HashSet<String> = terms(question).into_iter().collect();
    let best_words: HashSet<String> = terms(&ranked[0].1.text).into_iter().collect();
    let covered = wanted
        .iter()
        .filter(|term| best_words.contains(*term))
        .count();
    let may_decline = covered * 2 < wanted.len();
    let (mut request, mut labels) = request(sources, &chosen, question, may_decline);
    // Drop the weakest passages until the prompt fits the context.
    while chosen.len() > 1 {
        let prompt: String = request
            .user
            .iter()
            .map(|segment| segment.text.as_str())
            .collect();
        let needed = model.count_tokens(&prompt)
            + model.count_tokens(SYSTEM)
            + request.max_tokens as usize
            + 64;
        if needed <= model.context_tokens() {
            break;
        }
        let weakest = ranked.iter().rev().find(|(source, passage, _)| {
            chosen
                .iter()
                .any(|(s, p)| s == source && p.number == passage.number)
        });
        if let Some((source, passage, _)) = weakest {
            chosen.retain(|(s, p)| !(s == source && p.number == passage.number));
        }
        (request, labels) = self::request(sources, &chosen, question, may_decline);
    }
    let mut buffer = LineBuffer::default();
    let mut points = Vec::new();
    let mut output = String::new();
    let reply = model.generate(&request, &mut |piece| {
        output.push_str(piece);
        on_event(Event::Token(piece))?;
        for point in buffer.push(piece, &labels) {
            on_event(Event::Point(&point))?;
            points.push(point);
        }
        ControlFlow::Continue(())
    })?;
    let not_found = points.is_empty() && output.trim() == NOT_FOUND;
    Ok(Answer {
        points,
        not_found,
        stopped: reply.stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(texts: &[&str]) -> Passages {
        Passages {
            title: "T".into(),
            url: "http://x/".into(),
            items: texts
                .iter()
                .enumerate()
                .map(|(index, text)| Passage {
                    number: index + 1,
                    heading: None,
                    text: text.to_string(),
                })
                .collect(),
            left_out: Vec::new(),
        }
    }

    #[test]
    fn retrieval_prefers_passages_with_rare_question_words() {
        let pages = [page(&[
            "The Danube flows through ten countries.",
            "The Rhine flows north to the sea.",
            "Rivers flow.",
        ])];
        let ranked = retrieve(&pages, "Which countries does the Danube flow through?");
        assert_eq!(ranked[0].1.number, 1);
        assert!(retrieve(&pages, "What is the price of tea?").is_empty());
    }

    #[test]
    fn labels_name_the_tab_when_several_pages_are_asked() {
        let pages = [page(&["Lyon is in France."]), page(&["Kyoto is in Japan."])];
        let chosen = vec![(0, &pages[0].items[0]), (1, &pages[1].items[0])];
        let (request, labels) = request(&pages, &chosen, "Where is Kyoto?", true);
        assert_eq!(labels[1].label, "2.1");
        let grammar = request.grammar.unwrap_or_default();
        assert!(grammar.contains("\"1.1\" | \"2.1\""), "{grammar}");
        assert!(
            grammar.starts_with("root ::= \"The pages do not say.\\n\" | answer"),
            "{grammar}"
        );
    }
}
