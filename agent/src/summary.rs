//! "Summarize this page". A small local model cannot condense a whole page reliably, but it can
//! restate one passage in a sentence. So the page's most informative passages are chosen first
//! (spread over the whole page, however long: each part contributes its best), and the model
//! writes one point per passage, streamed as it goes. Each point cites its passage by
//! construction: the grammar only admits that passage's number.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::cited::{self, Label, LineBuffer, Point};
use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};
use crate::passages::{Passage, Passages};
use crate::question::terms;

const SYSTEM: &str = include_str!("../../resources/prompts/summary-system.txt");

/// Points in a summary.
pub const MAX_POINTS: usize = 5;
/// Words of a passage the model reads to restate it.
const PROMPT_WORDS: usize = 70;

/// What the caller sees while a summary is written.
#[derive(Debug)]
pub enum Event<'a> {
    /// A piece of text as the model produced it.
    Token(&'a str),
    /// A point is complete.
    Point(&'a Point),
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub points: Vec<Point>,
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("there is no text on this page to summarize")]
    Empty,
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// How informative a passage is: its words' frequency across the page (words the page keeps
/// coming back to), and the title's words, per word of passage, favouring full paragraphs.
fn salience(passage: &Passage, frequency: &HashMap<String, usize>, title: &[String]) -> f64 {
    let words = terms(&passage.text);
    if words.len() < 8 {
        return 0.0;
    }
    let mut unique: Vec<&String> = words.iter().collect();
    unique.sort();
    unique.dedup();
    let weight: f64 = unique
        .iter()
        .map(|word| {
            let repeated = frequency.get(*word).copied().unwrap_or(0).saturating_sub(1) as f64;
            repeated.ln_1p() + if title.contains(word) { 2.0 } else { 0.0 }
        })
        .sum();
    // Every full passage stays eligible: on a short page nothing repeats.
    (weight + 0.1) / (words.len() as f64).sqrt()
}

/// The passages to summarize, in reading order: the most informative of each stretch of page.
pub fn select(passages: &Passages, points: usize) -> Vec<&Passage> {
    let mut frequency: HashMap<String, usize> = HashMap::new();
    for passage in &passages.items {
        for word in terms(&passage.text) {
            *frequency.entry(word).or_default() += 1;
        }
    }
    let title = terms(&passages.title);
    let count = passages.items.len();
    if count == 0 || points == 0 {
        return Vec::new();
    }
    // One pick per equal stretch of the page, so a long page is covered from start to end.
    let stretches = points.min(count);
    let mut chosen = Vec::new();
    for stretch in 0..stretches {
        let start = stretch * count / stretches;
        let end = ((stretch + 1) * count / stretches).max(start + 1);
        let best = passages.items[start..end].iter().max_by(|a, b| {
            salience(a, &frequency, &title).total_cmp(&salience(b, &frequency, &title))
        });
        if let Some(best) = best
            && salience(best, &frequency, &title) > 0.0
        {
            chosen.push(best);
        }
    }
    if chosen.is_empty() {
        chosen.extend(passages.items.iter().take(points));
    }
    chosen
}

/// The summary prompt's fixed start, to read into the model's cache ahead of the first summary:
/// then only the passage itself is read when the user asks.
pub fn warm_up_request() -> ModelRequest {
    ModelRequest {
        system: SYSTEM.to_string(),
        user: vec![Segment::trusted("Page title: ")],
        grammar: None,
        max_tokens: 1,
    }
}

/// The request that turns `passage` into one cited point.
pub fn request(title: &str, passage: &Passage) -> ModelRequest {
    let label = Label {
        label: passage.number.to_string(),
        source: 0,
        passage: passage.number,
    };
    let mut context = String::new();
    if let Some(heading) = &passage.heading {
        context.push_str(heading);
        context.push('\n');
    }
    // One sentence needs the passage's start, not all of it; a short prompt answers sooner.
    let words: Vec<&str> = passage.text.split_whitespace().collect();
    context.push_str(&words[..words.len().min(PROMPT_WORDS)].join(" "));
    ModelRequest {
        system: SYSTEM.to_string(),
        user: vec![
            Segment::trusted("Page title: "),
            Segment::untrusted(title.to_string()),
            Segment::trusted("\n<passage>\n"),
            Segment::untrusted(context),
            Segment::trusted(
                "\n</passage>\nState the main fact of this passage in one short sentence.",
            ),
        ],
        grammar: Some(cited::points_grammar(std::slice::from_ref(&label), 1, 1)),
        max_tokens: cited::max_tokens_for(1),
    }
}

/// Summarize `passages`, streaming through `on_event`; returning `Break` from it stops.
pub fn summarize(
    model: &mut dyn LanguageModel,
    passages: &Passages,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Summary, SummaryError> {
    if passages.items.is_empty() {
        return Err(SummaryError::Empty);
    }
    let mut summary = Summary::default();
    for passage in select(passages, MAX_POINTS) {
        let request = request(&passages.title, passage);
        let labels = [Label {
            label: passage.number.to_string(),
            source: 0,
            passage: passage.number,
        }];
        let mut buffer = LineBuffer::default();
        let mut stopped = false;
        let reply = model.generate(&request, &mut |piece| {
            if on_event(Event::Token(piece)).is_break() {
                stopped = true;
                return ControlFlow::Break(());
            }
            for point in buffer.push(piece, &labels) {
                // A small model may say the same thing of two passages: say it once.
                if summary.points.iter().any(|seen| seen.text == point.text) {
                    continue;
                }
                if on_event(Event::Point(&point)).is_break() {
                    stopped = true;
                }
                summary.points.push(point);
            }
            if stopped {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        if stopped || reply.stopped {
            summary.stopped = true;
            break;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passages(texts: &[&str]) -> Passages {
        Passages {
            title: "Rivers of Europe".into(),
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
    fn selection_covers_the_page_in_reading_order() {
        let texts: Vec<String> = (0..20)
            .map(|i| format!("Paragraph {i} tells how European rivers carry barges, water and sediment to the sea."))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let page = passages(&refs);
        let chosen = select(&page, 5);
        assert_eq!(chosen.len(), 5);
        let numbers: Vec<usize> = chosen.iter().map(|p| p.number).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        assert!(numbers[0] <= 4 && numbers[4] >= 17, "{numbers:?}");
    }

    #[test]
    fn each_request_admits_only_its_own_passage() {
        let page =
            passages(&["The Danube flows through ten countries on its way to the Black Sea."]);
        let request = request(&page.title, &page.items[0]);
        let grammar = request.grammar.unwrap_or_default();
        assert!(grammar.contains("cite ::= \"1\"\n"), "{grammar}");
        assert!(
            request
                .user
                .iter()
                .any(|s| !s.trusted && s.text.contains("Danube"))
        );
        assert!(
            request
                .user
                .iter()
                .filter(|s| s.trusted)
                .all(|s| !s.text.contains("Danube"))
        );
    }
}
