//! "Summarize this page": points streamed as the model writes them, each citing a passage.
//! A page too long for the model's context is summarized in chunks, and the chunk points merged.

use std::ops::ControlFlow;

use crate::cited::{self, Label, LineBuffer, Point};
use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};
use crate::passages::{Passage, Passages};

const SYSTEM: &str = include_str!("../../resources/prompts/summary-system.txt");

/// Points in a summary.
pub const MAX_POINTS: usize = 5;
/// Points per chunk when a page is summarized in parts.
const CHUNK_POINTS: usize = 3;

/// What the caller sees while a summary is written.
#[derive(Debug)]
pub enum Event<'a> {
    /// A piece of text as the model produced it.
    Token(&'a str),
    /// A point is complete.
    Point(&'a Point),
    /// Starting part `part` of `parts` of a long page.
    Part { part: usize, parts: usize },
    /// The merged points replace everything streamed before.
    Replace(&'a [Point]),
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub points: Vec<Point>,
    pub parts: usize,
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("there is no text on this page to summarize")]
    Empty,
    #[error(transparent)]
    Model(#[from] ModelError),
}

fn labels(passages: &[&Passage]) -> Vec<Label> {
    passages
        .iter()
        .map(|passage| Label {
            label: passage.number.to_string(),
            source: 0,
            passage: passage.number,
        })
        .collect()
}

fn passage_lines(passages: &[&Passage]) -> String {
    let mut text = String::new();
    let mut heading: Option<&str> = None;
    for passage in passages {
        if passage.heading.as_deref() != heading {
            heading = passage.heading.as_deref();
            if let Some(heading) = heading {
                text.push_str(&format!("## {heading}\n"));
            }
        }
        text.push_str(&format!("[{}] {}\n", passage.number, passage.text));
    }
    text
}

/// The request for summarizing `part` of the page: the same words for the pre-read and the real
/// call, so the engine can reuse the page's cache.
pub fn request(title: &str, part: &[&Passage], points: usize) -> ModelRequest {
    let labels = labels(part);
    ModelRequest {
        system: SYSTEM.to_string(),
        user: vec![
            Segment::trusted("Title: "),
            Segment::untrusted(title.to_string()),
            Segment::trusted("\n<page>\n"),
            Segment::untrusted(passage_lines(part)),
            Segment::trusted(format!(
                "</page>\nSummarize the page above in at most {points} short points, each ending with its passage number."
            )),
        ],
        grammar: Some(cited::points_grammar(&labels, 1, points)),
        max_tokens: cited::max_tokens_for(points),
    }
}

/// Split passages into parts that fit the model's context next to the prompt and the answer.
pub fn parts<'a>(passages: &'a Passages, model: &mut dyn LanguageModel) -> Vec<Vec<&'a Passage>> {
    let reserve = model.count_tokens(SYSTEM) + cited::max_tokens_for(MAX_POINTS) as usize + 160;
    let budget = model.context_tokens().saturating_sub(reserve).max(256);
    let mut parts: Vec<Vec<&Passage>> = Vec::new();
    let mut current: Vec<&Passage> = Vec::new();
    let mut used = 0;
    for passage in &passages.items {
        // Line overhead: the label and a possible heading.
        let cost = model.count_tokens(&passage.text) + 8;
        if used + cost > budget && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
            used = 0;
        }
        used += cost;
        current.push(passage);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

fn generate_points(
    model: &mut dyn LanguageModel,
    request: &ModelRequest,
    labels: &[Label],
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<(Vec<Point>, bool), ModelError> {
    let mut buffer = LineBuffer::default();
    let mut points = Vec::new();
    let reply = model.generate(request, &mut |piece| {
        on_event(Event::Token(piece))?;
        for point in buffer.push(piece, labels) {
            on_event(Event::Point(&point))?;
            points.push(point);
        }
        ControlFlow::Continue(())
    })?;
    Ok((points, reply.stopped))
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
    let parts = parts(passages, model);
    let points_per_part = if parts.len() == 1 {
        MAX_POINTS
    } else {
        CHUNK_POINTS
    };
    let mut all = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        if parts.len() > 1
            && on_event(Event::Part {
                part: index + 1,
                parts: parts.len(),
            })
            .is_break()
        {
            return Ok(Summary {
                points: all,
                parts: parts.len(),
                stopped: true,
            });
        }
        let request = request(&passages.title, part, points_per_part);
        let (points, stopped) = generate_points(model, &request, &labels(part), on_event)?;
        all.extend(points);
        if stopped {
            return Ok(Summary {
                points: all,
                parts: parts.len(),
                stopped: true,
            });
        }
    }
    if parts.len() == 1 || all.len() <= MAX_POINTS {
        return Ok(Summary {
            points: all,
            parts: parts.len(),
            stopped: false,
        });
    }
    // Merge: the model picks and condenses the part points; they keep their passage numbers.
    let cited: Vec<Passage> = all
        .iter()
        .map(|point| Passage {
            number: point.passage,
            heading: None,
            text: point.text.clone(),
        })
        .collect();
    let mut unique: Vec<&Passage> = Vec::new();
    for passage in &cited {
        if !unique.iter().any(|seen| seen.number == passage.number) {
            unique.push(passage);
        }
    }
    let merge = request(&passages.title, &unique, MAX_POINTS);
    let mut silent = |event: Event<'_>| match event {
        Event::Token(_) | Event::Point(_) => ControlFlow::Continue(()),
        other => on_event(other),
    };
    let (merged, stopped) = generate_points(model, &merge, &labels(&unique), &mut silent)?;
    let points = if merged.is_empty() { all } else { merged };
    let _ = on_event(Event::Replace(&points));
    Ok(Summary {
        points,
        parts: parts.len(),
        stopped,
    })
}
