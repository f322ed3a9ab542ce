//! Questions about one page or several open tabs.
//!
//! A model of a billion parameters and more reads the pages whole, as many passages as its
//! context holds (those sharing the question's words first, so a page longer than the context
//! keeps the likeliest ones), and finds the answer itself — in other words than the question's
//! too — or says the pages do not say. A smaller model cannot search a page: it is handed the few
//! passages that share words with the question, and when none do the answer says the pages do
//! not say without asking it to guess.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use crate::cited::{self, Label, LineBuffer, Point};
use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};
use crate::page_prompt;
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
        grammar: Some(cited::answer_grammar(
            &labels,
            1,
            may_decline.then_some(NOT_FOUND),
        )),
        max_tokens: cited::max_tokens_for_key_points(1),
    };
    (request, labels)
}

/// The request of a model that reads whole pages: the reading prompt, and a single page shown
/// exactly as its summary shows it, so that a question after a summary reads only itself.
pub fn whole_request(
    sources: &[Passages],
    chosen: &[(usize, &Passage)],
    question: &str,
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
        for passage in &mine {
            labels.push(Label {
                label: label(sources.len(), index, passage.number),
                source: index,
                passage: passage.number,
            });
        }
        if sources.len() == 1 {
            user.extend(page_prompt::page_segments(&passages.title, &mine));
        } else {
            user.push(Segment::trusted(format!(
                "<page tab=\"{}\">\nPage title: ",
                index + 1
            )));
            user.push(Segment::untrusted(passages.title.clone()));
            user.push(Segment::trusted("\n"));
            user.push(Segment::untrusted(page_prompt::numbered_lines(
                &mine,
                |passage| label(sources.len(), index, passage.number),
            )));
        }
        user.push(Segment::trusted("</page>\n"));
    }
    user.push(Segment::trusted(format!(
        "Question from the user: {question}\nAnswer from the page, citing it."
    )));
    let request = ModelRequest {
        system: page_prompt::READING_SYSTEM.to_string(),
        user,
        grammar: Some(cited::answer_grammar(&labels, 2, Some(NOT_FOUND))),
        max_tokens: cited::max_tokens_for_key_points(1),
    };
    (request, labels)
}

