//! `clef-bench summaries [MODEL]`: both summary styles on the same real articles with the same
//! model (the 1.5B quality model unless a GGUF is named): points, time to the first point and to
//! the whole summary, citation precision and section coverage, judged by one rubric for both;
//! then a question on each article in other words than its own, answered from the whole page
//! and from the passages sharing the question's words.
//!
//! The rubric, applied the same way to every point of every variant:
//! - a point is **supported** when the passages it cites hold at least 60% of its content words
//!   (stopwords out, lightly stemmed) and every number it states;
//! - the article's **sections** are its headings' stretches when it has two or more headings,
//!   otherwise its fifths; a section is **covered** when a point cites one of its passages.
//!
//! The rubric is lexical: a faithful paraphrase in other words counts as unsupported, a point
//! that copies words while changing their sense counts as supported. It says which variant stays
//! closer to its sources, not which reads better.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use clef_agent::cited::Point;
use clef_agent::model::LanguageModel;
use clef_agent::page::visible_document;
use clef_agent::passages::Passages;
use clef_agent::question::{self, terms};
use clef_agent::summary::{self, Style};
use clef_browser::assistant::{HeadlessAccess, LocalModel, read_page};
use clef_browser::{Headless, HeadlessOptions};
use clef_engine::EngineOptions;

/// Real articles of the readability set: news, reference, long technical, two in French.
const ARTICLES: &[&str] = &[
    "nytimes-1",
    "bbc-1",
    "guardian-1",
    "ars-1",
    "quanta-1",
    "lwn-1",
    "wikipedia",
    "google-sre-book-1",
    "lemonde-1",
    "liberation-1",
];

/// A question on each article in other words than the article's, and what the right answer
/// must contain (compared without spaces or case): in the answer, or in a passage it cites.
const QUESTIONS: &[(&str, &str, &str)] = &[
    (
        "nytimes-1",
        "How long will Washington watch Khartoum's behaviour before the decision is final?",
        "six-month",
    ),
    (
        "bbc-1",
        "What does the president call the biggest disappointment of his time in office?",
        "gun",
    ),
    (
        "guardian-1",
        "How many beachings has the elder supervised in his life?",
        "500",
    ),
    (
        "ars-1",
        "How long did the programmer wait after telling the game studio privately?",
        "21months",
    ),
    (
        "quanta-1",
        "How heavy was the machine the weather scientist used?",
        "800pounds",
    ),
    (
        "lwn-1",
        "In which year was the American company formed by the five founders?",
        "2008",
    ),
    (
        "wikipedia",
        "Who registered the project's web address the day after the announcement?",
        "zawinski",
    ),
    (
        "google-sre-book-1",
        "Which four measurements should a team watch first on a service that users reach?",
        "saturation",
    ),
    (
        "lemonde-1",
        "Combien d'élus ont soutenu le texte lors du scrutin ?",
        "438",
    ),
    (
        "liberation-1",
        "Combien de morts la catastrophe a-t-elle causés au Népal ?",
        "5500",
    ),
];

/// Share of a point's content words its cited passages must hold.
const SUPPORT_SHARE: f64 = 0.6;

#[derive(Default)]
struct Totals {
    articles: usize,
    points: usize,
    supported: usize,
    sections: usize,
    covered: usize,
    first_point: Vec<f64>,
    whole: Vec<f64>,
    multi_cited: usize,
}

type Article = (&'static &'static str, usize, Passages);

/// The model (named on the command line, else the quality model) and the articles, read.
fn model_and_articles() -> anyhow::Result<(LocalModel, Vec<Article>)> {
    let path = std::env::args()
        .nth(2)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CLEF_QUALITY_MODEL").map(PathBuf::from))
        .ok_or_else(|| {
            anyhow::anyhow!("no model: name a GGUF or run scripts/fetch-quality-model.sh")
        })?;
    anyhow::ensure!(path.exists(), "model missing at {}", path.display());
    let model = LocalModel::start(EngineOptions::new(&path))?;
    let browser = Headless::new(HeadlessOptions::default());
    let dirs = super::reading::readability_pages()?;
    let mut pages = Vec::new();
    for name in ARTICLES {
        let Some(dir) = dirs.iter().find(|dir| dir.ends_with(name)) else {
            anyhow::bail!("{name} is not in the readability set");
        };
        let page = super::reading::open_offline(&browser, dir)?;
        let document = visible_document(&mut HeadlessAccess::new(&page))?;
        let (article, passages) = read_page(&document)?;
        pages.push((name, article.word_count(), passages));
    }
    println!(
        "model {} ({} parameters), context {} tokens",
        path.display(),
        model.parameters(),
        model.context_tokens()
    );
    Ok((model, pages))
}

