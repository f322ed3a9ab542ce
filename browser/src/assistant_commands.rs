//! `clef read`, `clef summarize` and `clef ask`: the assistant on pages loaded headless.

use std::io::Write;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clef_agent::cited::Point;
use clef_agent::page::visible_document;
use clef_agent::passages::Passages;
use clef_agent::{question, summary};
use clef_browser::assistant::{HeadlessAccess, LocalModel, read_page};
use clef_browser::policies::{self, Feature, Policies};
use clef_browser::{Headless, HeadlessOptions};

use crate::model_commands::ModelArgs;

#[derive(clap::Args)]
pub struct PageArgs {
    /// Seconds to wait for each page to finish loading.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

/// Load each address and read its article, where the organization's policy lets the assistant
/// read it. Each web page is kept in the user's page cache; one the network cannot reach is read
/// from its saved copy, with a note saying so.
fn load(
    addresses: &[String],
    args: &PageArgs,
    policies: Option<&Policies>,
) -> anyhow::Result<Vec<(clef_agent::reader::Article, Passages)>> {
    let browser = Headless::new(HeadlessOptions {
        load_timeout: Duration::from_secs(args.timeout),
        ..HeadlessOptions::default()
    });
    // Reader view reads without a policy; whether copies are kept is the policy's all the same.
    let cache = match policies {
        Some(policies) => policies::page_cache(policies),
        None => policies::page_cache(&policies::load()),
    };
    let mut pages = Vec::new();
    for address in addresses {
        let page = browser.new_page()?;
        let saved_copy = match &cache {
            Some(cache) => page.goto_keeping_copies(address, cache)?.saved_copy,
            None => page.goto(address).map(|_| None)?,
        };
        let mut document = visible_document(&mut HeadlessAccess::new(&page))
            .map_err(|error| anyhow::anyhow!("cannot read {address}: {error}"))?;
        if let Some((saved, reason)) = saved_copy {
            eprintln!(
                "note: {} cannot be reached ({reason}); reading the copy saved {}",
                saved.url,
                saved.saved_at_utc()
            );
            // The page is the site's, wherever its copy lies: the site's policy applies.
            document.url = saved.url;
        }
        if let Some(policies) = policies {
            policies.check_site(&document.url, false)?;
        }
        let (article, passages) =
            read_page(&document).with_context(|| format!("cannot read {address}"))?;
        for text in &passages.left_out {
            eprintln!(
                "note: left out a passage addressed to AI assistants: {}",
                shorten(text, 100)
            );
        }
        pages.push((article, passages));
    }
    Ok(pages)
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(chars).collect();
    format!("{}…", cut.trim_end())
}

fn start_model(model: &ModelArgs, policies: &Policies) -> anyhow::Result<LocalModel> {
    Ok(LocalModel::start(model.options(None, policies)?)?)
}

fn print_sources(points: &[Point], pages: &[(clef_agent::reader::Article, Passages)]) {
    let mut seen = Vec::new();
    println!("\nSources:");
    for point in points {
        for number in point.passages() {
            if seen.contains(&(point.source, number)) {
                continue;
            }
            seen.push((point.source, number));
            let Some((_, passages)) = pages.get(point.source) else {
                continue;
            };
            if let Some(passage) = passages.get(number) {
                let label = if pages.len() == 1 {
                    number.to_string()
                } else {
                    format!("{}.{}", point.source + 1, number)
                };
                println!("[{label}] {}", shorten(&passage.text, 160));
            }
        }
    }
}

/// `clef read URL`: the reader view as text.
pub fn read(address: &str, args: &PageArgs) -> anyhow::Result<()> {
    // Reader view is the browser's, not the assistant's: the policy does not govern it.
    let pages = load(std::slice::from_ref(&address.to_owned()), args, None)?;
    for (article, _) in pages {
        println!("{}", article.title);
        if let Some(byline) = &article.byline {
            println!("{byline}");
        }
        println!("\n{}", article.text());
    }
    Ok(())
}

/// `clef summarize URL`: points stream to stdout as the model writes them, then their sources.
pub fn summarize(address: &str, args: &PageArgs, model: &ModelArgs) -> anyhow::Result<()> {
    let policies = policies::load();
    crate::policy_notes(&policies);
    policies.check_feature(Feature::Summary)?;
    let pages = load(
        std::slice::from_ref(&address.to_owned()),
        args,
        Some(&policies),
    )?;
    let mut model = start_model(model, &policies)?;
    // As the window does at start: the summary prompt's fixed start is read once.
    model.prefill(&summary::warm_up_for(&model))?;
    let (_, passages) = &pages[0];
    println!("Summary of {} ({})", passages.title, passages.url);
    let started = Instant::now();
    let mut first = None;
    let mut stdout = std::io::stdout();
    let result = summary::summarize(&mut model, passages, &mut |event| {
        match event {
            summary::Event::Token(text) => {
                first.get_or_insert_with(|| started.elapsed());
                print!("{text}");
                let _ = stdout.flush();
            }
            summary::Event::Reading { part, parts } => {
                eprintln!("(reading part {part} of {parts} of a long page)");
            }
            summary::Event::Point(_) | summary::Event::Note(_) => {}
        }
        ControlFlow::Continue(())
    })?;
    print_sources(&result.points, &pages);
    tracing::info!(first_token = ?first, total = ?started.elapsed(), "summary");
    Ok(())
}

/// `clef ask URL... QUESTION`: an answer citing the pages' passages.
pub fn ask(
    addresses: &[String],
    question_text: &str,
    args: &PageArgs,
    model: &ModelArgs,
) -> anyhow::Result<()> {
    let policies = policies::load();
    crate::policy_notes(&policies);
    policies.check_feature(Feature::Questions)?;
    let pages = load(addresses, args, Some(&policies))?;
    let mut model = start_model(model, &policies)?;
    let sources: Vec<Passages> = pages.iter().map(|(_, passages)| passages.clone()).collect();
    let mut stdout = std::io::stdout();
    let answer = question::ask(&mut model, &sources, question_text, &mut |event| {
        if let question::Event::Token(text) = event {
            print!("{text}");
            let _ = stdout.flush();
        }
        ControlFlow::Continue(())
    })?;
    if answer.not_found {
        println!();
        return Ok(());
    }
    print_sources(&answer.points, &pages);
    Ok(())
}