/// Answer `question` about `sources` (one entry per page), streaming through `on_event`; the
/// pages are read whole or searched first as the model's size allows.
pub fn ask(
    model: &mut dyn LanguageModel,
    sources: &[Passages],
    question: &str,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Answer, QuestionError> {
    let whole = crate::model::reads_whole_pages(model.parameter_count());
    ask_reading(model, sources, question, whole, on_event)
}

/// Answer `question`, reading the pages whole (`whole`) or only the passages that share the
/// question's words.
pub fn ask_reading(
    model: &mut dyn LanguageModel,
    sources: &[Passages],
    question: &str,
    whole: bool,
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
    if whole {
        let chosen = whole_pages(model, sources, &ranked, question);
        // Nothing fits only in a context too small for any passage: then as a small model.
        if !chosen.is_empty() {
            let (mut request, labels) = whole_request(sources, &chosen, question);
            crate::model::fit_reply(model, &mut request);
            return answer(model, &request, &labels, on_event);
        }
    }
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
        let needed =
            crate::model::prompt_tokens(model, &request) + cited::room_for_key_points(1) + 64;
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
    crate::model::fit_reply(model, &mut request);
    answer(model, &request, &labels, on_event)
}

/// As many passages as the context holds beside the prompt and the answer: those `ranked` by the
/// question's words first, then the rest of each page in reading order; shown in reading order.
fn whole_pages<'a>(
    model: &mut dyn LanguageModel,
    sources: &'a [Passages],
    ranked: &[(usize, &'a Passage, f64)],
    question: &str,
) -> Vec<(usize, &'a Passage)> {
    let mut order: Vec<(usize, &Passage)> = ranked
        .iter()
        .map(|(source, passage, _)| (*source, *passage))
        .collect();
    for (source, passages) in sources.iter().enumerate() {
        for passage in &passages.items {
            if !order
                .iter()
                .any(|(s, p)| *s == source && p.number == passage.number)
            {
                order.push((source, passage));
            }
        }
    }
    let titles: usize = sources
        .iter()
        .map(|passages| model.count_tokens(&passages.title) + 16)
        .sum();
    let mut budget = model.context_tokens().saturating_sub(
        model.count_tokens(page_prompt::READING_SYSTEM)
            + model.count_tokens(question)
            + titles
            + cited::room_for_key_points(1)
            + 96,
    );
    let mut chosen = Vec::new();
    for (source, passage) in order {
        // With its heading, as if a section began there: a bound, not the exact cost.
        let line = page_prompt::passage_lines(
            passage,
            None,
            &label(sources.len(), source, passage.number),
        );
        let tokens = model.count_tokens(&line);
        if tokens > budget {
            // The context is full: stop asking for counts (a long page has thousands).
            if !chosen.is_empty() {
                break;
            }
            continue;
        }
        budget -= tokens;
        chosen.push((source, passage));
    }
    chosen.sort_by_key(|(source, passage)| (*source, passage.number));
    chosen
}

/// Generate the answer to `request`, streaming its pieces and points.
fn answer(
    model: &mut dyn LanguageModel,
    request: &ModelRequest,
    labels: &[Label],
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Answer, QuestionError> {
    let mut buffer = LineBuffer::default();
    let mut points = Vec::new();
    let mut output = String::new();
    let reply = model.generate(request, &mut |piece| {
        output.push_str(piece);
        on_event(Event::Token(piece))?;
        for point in buffer.push(piece, labels) {
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

    /// Records what it is shown, answers citing the first label its grammar allows.
    struct Recorder {
        parameters: Option<u64>,
        context: usize,
        shown: Vec<String>,
    }

    impl LanguageModel for Recorder {
        fn generate(
            &mut self,
            request: &ModelRequest,
            on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
        ) -> Result<crate::model::ModelReply, ModelError> {
            self.shown.push(
                request
                    .user
                    .iter()
                    .filter(|segment| !segment.trusted)
                    .map(|segment| segment.text.as_str())
                    .collect(),
            );
            let grammar = request.grammar.clone().unwrap_or_default();
            let label = grammar
                .split("cite ::= \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("0")
                .to_owned();
            let text = format!("- It is said there. [{label}]\n");
            let _ = on_token(&text);
            Ok(crate::model::ModelReply {
                text,
                ..Default::default()
            })
        }

        fn context_tokens(&self) -> usize {
            self.context
        }

        fn parameter_count(&self) -> Option<u64> {
            self.parameters
        }
    }

    #[test]
    fn a_larger_model_reads_the_page_whole_even_without_shared_words() {
        let pages = [page(&[
            "The Danube flows through ten countries.",
            "Its delta is a wetland of reeds and pelicans.",
        ])];
        // "birds" and "marsh" are in no passage: a small model is not even asked.
        let question = "Which birds live in the marsh?";
        let mut small = Recorder {
            parameters: Some(135_000_000),
            context: 4096,
            shown: Vec::new(),
        };
        let answer = ask(&mut small, &pages, question, &mut |_| {
            ControlFlow::Continue(())
        })
        .expect("answer");
        assert!(answer.not_found && small.shown.is_empty());
        let mut larger = Recorder {
            parameters: Some(1_500_000_000),
            context: 4096,
            shown: Vec::new(),
        };
        let answer = ask(&mut larger, &pages, question, &mut |_| {
            ControlFlow::Continue(())
        })
        .expect("answer");
        assert_eq!(larger.shown.len(), 1);
        assert!(
            larger.shown[0].contains("[1] The Danube") && larger.shown[0].contains("[2] Its delta")
        );
        assert_eq!(answer.points.len(), 1);
    }

    #[test]
    fn a_question_after_a_summary_starts_with_the_same_prompt() {
        let pages = [page(&[
            "The Danube flows through ten countries.",
            "Its delta is a wetland of reeds and pelicans.",
        ])];
        let all: Vec<&Passage> = pages[0].items.iter().collect();
        let (summary, _) = crate::summary::part_request(&pages[0].title, &all, 2, true);
        let chosen: Vec<(usize, &Passage)> = all.iter().map(|passage| (0, *passage)).collect();
        let (question, _) = whole_request(&pages, &chosen, "Which birds live there?");
        assert_eq!(summary.system, question.system);
        assert!(summary.user.len() > 4 && question.user.len() > 4);
        assert_eq!(summary.user[..4], question.user[..4]);
        assert!(summary.user[4].text.starts_with("</page>\n"));
        assert!(question.user[4].text.starts_with("</page>\n"));
    }

    #[test]
    fn a_page_beyond_the_context_keeps_the_passages_sharing_the_question_words() {
        let mut texts: Vec<String> = (0..400)
            .map(|i| format!("Lock {i} of the canal was repaired in spring by the keepers."))
            .collect();
        texts[350] = "The lighthouse of Saint Marc stands at the estuary.".to_owned();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let pages = [page(&refs)];
        let mut model = Recorder {
            parameters: None,
            context: 1024,
            shown: Vec::new(),
        };
        ask(
            &mut model,
            &pages,
            "Which lighthouse is at the estuary?",
            &mut |_| ControlFlow::Continue(()),
        )
        .expect("answer");
        let shown = &model.shown[0];
        assert!(shown.contains("[351] The lighthouse"), "{shown}");
        assert!(shown.contains("[1] Lock 0"), "{shown}");
        assert!(
            !shown.contains("[400] Lock 399"),
            "the whole page fitted in 1,024 tokens?"
        );
        // In reading order.
        let first = shown.find("[1] ").unwrap_or(usize::MAX);
        assert!(first < shown.find("[351] ").unwrap_or(0));
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
