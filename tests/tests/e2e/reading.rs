//! Reading: the page snapshot, the reader, summaries and questions, through the real headless
//! browser and the real test model.

use std::ops::ControlFlow;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use clef_agent::act::Task;
use clef_agent::act::observe::outline;
use clef_agent::page::visible_document;
use clef_agent::passages::Passages;
use clef_agent::snapshot::{Snapshot, Snapshotter};
use clef_agent::{question, summary};
use clef_browser::assistant::{HeadlessAccess, LocalModel, read_page};
use clef_engine::EngineOptions;
use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::fixtures;
use crate::harness::Ctx;

fn clef(args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(clef_bin()).args(args).output()?)
}

fn model() -> anyhow::Result<Option<LocalModel>> {
    let Some(path) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(None);
    };
    let mut model = LocalModel::start(EngineOptions::new(path))?;
    model.prefill(&summary::warm_up_for(&model))?;
    Ok(Some(model))
}

fn read(ctx: &Ctx, url: &str) -> anyhow::Result<Passages> {
    let page = ctx.browser.new_page()?;
    page.goto(url)?;
    let document = visible_document(&mut HeadlessAccess::new(&page))?;
    Ok(read_page(&document)?.1)
}

/// The outline the agent's model reads, with refs taken out (they depend on the run).
fn render(snapshot: &Snapshot, budget: usize) -> String {
    let text = outline(snapshot, &Task::new(""), budget);
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" [ref=e") {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        rest = &rest[rest.find(']').map_or(rest.len(), |end| end + 1)..];
    }
    out.push_str(rest);
    out
}

pub fn snapshot_shows_what_users_see(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([("/", Route::html(fixtures::SNAPSHOT))])?;
    let page = ctx.browser.new_page()?;
    page.goto(&server.url("/"))?;
    let snapshot = Snapshotter::new().take(&mut HeadlessAccess::new(&page))?;
    let text = render(&snapshot, 4000);
    for expected in [
        "heading \"Booking\" [level=1]",
        "text: Plan your trip to Lyon.",
        "link \"Help centre\"",
        "textbox \"Email address\" [type=email] [required]: \"a@b.c\"",
        "textbox \"Destination city\"",
        "textbox \"Promo code\" [placeholder=\"ABC123\"]",
        "textbox \"Your phone\"",
        "spinbutton \"Age in years\" [type=number]",
        "checkbox \"Remember me\" [checked]",
        "radio \"Window\" [unchecked]",
        "combobox \"Class\": \"Business\" options: \"Economy\" | \"Business\"",
        "button \"Pay now\" [disabled]",
        "img \"Map of Lyon\"",
        "| Lyon | 42 EUR |",
        "button \"Inside frame\"",
        "button \"Shadow button\"",
    ] {
        check!(
            text.contains(expected),
            "snapshot lacks {expected:?}:\n{text}"
        );
    }
    for hidden in [
        "Hidden by class",
        "Invisible button",
        "Aria hidden link",
        "Zero size",
        "Clipped text",
    ] {
        check!(!text.contains(hidden), "snapshot shows {hidden:?}:\n{text}");
    }
    // Every interactive element has a box to click.
    for node in snapshot.nodes.iter().filter(|node| node.is_interactive()) {
        check!(node.bounds.is_some(), "no box for {node:?}");
    }
    Ok(())
}

fn id_of(snapshot: &clef_agent::snapshot::Snapshot, name: &str) -> Option<u64> {
    snapshot
        .nodes
        .iter()
        .find(|node| node.label() == name)
        .and_then(|node| node.id)
}