/// `clef-bench questions [MODEL]`: the questions alone.
pub fn run_questions() -> anyhow::Result<()> {
    let (mut model, pages) = model_and_articles()?;
    questions(&mut model, &pages)
}

pub fn run() -> anyhow::Result<()> {
    let (mut model, pages) = model_and_articles()?;
    println!(
        "  {:<18} {:<9} {:>6} {:>5} {:>6} {:>9} {:>8} {:>8}",
        "page", "style", "words", "parts", "points", "supported", "sections", "1st pt s"
    );
    let mut totals = [Totals::default(), Totals::default()];
    for (name, words, passages) in &pages {
        for (index, style) in [Style::KeyPoints, Style::Restate].into_iter().enumerate() {
            // Each variant starts from its own warm prompt, as in the browser.
            model.prefill(&summary::warm_up_request(style))?;
            let started = Instant::now();
            let mut first_point = None;
            let result = summary::summarize_as(&mut model, passages, style, &mut |event| {
                if let summary::Event::Point(_) = event {
                    first_point.get_or_insert_with(|| started.elapsed().as_secs_f64());
                }
                ControlFlow::Continue(())
            })?;
            let whole = started.elapsed().as_secs_f64();
            let supported_points = result
                .points
                .iter()
                .filter(|point| supported(point, passages))
                .count();
            let (sections, covered) = coverage(&result.points, passages);
            if std::env::var_os("CLEF_BENCH_VERBOSE").is_some() {
                for point in &result.points {
                    let cited: Vec<String> = point.passages().map(|n| n.to_string()).collect();
                    println!(
                        "      {} [{}] {}",
                        if supported(point, passages) { "+" } else { "-" },
                        cited.join(","),
                        point.text
                    );
                }
            }
            println!(
                "  {:<18} {:<9} {:>6} {:>5} {:>6} {:>9} {:>8} {:>8.2}",
                name,
                label(style),
                words,
                result.parts,
                result.points.len(),
                supported_points,
                format!("{covered}/{sections}"),
                first_point.unwrap_or(f64::NAN)
            );
            let total = &mut totals[index];
            total.articles += 1;
            total.points += result.points.len();
            total.supported += supported_points;
            total.sections += sections;
            total.covered += covered;
            total.multi_cited += result
                .points
                .iter()
                .filter(|point| !point.also.is_empty())
                .count();
            total.first_point.extend(first_point);
            total.whole.push(whole);
        }
    }
    for (total, style) in totals.iter_mut().zip([Style::KeyPoints, Style::Restate]) {
        println!(
            "{}: {} articles, {} points ({} citing several passages); citation precision {:.0}% ({}/{}); sections covered {:.0}% ({}/{}); first point median {:.2} s; whole summary median {:.2} s",
            label(style),
            total.articles,
            total.points,
            total.multi_cited,
            100.0 * total.supported as f64 / total.points.max(1) as f64,
            total.supported,
            total.points,
            100.0 * total.covered as f64 / total.sections.max(1) as f64,
            total.covered,
            total.sections,
            super::median_of(&mut total.first_point),
            super::median_of(&mut total.whole),
        );
    }
    questions(&mut model, &pages)
}

