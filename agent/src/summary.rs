//! "Summarize this page": the page's key points, 3 to 7 by its length, each citing the passages
//! it rests on. Two ways, chosen by the model's size:
//! - a model of a billion parameters and more reads the whole page, as numbered passages, and
//!   writes its key points; a page longer than its context is read in parts, each part's notes
//!   kept, and the notes merged into the key points of the whole (citations carried through);
//! - a smaller model cannot condense a page reliably, but it can restate one passage in a
//!   sentence: the page's most informative passages are chosen (spread over the whole page) and
//!   the model restates each.
//!
//! Either way the grammar only admits the numbers of passages the model was shown, so a
//! citation always points at real page text.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::cited::{self, Label, LineBuffer, Point};
use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};
use crate::page_prompt::{self, READING_SYSTEM};
use crate::passages::{Passage, Passages};
use crate::question::terms;

const SYSTEM: &str = include_str!("../../resources/prompts/summary-system.txt");

/// Points in a summary: the fewest and the most.
pub const MIN_POINTS: usize = 3;
pub const MAX_POINTS: usize = 7;
/// Words of a passage the model reads to restate it.
const PROMPT_WORDS: usize = 70;
/// Passages a key point may cite.
const MOST_CITES: usize = 3;
/// Passages a merged key point keeps, from the notes it cites.
const MOST_MERGED_PASSAGES: usize = 4;
/// The largest part read at once, in tokens, whatever the context: a longer prompt is slower to
/// read than its parts, and a small model's attention thins out over it.
const MOST_PART_TOKENS: usize = 6000;

/// How a summary is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The model reads the page (in parts if it must) and writes its key points.
    KeyPoints,
    /// The model restates the page's most informative passages, one each.
    Restate,
}

impl Style {
    /// Key points for models of a billion parameters and more (or of unknown size: the user's
    /// own model is the common case), restated passages below.
    pub fn for_parameters(parameters: Option<u64>) -> Style {
        if crate::model::reads_whole_pages(parameters) {
            Style::KeyPoints
        } else {
            Style::Restate
        }
    }
}