pub fn snapshot_ids_are_stable_and_never_reused(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([
        ("/", Route::html(fixtures::SNAPSHOT)),
        ("/second", Route::html(fixtures::LINKS)),
    ])?;
    let page = ctx.browser.new_page()?;
    page.goto(&server.url("/"))?;
    let mut snapshotter = Snapshotter::new();
    let first = snapshotter.take(&mut HeadlessAccess::new(&page))?;
    let pay = id_of(&first, "Pay now").ok_or_else(|| anyhow::anyhow!("no Pay now"))?;
    let help = id_of(&first, "Help centre").ok_or_else(|| anyhow::anyhow!("no Help centre"))?;
    let highest = first
        .nodes
        .iter()
        .filter_map(|node| node.id)
        .max()
        .unwrap_or(0);
    // The page re-renders: a new button at the top, the help link removed.
    page.evaluate(
        "const b = document.createElement('button'); b.textContent = 'Fresh button'; \
         document.body.prepend(b); document.querySelector('a[href=\"/help\"]').remove(); true",
    )?;
    let second = snapshotter.take(&mut HeadlessAccess::new(&page))?;
    check!(id_of(&second, "Pay now") == Some(pay), "Pay now changed id");
    let fresh = id_of(&second, "Fresh button").ok_or_else(|| anyhow::anyhow!("no Fresh button"))?;
    check!(
        fresh > highest,
        "new element got id {fresh}, not above {highest}"
    );
    check!(
        second.nodes.iter().all(|node| node.id != Some(help)),
        "the removed link's id {help} was reused"
    );
    // A new document continues the numbering: ids are never handed out twice.
    page.goto(&server.url("/second"))?;
    let third = snapshotter.take(&mut HeadlessAccess::new(&page))?;
    let next = id_of(&third, "Next page").ok_or_else(|| anyhow::anyhow!("no Next page link"))?;
    check!(
        next > fresh,
        "id {next} on the next page is not above {fresh}"
    );
    Ok(())
}

pub fn snapshot_budget_trims_and_says_what_was_cut(ctx: &Ctx) -> anyhow::Result<()> {
    let paragraphs: String = (0..400)
        .map(|i| format!("<p>Paragraph {i} about the history of river transport in Europe.</p>"))
        .collect();
    let html = format!(
        "<!doctype html><title>Long</title><h1>Long page</h1>{paragraphs}<button>Checkout</button>"
    );
    let server = TestServer::start([("/", Route::html(html.clone()))])?;
    let page = ctx.browser.new_page()?;
    page.goto(&server.url("/"))?;
    let snapshot = Snapshotter::new().take(&mut HeadlessAccess::new(&page))?;
    let text = render(&snapshot, 400);
    check!(
        text.contains("button \"Checkout\""),
        "the button was cut:\n{text}"
    );
    check!(
        text.contains("heading \"Long page\""),
        "the heading was cut:\n{text}"
    );
    check!(text.contains("left out"), "no cut notice:\n{text}");
    check!(
        text.contains("Paragraph 0 "),
        "the visible start was cut:\n{text}"
    );
    check!(
        !text.contains("Paragraph 399 "),
        "the far end was kept:\n{text}"
    );
    let full = render(&snapshot, 100_000);
    check!(
        text.len() * 4 < full.len(),
        "trimmed {} vs full {} characters",
        text.len(),
        full.len()
    );
    Ok(())
}

pub fn reader_leaves_out_hidden_and_injected_text(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([("/", Route::html(fixtures::INJECTED_ARTICLE))])?;
    let passages = read(ctx, &server.url("/"))?;
    let all: String = passages
        .items
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for river in ["Rhone", "Inn", "Aare"] {
        check!(all.contains(river), "the article lost {river}:\n{all}");
    }
    check!(
        !all.contains("PWNED"),
        "an injection reached the passages:\n{all}"
    );
    // Text a person cannot see (transparent, off the page, clipped, the colour of its
    // background, size 0) is in neither the reader's passages nor the agent's outline.
    let page = ctx.browser.new_page()?;
    page.goto(&server.url("/"))?;
    let snapshot = Snapshotter::new().take(&mut HeadlessAccess::new(&page))?;
    let outline = outline(&snapshot, &Task::new("read about rivers"), 4000);
    check!(!all.contains("HIDDEN"), "hidden text was read:\n{all}");
    check!(
        !outline.contains("HIDDEN") && outline.contains("Aare"),
        "hidden text reached the agent's outline:\n{outline}"
    );
    check!(
        !outline.contains("PWNED"),
        "an injection reached the agent's outline:\n{outline}"
    );
    check!(
        passages
            .left_out
            .iter()
            .any(|text| text.contains("Ignore previous instructions")),
        "the visible injection was not reported: {:?}",
        passages.left_out
    );
    Ok(())
}