/// Without spaces (any kind) or case, for comparing figures and names.
fn squeezed(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The same questions answered from the passages sharing their words and from the whole page
/// (its start in the cache as for a page just opened), then again right after the page's
/// summary was read (the prompts share the page).
fn questions(model: &mut LocalModel, pages: &[Article]) -> anyhow::Result<()> {
    println!(
        "  {:<18} {:<8} {:>5} {:>9} {:>10}  answer",
        "page", "reading", "right", "1st tok s", "after sum."
    );
    let mut right = [0; 2];
    let mut first_tokens: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut after_summary = Vec::new();
    for (name, question, expected) in QUESTIONS {
        let Some((_, _, passages)) = pages.iter().find(|(page, _, _)| **page == *name) else {
            anyhow::bail!("{name} is not among the articles");
        };
        for (index, whole) in [true, false].into_iter().enumerate() {
            model.prefill(&summary::warm_up_request(Style::KeyPoints))?;
            let (answer, first) = timed_answer(model, passages, question, whole)?;
            let cited: String = answer
                .points
                .iter()
                .flat_map(Point::passages)
                .filter_map(|number| passages.get(number))
                .map(|passage| passage.text.as_str())
                .collect();
            let ok = !answer.not_found
                && (squeezed(&answer.text()).contains(expected)
                    || squeezed(&cited).contains(expected));
            right[index] += usize::from(ok);
            first_tokens[index].extend(first);
            // The page's summary prompt read first, as when the user summarized, then asked.
            let mut after = None;
            let all: Vec<&clef_agent::passages::Passage> = passages.items.iter().collect();
            let (summary_request, _) =
                summary::part_request(&passages.title, &all, summary::points_for(passages), true);
            let summary_fits = model.count_tokens(
                &summary_request
                    .user
                    .iter()
                    .map(|segment| segment.text.as_str())
                    .collect::<String>(),
            ) + 800
                < model.context_tokens();
            if whole && summary_fits {
                model.prefill(&summary_request)?;
                after = timed_answer(model, passages, question, true)?.1;
                after_summary.extend(after);
            }
            println!(
                "  {:<18} {:<8} {:>5} {:>9.2} {:>10}  {}",
                name,
                if whole { "whole" } else { "searched" },
                if ok { "yes" } else { "no" },
                first.unwrap_or(f64::NAN),
                after.map_or("-".to_owned(), |seconds| format!("{seconds:.2}")),
                answer.text()
            );
        }
    }
    for (index, reading) in ["whole page", "searched passages"].iter().enumerate() {
        println!(
            "questions, {reading}: {}/{} right; first token median {:.2} s",
            right[index],
            QUESTIONS.len(),
            super::median_of(&mut first_tokens[index])
        );
    }
    println!(
        "questions right after the page's summary ({} pages that fit the context): first token median {:.2} s",
        after_summary.len(),
        super::median_of(&mut after_summary)
    );
    Ok(())
}

/// An answer, and the seconds to its first token.
fn timed_answer(
    model: &mut LocalModel,
    passages: &Passages,
    question: &str,
    whole: bool,
) -> anyhow::Result<(question::Answer, Option<f64>)> {
    let started = Instant::now();
    let mut first = None;
    let answer = question::ask_reading(
        model,
        std::slice::from_ref(passages),
        question,
        whole,
        &mut |_| {
            first.get_or_insert_with(|| started.elapsed().as_secs_f64());
            ControlFlow::Continue(())
        },
    )?;
    Ok((answer, first))
}

fn label(style: Style) -> &'static str {
    match style {
        Style::KeyPoints => "key points",
        Style::Restate => "restate",
    }
}

/// Numbers as the text writes them, without separators: "1,200" and "1200" are one number.
fn numbers(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map(|word| {
            word.trim_matches([',', '.'])
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|digits| !digits.is_empty())
        .collect()
}

/// The rubric's first half: the cited passages hold the point's words and numbers.
fn supported(point: &Point, passages: &Passages) -> bool {
    let cited: String = point
        .passages()
        .filter_map(|number| passages.get(number))
        .map(|passage| {
            format!(
                "{} {}\n",
                passage.heading.as_deref().unwrap_or(""),
                passage.text
            )
        })
        .collect();
    let source_terms: HashSet<String> = terms(&cited).into_iter().collect();
    let point_terms: HashSet<String> = terms(&point.text).into_iter().collect();
    if point_terms.is_empty() {
        return false;
    }
    let held = point_terms
        .iter()
        .filter(|term| source_terms.contains(*term))
        .count();
    let source_numbers = numbers(&cited);
    held as f64 >= SUPPORT_SHARE * point_terms.len() as f64
        && numbers(&point.text).is_subset(&source_numbers)
}

/// The rubric's second half: (sections, sections a point cites).
fn coverage(points: &[Point], passages: &Passages) -> (usize, usize) {
    let count = passages.items.len();
    let headings: Vec<Option<&str>> = passages
        .items
        .iter()
        .map(|passage| passage.heading.as_deref())
        .collect();
    let mut distinct: Vec<&str> = headings.iter().flatten().copied().collect();
    distinct.dedup();
    // Section of each passage: its heading's stretch, or its fifth of the page.
    let section_of: Vec<usize> = if distinct.len() >= 2 {
        let mut section = 0;
        let mut previous = None;
        headings
            .iter()
            .map(|heading| {
                if heading.is_some() && *heading != previous {
                    if previous.is_some() {
                        section += 1;
                    }
                    previous = *heading;
                }
                section
            })
            .collect()
    } else {
        (0..count).map(|index| index * 5 / count.max(1)).collect()
    };
    let sections = section_of.iter().max().map_or(0, |last| last + 1);
    let covered: HashSet<usize> = points
        .iter()
        .flat_map(Point::passages)
        .filter_map(|number| {
            number
                .checked_sub(1)
                .and_then(|index| section_of.get(index))
        })
        .copied()
        .collect();
    (sections, covered.len())
}
