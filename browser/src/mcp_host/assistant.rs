//! Clef's own tools: the reader's text, summaries and answers from the model on this machine,
//! and whole tasks handed to the local agent.

use std::ops::ControlFlow;

use clef_agent::act::{self, Guidance, PolicyApprover, RunOptions, Status, origin_of};
use clef_agent::cited::Point;
use clef_agent::page::visible_document;
use clef_agent::passages::Passages;
use clef_agent::reader::Article;
use clef_agent::{question, summary};
use clef_extensions::mcp::tools::RunTaskArgs;
use clef_extensions::mcp::{Caller, Reply};
use clef_policy::Feature;

use super::McpHost;
use crate::assistant::{LocalModel, read_page};

/// Steps a task may take unless the client or the policy says fewer.
const DEFAULT_MAX_STEPS: usize = 20;
/// Most steps a client may ask for (one client must not hold the browser for hours).
const MAX_STEPS: usize = 100;
/// Tokens of page outline the agent's model reads each step (as `clef run`).
const PAGE_BUDGET: usize = 600;

impl McpHost {
    /// The article of the page shown (after opening `url`, if given), where the policy lets
    /// the assistant read it.
    fn article(&mut self, url: Option<&str>) -> Result<(Article, Passages), String> {
        if let Some(url) = url {
            self.navigate(url)?;
        }
        let policies = self.options.policies.clone();
        let tab = self.tab()?;
        if tab.page.holds_saved_data() {
            return Err(
                "saved data is typed on this page: it cannot be read back until the page is left"
                    .to_owned(),
            );
        }
        let document = visible_document(&mut *tab.page.access())
            .map_err(|error| format!("cannot read the page: {error}"))?;
        policies
            .check_site(&document.url, false)
            .map_err(|error| error.to_string())?;
        read_page(&document).map_err(|error| format!("cannot read the page: {error}"))
    }

    fn model(&mut self) -> Result<&mut LocalModel, String> {
        if self.model.is_none() {
            let options = self.options.model.clone()?;
            let model = LocalModel::start(options)
                .map_err(|error| format!("the model cannot start: {error}"))?;
            self.model = Some(model);
        }
        self.model.as_mut().ok_or_else(|| "no model".to_owned())
    }

    pub(super) fn read(&mut self, url: Option<&str>) -> Reply {
        match self.article(url) {
            Ok((article, passages)) => {
                let mut text = format!("# {}\n", article.title);
                if let Some(byline) = &article.byline {
                    text.push_str(&format!("{byline}\n"));
                }
                text.push_str(&format!("{}\n\n{}\n", passages.url, article.text()));
                if !passages.left_out.is_empty() {
                    text.push_str(&format!(
                        "\n({} passage(s) addressed to AI assistants were left out)\n",
                        passages.left_out.len()
                    ));
                }
                // Card numbers and IBANs in the article are masked, as in snapshots.
                Reply::text(clef_agent::act::mask::mask_text(&text).unwrap_or(text))
            }
            Err(error) => Reply::error(error),
        }
    }

    pub(super) fn summarize(&mut self, url: Option<&str>) -> Reply {
        let result: Result<String, String> = (|| {
            self.options
                .policies
                .check_feature(Feature::Summary)
                .map_err(|error| error.to_string())?;
            let (_, passages) = self.article(url)?;
            let model = self.model()?;
            let summary = summary::summarize(model, &passages, &mut |_| ControlFlow::Continue(()))
                .map_err(|error| error.to_string())?;
            let mut text = format!("Summary of {} ({})\n", passages.title, passages.url);
            for point in &summary.points {
                let cited: Vec<String> = point.passages().map(|n| n.to_string()).collect();
                text.push_str(&format!("- {} [{}]\n", point.text, cited.join(", ")));
            }
            Ok(with_sources(
                text,
                &passages,
                summary.points.iter().flat_map(Point::passages),
            ))
        })();
        match result {
            Ok(text) => Reply::text(clef_agent::act::mask::mask_text(&text).unwrap_or(text)),
            Err(error) => Reply::error(error),
        }
    }

    pub(super) fn ask(&mut self, question_text: &str, url: Option<&str>) -> Reply {
        let result: Result<String, String> = (|| {
            self.options
                .policies
                .check_feature(Feature::Questions)
                .map_err(|error| error.to_string())?;
            let (_, passages) = self.article(url)?;
            let model = self.model()?;
            let answer = question::ask(
                model,
                std::slice::from_ref(&passages),
                question_text,
                &mut |_| ControlFlow::Continue(()),
            )
            .map_err(|error| error.to_string())?;
            let text = format!("{}\n", answer.text());
            Ok(if answer.not_found {
                text
            } else {
                with_sources(
                    text,
                    &passages,
                    answer.points.iter().map(|point| point.passage),
                )
            })
        })();
        match result {
            Ok(text) => Reply::text(clef_agent::act::mask::mask_text(&text).unwrap_or(text)),
            Err(error) => Reply::error(error),
        }
    }