/// What the caller sees while a summary is written.
#[derive(Debug)]
pub enum Event<'a> {
    /// A piece of the summary as the model produced it.
    Token(&'a str),
    /// A point is complete.
    Point(&'a Point),
    /// A long page is read in parts: this one begins.
    Reading { part: usize, parts: usize },
    /// A piece of the notes on a part (not the summary); returning `Break` still stops.
    Note(&'a str),
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub points: Vec<Point>,
    pub stopped: bool,
    /// Parts the page was read in (1 unless it was longer than the model's context).
    pub parts: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("there is no text on this page to summarize")]
    Empty,
    #[error(transparent)]
    Model(#[from] ModelError),
}

fn word_count<'a>(passages: impl IntoIterator<Item = &'a Passage>) -> usize {
    passages
        .into_iter()
        .map(|passage| passage.text.split_whitespace().count())
        .sum()
}

/// Points for a page of this length: 3 for a short note, up to 7 for a long report, never more
/// than it has passages.
pub fn points_for(passages: &Passages) -> usize {
    let by_length = match word_count(&passages.items) {
        0..300 => 3,
        300..700 => 4,
        700..1500 => 5,
        1500..3000 => 6,
        _ => MAX_POINTS,
    };
    by_length
        .clamp(MIN_POINTS, MAX_POINTS)
        .min(passages.items.len().max(1))
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

/// The passages to restate, in reading order: the most informative of each stretch of page.
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
/// then only the page itself is read when the user asks.
pub fn warm_up_request(style: Style) -> ModelRequest {
    ModelRequest {
        system: match style {
            Style::KeyPoints => READING_SYSTEM,
            Style::Restate => SYSTEM,
        }
        .to_string(),
        user: vec![Segment::trusted("Page title: ")],
        grammar: None,
        max_tokens: 1,
    }
}

/// The warm-up for the style `model` will summarize in.
pub fn warm_up_for(model: &dyn LanguageModel) -> ModelRequest {
    warm_up_request(Style::for_parameters(model.parameter_count()))
}

/// The request that turns `passage` into one cited point (the restating style).
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

/// The key-point request over one part of the page (all of it when it fits).
pub fn part_request(
    title: &str,
    part: &[&Passage],
    wanted: usize,
    whole_page: bool,
) -> (ModelRequest, Vec<Label>) {
    let labels: Vec<Label> = part
        .iter()
        .map(|passage| Label {
            label: passage.number.to_string(),
            source: 0,
            passage: passage.number,
        })
        .collect();
    let ask = if whole_page {
        format!("</page>\nWrite the {wanted} key points of this page.")
    } else {
        format!(
            "</page>\nThis is one part of a longer page. Write the {wanted} key points of this part."
        )
    };
    let request = ModelRequest {
        system: READING_SYSTEM.to_string(),
        user: page_prompt::page_segments(title, part)
            .into_iter()
            .chain([Segment::trusted(ask)])
            .collect(),
        grammar: Some(cited::key_points_grammar(
            &labels, wanted, wanted, MOST_CITES,
        )),
        max_tokens: cited::max_tokens_for_key_points(wanted),
    };
    (request, labels)
}

/// The request that merges the parts' notes into the page's `wanted` key points; the notes are
/// cited by their numbers.
pub fn merge_request(title: &str, notes: &[Point], wanted: usize) -> (ModelRequest, Vec<Label>) {
    let mut listed = String::new();
    let mut labels = Vec::new();
    for (index, note) in notes.iter().enumerate() {
        let number = index + 1;
        listed.push_str(&format!("[{number}] {}\n", note.text));
        // `passage` stands for the note's index here; `merged` maps it back to passages.
        labels.push(Label {
            label: number.to_string(),
            source: 0,
            passage: number,
        });
    }
    let request = ModelRequest {
        system: READING_SYSTEM.to_string(),
        user: vec![
            Segment::trusted("Page title: "),
            Segment::untrusted(title.to_string()),
            Segment::trusted("\n<notes>\n"),
            Segment::untrusted(listed),
            Segment::trusted(format!(
                "</notes>\nWrite the {wanted} key points of the whole page from these notes."
            )),
        ],
        grammar: Some(cited::key_points_grammar(
            &labels, wanted, wanted, MOST_CITES,
        )),
        max_tokens: cited::max_tokens_for_key_points(wanted),
    };
    (request, labels)
}

/// A merged point, its note numbers replaced by the passages those notes cite.
fn merged(point: Point, notes: &[Point]) -> Option<Point> {
    let mut passages: Vec<usize> = Vec::new();
    for number in point.passages() {
        let Some(note) = number.checked_sub(1).and_then(|index| notes.get(index)) else {
            continue;
        };
        for passage in note.passages() {
            if !passages.contains(&passage) {
                passages.push(passage);
            }
        }
    }
    passages.truncate(MOST_MERGED_PASSAGES);
    passages.sort_unstable();
    let (&first, rest) = passages.split_first()?;
    Some(Point {
        text: point.text,
        source: 0,
        passage: first,
        also: rest.to_vec(),
    })
}

/// The page cut into parts that each fit the model's context beside the prompt and the reply.
fn parts<'a>(
    model: &mut dyn LanguageModel,
    passages: &'a Passages,
    wanted: usize,
) -> Vec<Vec<&'a Passage>> {
    let fixed = model.count_tokens(READING_SYSTEM)
        + model.count_tokens(&passages.title)
        + 96
        + cited::room_for_key_points(wanted);
    let budget = model
        .context_tokens()
        .saturating_sub(fixed)
        .clamp(256, MOST_PART_TOKENS);
    let mut parts: Vec<Vec<&Passage>> = Vec::new();
    let mut current: Vec<&Passage> = Vec::new();
    let mut used = 0;
    let mut heading = None;
    for passage in &passages.items {
        let line = page_prompt::passage_lines(passage, heading, &passage.number.to_string());
        let tokens = model.count_tokens(&line);
        heading = passage.heading.as_deref();
        if used + tokens > budget && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(passage);
        used += tokens;
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Summarize `passages`, streaming through `on_event`; returning `Break` from it stops. The
/// style follows the model's size.
pub fn summarize(
    model: &mut dyn LanguageModel,
    passages: &Passages,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Summary, SummaryError> {
    let style = Style::for_parameters(model.parameter_count());
    summarize_as(model, passages, style, on_event)
}

/// Summarize `passages` in the given style.
pub fn summarize_as(
    model: &mut dyn LanguageModel,
    passages: &Passages,
    style: Style,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Summary, SummaryError> {
    if passages.items.is_empty() {
        return Err(SummaryError::Empty);
    }
    match style {
        Style::Restate => restate(model, passages, on_event),
        Style::KeyPoints => key_points(model, passages, on_event),
    }
}

/// What a generation hands out as it goes.
enum Streamed<'a> {
    Piece(&'a str),
    Point(&'a Point),
}

/// Generate `request`, handing out its pieces and its points as their lines complete (the same
/// point twice is kept once, in `points`); `Break` from `on` stops. Whether it stopped.
fn stream_points(
    model: &mut dyn LanguageModel,
    request: &ModelRequest,
    labels: &[Label],
    points: &mut Vec<Point>,
    on: &mut dyn FnMut(Streamed<'_>) -> ControlFlow<()>,
) -> Result<bool, SummaryError> {
    let mut buffer = LineBuffer::default();
    let mut stopped = false;
    let reply = model.generate(request, &mut |piece| {
        if on(Streamed::Piece(piece)).is_break() {
            stopped = true;
            return ControlFlow::Break(());
        }
        for point in buffer.push(piece, labels) {
            if points.iter().any(|seen| seen.text == point.text) {
                continue;
            }
            if on(Streamed::Point(&point)).is_break() {
                stopped = true;
            }
            points.push(point);
        }
        if stopped {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(stopped || reply.stopped)
}

/// The caller's events for a generation whose pieces are the summary itself.
fn as_summary<'e>(
    on_event: &'e mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> impl FnMut(Streamed<'_>) -> ControlFlow<()> + 'e {
    move |streamed| match streamed {
        Streamed::Piece(piece) => on_event(Event::Token(piece)),
        Streamed::Point(point) => on_event(Event::Point(point)),
    }
}

fn restate(
    model: &mut dyn LanguageModel,
    passages: &Passages,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Summary, SummaryError> {
    let mut summary = Summary {
        parts: 1,
        ..Summary::default()
    };
    for passage in select(passages, points_for(passages)) {
        let request = request(&passages.title, passage);
        let labels = [Label {
            label: passage.number.to_string(),
            source: 0,
            passage: passage.number,
        }];
        let stopped = stream_points(
            model,
            &request,
            &labels,
            &mut summary.points,
            &mut as_summary(on_event),
        )?;
        if stopped {
            summary.stopped = true;
            break;
        }
    }
    Ok(summary)
}

fn key_points(
    model: &mut dyn LanguageModel,
    passages: &Passages,
    on_event: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<Summary, SummaryError> {
    let wanted = points_for(passages);
    let parts = parts(model, passages, wanted);
    let mut summary = Summary {
        parts: parts.len(),
        ..Summary::default()
    };
    if let [whole] = parts.as_slice() {
        let (mut request, labels) = part_request(&passages.title, whole, wanted, true);
        crate::model::fit_reply(model, &mut request);
        summary.stopped = stream_points(
            model,
            &request,
            &labels,
            &mut summary.points,
            &mut as_summary(on_event),
        )?;
        return Ok(summary);
    }
    // Notes on each part, in proportion to its length (at least two), then merged.
    let total_words = word_count(&passages.items).max(1);
    let mut notes = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        if on_event(Event::Reading {
            part: index + 1,
            parts: parts.len(),
        })
        .is_break()
        {
            summary.stopped = true;
            return Ok(summary);
        }
        let share = (wanted * word_count(part.iter().copied())).div_ceil(total_words);
        let count = (share + 1).clamp(2, wanted).min(part.len());
        let (mut request, labels) = part_request(&passages.title, part, count, false);
        crate::model::fit_reply(model, &mut request);
        let stopped =
            stream_points(
                model,
                &request,
                &labels,
                &mut notes,
                &mut |streamed| match streamed {
                    Streamed::Piece(piece) => on_event(Event::Note(piece)),
                    Streamed::Point(_) => ControlFlow::Continue(()),
                },
            )?;
        if stopped {
            summary.stopped = true;
            return Ok(summary);
        }
    }
    if notes.is_empty() {
        return Ok(summary);
    }
    let wanted = wanted.min(notes.len());
    let (mut request, labels) = merge_request(&passages.title, &notes, wanted);
    crate::model::fit_reply(model, &mut request);
    let mut drafts = Vec::new();
    let mut points = Vec::new();
    summary.stopped =
        stream_points(
            model,
            &request,
            &labels,
            &mut drafts,
            &mut |streamed| match streamed {
                Streamed::Piece(piece) => on_event(Event::Token(piece)),
                Streamed::Point(draft) => {
                    let Some(point) = merged(draft.clone(), &notes) else {
                        return ControlFlow::Continue(());
                    };
                    let flow = on_event(Event::Point(&point));
                    points.push(point);
                    flow
                }
            },
        )?;
    summary.points = points;
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

    type Respond = Box<dyn FnMut(&ModelRequest) -> String>;

    /// Answers each request through `respond`, and keeps the requests.
    struct Scripted {
        respond: Respond,
        requests: Vec<ModelRequest>,
        context: usize,
    }

    impl Scripted {
        fn new(context: usize, respond: impl FnMut(&ModelRequest) -> String + 'static) -> Self {
            Scripted {
                respond: Box::new(respond),
                requests: Vec::new(),
                context,
            }
        }
    }

    impl LanguageModel for Scripted {
        fn generate(
            &mut self,
            request: &ModelRequest,
            on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
        ) -> Result<crate::model::ModelReply, ModelError> {
            self.requests.push(request.clone());
            let text = (self.respond)(request);
            let mut stopped = false;
            for line in text.split_inclusive('\n') {
                if on_token(line).is_break() {
                    stopped = true;
                    break;
                }
            }
            Ok(crate::model::ModelReply {
                text,
                stopped,
                ..Default::default()
            })
        }

        fn context_tokens(&self) -> usize {
            self.context
        }
    }

    /// The page text a request shows (its untrusted segments, a line apart).
    fn shown(request: &ModelRequest) -> String {
        request
            .user
            .iter()
            .filter(|segment| !segment.trusted)
            .map(|segment| segment.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first `count` numbers a part request shows, as `[n]` labels.
    fn first_numbers(request: &ModelRequest, count: usize) -> Vec<usize> {
        shown(request)
            .lines()
            .filter_map(|line| line.strip_prefix('[')?.split(']').next()?.parse().ok())
            .take(count)
            .collect()
    }

    fn long_page(paragraphs: usize) -> Passages {
        let texts: Vec<String> = (0..paragraphs)
            .map(|i| format!("Paragraph {i} tells how the rivers of the valley carry barges, grain and sediment down to the harbour every spring and autumn."))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        passages(&refs)
    }

    #[test]
    fn points_grow_with_the_page_from_three_to_seven() {
        assert_eq!(points_for(&long_page(2)), 2);
        assert_eq!(points_for(&long_page(10)), 3);
        assert_eq!(points_for(&long_page(40)), 5);
        assert_eq!(points_for(&long_page(400)), 7);
    }

    #[test]
    fn small_models_restate_and_larger_or_unknown_ones_condense() {
        assert_eq!(Style::for_parameters(Some(135_000_000)), Style::Restate);
        assert_eq!(Style::for_parameters(Some(1_500_000_000)), Style::KeyPoints);
        assert_eq!(Style::for_parameters(None), Style::KeyPoints);
    }

    #[test]
    fn a_page_that_fits_is_condensed_in_one_request() {
        let page = long_page(10);
        let mut model = Scripted::new(4096, |_| {
            "- Barges carry grain. [2, 5]\n- Sediment reaches the harbour. [9]\n- Spring floods. [1]\n"
                .into()
        });
        let mut streamed = String::new();
        let summary = summarize_as(&mut model, &page, Style::KeyPoints, &mut |event| {
            if let Event::Token(text) = event {
                streamed.push_str(text);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(model.requests.len(), 1);
        assert_eq!(summary.parts, 1);
        assert_eq!(summary.points.len(), 3);
        assert_eq!(summary.points[0].passage, 2);
        assert_eq!(summary.points[0].also, vec![5]);
        assert!(streamed.contains("Barges carry grain"));
        let grammar = model.requests[0].grammar.clone().unwrap_or_default();
        assert!(
            grammar.contains("root ::= point point point\n"),
            "{grammar}"
        );
        assert!(grammar.contains("\"10\""), "{grammar}");
        // Every passage is shown, numbered, as untrusted page text.
        let text = shown(&model.requests[0]);
        assert!(text.contains("[1] Paragraph 0") && text.contains("[10] Paragraph 9"));
    }

    #[test]
    fn a_long_page_is_read_in_parts_and_the_notes_merged() {
        let page = long_page(60);
        // Each part gets two notes, on its first two passages; the merge cites notes 1 and 3
        // (the first part's first passage, the second part's first), then note 2.
        let mut model = Scripted::new(1200, |request| {
            if shown(request).contains("Note on passage") {
                return "- Barges carry grain all year. [1, 3]\n- The harbour silts up. [2]\n"
                    .repeat(3);
            }
            first_numbers(request, 2)
                .iter()
                .map(|n| format!("- Note on passage {n}. [{n}]\n"))
                .collect()
        });
        let mut reading = Vec::new();
        let mut streamed = String::new();
        let mut noted = String::new();
        let summary = summarize_as(&mut model, &page, Style::KeyPoints, &mut |event| {
            match event {
                Event::Reading { part, parts } => reading.push((part, parts)),
                Event::Token(text) => streamed.push_str(text),
                Event::Note(text) => noted.push_str(text),
                Event::Point(_) => {}
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert!(summary.parts >= 2, "{} parts", summary.parts);
        assert_eq!(reading.len(), summary.parts);
        assert_eq!(reading.last(), Some(&(summary.parts, summary.parts)));
        assert_eq!(model.requests.len(), summary.parts + 1);
        // Each prompt and its longest reply fit the context (the engine refuses them otherwise).
        for request in &model.requests {
            let prompt: String = request.user.iter().map(|s| s.text.as_str()).collect();
            let needed = crate::snapshot::estimate_tokens(&request.system)
                + crate::snapshot::estimate_tokens(&prompt)
                + request.max_tokens as usize;
            assert!(needed <= 1200, "{needed} tokens");
        }
        // Parts follow each other without gaps or overlaps.
        let second_start = first_numbers(&model.requests[1], 1)[0];
        let first_part: Vec<usize> = first_numbers(&model.requests[0], 1000);
        assert_eq!(first_part.last().map(|n| n + 1), Some(second_start));
        // Notes are not the summary: only the merge streams as summary text.
        assert!(noted.contains("Note on passage 1."));
        assert!(!streamed.contains("Note on"));
        let merge = model.requests.last().unwrap();
        let listed: String = merge.user.iter().map(|s| s.text.as_str()).collect();
        assert!(listed.contains("<notes>") && listed.contains("[1] Note on passage 1."));
        // Notes 1 and 3 cite passages 1 and the second part's first: the point carries both.
        assert_eq!(summary.points[0].passage, 1);
        assert_eq!(summary.points[0].also, vec![second_start]);
        assert_eq!(summary.points[1].passage, 2);
        // The same text thrice is one point.
        assert_eq!(summary.points.len(), 2);
    }

    #[test]
    fn stopping_while_parts_are_read_ends_the_summary() {
        let page = long_page(60);
        let mut model = Scripted::new(1200, |_| "- A note. [1]\n".into());
        let summary = summarize_as(&mut model, &page, Style::KeyPoints, &mut |event| {
            if matches!(event, Event::Note(_)) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert!(summary.stopped);
        assert_eq!(model.requests.len(), 1);
        assert!(summary.points.is_empty());
    }

    #[test]
    fn a_small_model_restates_chosen_passages_one_request_each() {
        let page = long_page(40);
        // Each request admits one label, its passage's: cite it.
        let mut model = Scripted::new(4096, |request| {
            let grammar = request.grammar.clone().unwrap_or_default();
            let label = grammar
                .split("cite ::= \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("0")
                .to_owned();
            format!("- Point from passage {label}. [{label}]\n")
        });
        let summary = summarize_as(&mut model, &page, Style::Restate, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(model.requests.len(), points_for(&page));
        assert_eq!(summary.points.len(), points_for(&page));
        let cited: Vec<usize> = summary.points.iter().map(|point| point.passage).collect();
        assert!(cited.windows(2).all(|pair| pair[0] < pair[1]), "{cited:?}");
        assert!(cited[0] <= 8 && cited[cited.len() - 1] >= 32, "{cited:?}");
        assert_eq!(summary.parts, 1);
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