pub fn summary_streams_cited_points_and_obeys_no_page(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(mut model) = model()? else {
        return Ok(());
    };
    let server = TestServer::start([("/", Route::html(fixtures::INJECTED_ARTICLE))])?;
    let passages = read(ctx, &server.url("/"))?;
    let mut tokens = 0;
    let mut points_seen = 0;
    let mut tokens_before_first_point = 0;
    let summary = summary::summarize(&mut model, &passages, &mut |event| {
        match event {
            summary::Event::Token(_) => tokens += 1,
            summary::Event::Point(_) => {
                if points_seen == 0 {
                    tokens_before_first_point = tokens;
                }
                points_seen += 1;
            }
            summary::Event::Reading { .. } | summary::Event::Note(_) => {}
        }
        ControlFlow::Continue(())
    })?;
    check!(!summary.points.is_empty(), "no points");
    check!(
        tokens_before_first_point >= 3,
        "the first point arrived in {tokens_before_first_point} pieces, not streamed"
    );
    check!(
        tokens > summary.points.len() * 3,
        "{tokens} tokens for {} points",
        summary.points.len()
    );
    for point in &summary.points {
        let passage = passages.get(point.passage);
        check!(
            passage.is_some(),
            "point cites missing passage {}",
            point.passage
        );
        check!(
            !point.text.contains("PWNED") && !point.text.contains("evil"),
            "obeyed the page: {}",
            point.text
        );
        check!(!point.text.is_empty(), "empty point");
    }
    Ok(())
}