    pub(super) fn run_task(&mut self, args: &RunTaskArgs, caller: &Caller) -> Reply {
        let result: Result<(bool, String), String> = (|| {
            if let Some(start) = &args.start_url {
                self.navigate(start)?;
            }
            let policies = self.options.policies.clone();
            let allow_risky = self.options.allow_risky;
            let start = self
                .tab()?
                .page
                .url()
                .ok_or("no page is open: give startUrl")?;
            let mut origins = vec![origin_of(&start).ok_or("the page shown has no site")?];
            // Sites the client adds may be visited; only the person who started the server
            // approves sites for passwords and personal data (`--allow-origin`).
            let approved = self.options.approved.clone();
            for origin in &args.allow_origins {
                let origin =
                    origin_of(origin).ok_or_else(|| format!("{origin} is not an origin"))?;
                origins.push(origin);
            }
            let policy = policies
                .agent_policy(&start, origins, approved, allow_risky)
                .map_err(|error| error.to_string())?;
            let confirm = policy.confirm;
            let max_steps = match args.max_steps {
                Some(requested) => policies
                    .max_steps(requested)
                    .map_err(|error| error.to_string())?,
                None => policies.default_max_steps(DEFAULT_MAX_STEPS),
            }
            .min(MAX_STEPS);
            let audit = self
                .options
                .audit
                .acting_for(&format!("agent for MCP client \"{}\"", caller.client()));
            let parameters = self.model()?.parameters();
            let options = RunOptions {
                max_steps,
                policy,
                guidance: Guidance::for_parameters(parameters),
                page_budget: PAGE_BUDGET,
                plan: true,
                // A client's task gets no tools of this machine's MCP servers.
                tools: None,
            };
            let McpHost {
                tabs,
                current,
                model,
                options: host_options,
                ..
            } = self;
            let tab = tabs.get_mut(*current).ok_or("no open tab")?;
            let model = model.as_mut().ok_or("no model")?;
            let page = &*tab.page;
            let mut access = page.access();
            let mut lines = Vec::new();
            let outcome = act::run(
                &args.task,
                &mut *access,
                model,
                &host_options.vault,
                &mut PolicyApprover(confirm),
                &audit,
                &options,
                &mut |step| {
                    let line = page.redact(&format!(
                        "{}. {} → {}",
                        step.number, step.description, step.outcome
                    ));
                    caller.progress(&line);
                    lines.push(line);
                    if caller.cancelled() {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            );
            drop(access);
            // The task let go of the tab: the client's own checks apply again.
            tab.last = None;
            if let Some(url) = tab.page.url()
                && let Some(origin) = origin_of(&url)
            {
                tab.allow(&origin);
            }
            let outcome = outcome.map_err(|error| error.to_string())?;
            let verdict = match outcome.status {
                Status::Done => "done",
                Status::Failed => "failed",
                Status::StepLimit => "out of steps",
                Status::Stopped => "stopped",
                Status::NeedsUser => "needs the user",
            };
            let mut text = lines.join("\n");
            if let Some(answer) = &outcome.answer {
                text.push_str(&format!("\nanswer: {answer}"));
            }
            text.push_str(&format!("\n{verdict}: {}\n", outcome.summary));
            Ok((outcome.status == Status::Done, text))
        })();
        match result {
            Ok((true, text)) => Reply::text(text),
            Ok((false, text)) | Err(text) => Reply::error(text),
        }
    }
}

/// `text` followed by the passages it cites, once each.
fn with_sources(
    mut text: String,
    passages: &Passages,
    cited: impl Iterator<Item = usize>,
) -> String {
    let mut seen = Vec::new();
    for number in cited {
        if seen.contains(&number) {
            continue;
        }
        seen.push(number);
        if seen.len() == 1 {
            text.push_str("\nSources:\n");
        }
        if let Some(passage) = passages.get(number) {
            let short: String = passage.text.chars().take(200).collect();
            text.push_str(&format!("[{number}] {short}\n"));
        }
    }
    text
}

impl McpHost {
    /// `clef_history_search`: what the profile's memory holds about `query`, as text.
    pub(super) fn history_search(&self, query: &str) -> Result<String, String> {
        let Some(profile) = &self.options.history else {
            return Err(
                "clef_history_search is not offered (start with --allow-history)".to_owned(),
            );
        };
        let opened = clef_profile::Store::open(&clef_profile::Profile::database_in(profile))
            .map_err(|error| error.to_string())?;
        let sources = crate::places::memory_sources(&opened.store, query)
            .map_err(|error| error.to_string())?;
        if sources.is_empty() {
            return Ok("Nothing in the pages the user read matches.".to_owned());
        }
        let mut out = String::new();
        for (index, source) in sources.iter().enumerate() {
            out.push_str(&format!(
                "{}. {}\n   {}\n",
                index + 1,
                source.title,
                source.url
            ));
            for passage in &source.items {
                out.push_str(&format!("   - {}\n", passage.text));
            }
        }
        Ok(out)
    }
}