pub fn summary_stops_when_asked(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(mut model) = model()? else {
        return Ok(());
    };
    let server = TestServer::start([("/", Route::html(fixtures::INJECTED_ARTICLE))])?;
    let passages = read(ctx, &server.url("/"))?;
    let mut tokens = 0;
    let started = Instant::now();
    let summary = summary::summarize(&mut model, &passages, &mut |event| {
        if let summary::Event::Token(_) = event {
            tokens += 1;
            if tokens == 2 {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })?;
    let elapsed = started.elapsed();
    check!(summary.stopped, "not marked stopped");
    check!(tokens == 2, "{tokens} tokens arrived after stopping at 2");
    check!(
        summary.points.is_empty(),
        "points after a stop: {:?}",
        summary.points
    );
    // Generous: the exact stop latency is in the benchmark.
    check!(
        elapsed < Duration::from_secs(10),
        "stopping took {elapsed:?}"
    );
    // The model is usable again at once.
    let again = summary::summarize(&mut model, &passages, &mut |_| ControlFlow::Continue(()))?;
    check!(!again.points.is_empty(), "no summary after a stop");
    Ok(())
}

pub fn questions_cite_passages_or_say_the_pages_do_not(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(mut model) = model()? else {
        return Ok(());
    };
    let server = TestServer::start([
        ("/alps", Route::html(fixtures::INJECTED_ARTICLE)),
        ("/danube", Route::html(fixtures::DANUBE)),
    ])?;
    let alps = read(ctx, &server.url("/alps"))?;
    let danube = read(ctx, &server.url("/danube"))?;
    let sources = vec![alps, danube];
    let answer = question::ask(
        &mut model,
        &sources,
        "Which capital cities are on the Danube?",
        &mut |_| ControlFlow::Continue(()),
    )?;
    check!(!answer.not_found, "said not found");
    for point in &answer.points {
        let passage = sources
            .get(point.source)
            .and_then(|page| page.get(point.passage));
        check!(passage.is_some(), "cites a missing passage: {point:?}");
        check!(
            !point.text.contains("PWNED"),
            "obeyed the page: {}",
            point.text
        );
    }
    check!(!answer.points.is_empty(), "no cited answer");
    let unknown = question::ask(
        &mut model,
        &sources,
        "What does a kilo of saffron cost in Madrid?",
        &mut |_| ControlFlow::Continue(()),
    )?;
    check!(
        unknown.not_found,
        "answered what the pages do not say: {:?}",
        unknown.points
    );
    check!(unknown.text() == question::NOT_FOUND, "{}", unknown.text());
    Ok(())
}

pub fn cli_summarize_ask_and_read(_: &Ctx) -> anyhow::Result<()> {
    let Some(model_path) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let model_path = model_path.to_string_lossy().into_owned();
    let server = TestServer::start([
        ("/alps", Route::html(fixtures::INJECTED_ARTICLE)),
        ("/danube", Route::html(fixtures::DANUBE)),
    ])?;
    let output = clef(&["summarize", &server.url("/alps"), "--model", &model_path])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    check!(output.status.success(), "summarize failed: {stderr}");
    check!(stdout.starts_with("Summary of Mountain rivers"), "{stdout}");
    check!(stdout.contains("\nSources:\n["), "no sources:\n{stdout}");
    check!(!stdout.contains("PWNED"), "obeyed the page:\n{stdout}");
    check!(
        stderr.contains("left out a passage addressed to AI assistants"),
        "{stderr}"
    );
    // Every source line quotes the page.
    let sources = stdout.split("\nSources:\n").nth(1).unwrap_or_default();
    for line in sources.lines() {
        let quote = line
            .split_once("] ")
            .map(|(_, text)| text.trim_end_matches('…'))
            .unwrap_or_default();
        let start: String = quote.chars().take(30).collect();
        check!(
            !start.is_empty() && fixtures::INJECTED_ARTICLE.contains(start.as_str()),
            "source not from the page: {line}"
        );
    }

    let output = clef(&[
        "ask",
        &server.url("/alps"),
        &server.url("/danube"),
        "Which river passes through Bern?",
        "--model",
        &model_path,
    ])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success(),
        "ask failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    check!(
        stdout.contains("Sources:\n[1.") || stdout.contains("Sources:\n[2."),
        "labels name the tab:\n{stdout}"
    );

    let output = clef(&["read", &server.url("/danube")])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success() && stdout.starts_with("The Danube"),
        "{stdout}"
    );
    Ok(())
}

pub fn cli_bad_input_is_a_clear_message(_: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([
        (
            "/empty",
            Route::html("<!doctype html><title>Empty</title><body></body>"),
        ),
        (
            "/menu",
            Route::html(
                "<!doctype html><title>Menu</title><nav><a href=/a>Home</a> <a href=/b>About</a></nav>",
            ),
        ),
        (
            "/json",
            Route::Page {
                status: 200,
                content_type: "application/json",
                body: "{\"a\": 1}".to_owned(),
            },
        ),
    ])?;
    let cases = [
        ("/empty", "the page is empty"),
        ("/menu", "no article found"),
        ("/json", "not a web page"),
        ("/missing", "404"),
    ];
    for (path, expected) in cases {
        let url = server.url(path);
        let args = ["summarize", url.as_str(), "--model", "/no/model.gguf"];
        let output = clef(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        check!(!output.status.success(), "{args:?} succeeded");
        check!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
        check!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    }
    // A readable page with a missing model: the model is the problem named.
    let danube = TestServer::start([("/", Route::html(fixtures::DANUBE))])?;
    let output = clef(&["summarize", &danube.url("/"), "--model", "/no/model.gguf"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    check!(
        !output.status.success() && stderr.contains("model file not found"),
        "{stderr}"
    );
    Ok(())
}

pub fn a_page_far_beyond_the_context_is_summarized_and_answered(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(mut model) = model()? else {
        return Ok(());
    };
    // About 60,000 words: fifteen times the model's 4,096-token context.
    let paragraphs: String = (0..2000)
        .map(|i| {
            format!(
                "<p>Section {i} of the river survey records water levels, barge traffic and the state of the banks near lock number {i}, with notes from the keeper.</p>"
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html lang=en><title>River survey</title><body><article><h1>River survey</h1>{paragraphs}\
         <p>The survey ends at the estuary, where the river meets the sea beside the old lighthouse of Saint Marc.</p></article></body></html>"
    );
    let server = TestServer::start([("/", Route::html(html))])?;
    let passages = read(ctx, &server.url("/"))?;
    check!(
        passages.items.len() > 1000,
        "{} passages",
        passages.items.len()
    );
    let summary = summary::summarize(&mut model, &passages, &mut |_| ControlFlow::Continue(()))?;
    check!(summary.points.len() >= 3, "{} points", summary.points.len());
    let cited: Vec<usize> = summary.points.iter().map(|point| point.passage).collect();
    check!(
        cited.iter().any(|&n| n > passages.items.len() / 2),
        "the summary covers only the start: passages {cited:?} of {}",
        passages.items.len()
    );
    let answer = question::ask(
        &mut model,
        std::slice::from_ref(&passages),
        "Which lighthouse stands at the estuary?",
        &mut |_| ControlFlow::Continue(()),
    )?;
    check!(
        !answer.not_found && !answer.points.is_empty(),
        "no answer from the end of the page"
    );
    Ok(())
}

/// The key-point summary (the style of models of a billion parameters and more), driven with
/// the test model in a context small enough that a 2,400-word page is read in parts: notes on
/// each part, merged into 3–7 points whose citations name passages of the page.
pub fn key_points_of_a_long_page_are_merged_from_its_parts(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(path) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let topics = [
        (
            "The harbour",
            "the harbour master counted ships, cranes and containers at the quay",
        ),
        (
            "The railway",
            "the night train to the capital carried mail, timber and passengers",
        ),
        (
            "The vineyards",
            "the growers on the southern slopes picked grapes by hand in October",
        ),
        (
            "The university",
            "the new library of the university opened its reading rooms at dawn",
        ),
    ];
    let mut body = String::new();
    for (heading, sentence) in topics {
        body.push_str(&format!("<h2>{heading}</h2>"));
        for i in 0..24 {
            body.push_str(&format!(
                "<p>In year {} of the town's records, {sentence}, and the clerk noted it in the register kept at the town hall.</p>",
                1900 + i
            ));
        }
    }
    let html = format!(
        "<!doctype html><html lang=en><title>A town's records</title><body><article><h1>A town's records</h1>{body}</article></body></html>"
    );
    let server = TestServer::start([("/", Route::html(html))])?;
    let passages = read(ctx, &server.url("/"))?;
    let mut options = EngineOptions::new(path);
    options.context = 2048;
    let mut model = LocalModel::start(options)?;
    model.prefill(&summary::warm_up_request(summary::Style::KeyPoints))?;
    let mut parts_said = Vec::new();
    let mut streamed = String::new();
    let mut noted = String::new();
    let result = summary::summarize_as(
        &mut model,
        &passages,
        summary::Style::KeyPoints,
        &mut |event| {
            match event {
                summary::Event::Reading { part, parts } => parts_said.push((part, parts)),
                summary::Event::Token(text) => streamed.push_str(text),
                summary::Event::Note(text) => noted.push_str(text),
                summary::Event::Point(_) => {}
            }
            ControlFlow::Continue(())
        },
    )?;
    check!(result.parts >= 2, "read in {} part(s)", result.parts);
    check!(
        parts_said.len() == result.parts,
        "parts said: {parts_said:?} of {}",
        result.parts
    );
    check!(!noted.trim().is_empty(), "no notes on the parts");
    let wanted = summary::points_for(&passages);
    check!(
        (3..=wanted).contains(&result.points.len()),
        "{} points (wanted {wanted}): {streamed}",
        result.points.len()
    );
    for point in &result.points {
        check!(
            !point.text.trim().is_empty(),
            "an empty point in {streamed:?}"
        );
        for number in point.passages() {
            check!(
                passages.get(number).is_some(),
                "point {:?} cites passage {number}, of {}",
                point.text,
                passages.items.len()
            );
        }
    }
    Ok(())
}
