//! `clef run`: a task carried out headless, step by step.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clef_agent::act::{
    self, AuditLog, Guidance, PolicyApprover, RunOptions, Status, Toolbox, origin_of,
};
use clef_browser::assistant::{
    HeadlessAccess, LocalModel, SecretsVault, connect_tools, default_audit_path,
};
use clef_browser::config::Config;
use clef_browser::page_cache::task_site;
use clef_browser::policies::{self, PolicyError};
use clef_browser::{Headless, HeadlessOptions};

use crate::model_commands::ModelArgs;

#[derive(clap::Args)]
pub struct RunArgs {
    /// The page to start on.
    #[arg(long)]
    pub start: String,
    /// What to do, in plain words.
    #[arg(long)]
    pub task: String,
    /// Steps before giving up (default 20, or the policy's limit if lower).
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// Another site the task may visit (`https://host`); the start page's is always allowed.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Risky steps (paying, sending, submitting a password or personal data to a site not yet
    /// approved): `refuse` (default) or `allow`.
    #[arg(long, default_value = "refuse", value_parser = ["refuse", "allow"])]
    pub confirm: String,
    /// The audit log (default: `$XDG_DATA_HOME/clef/audit.jsonl`).
    #[arg(long)]
    pub audit: Option<PathBuf>,
    /// Seconds to wait for each page load.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// How much the model decides: `open` (every action on the page, the form rules only
    /// suggest), `narrow` (the model picks among the rules' best steps), or `auto` (open for
    /// models of 1B parameters and more).
    #[arg(long, default_value = "auto", value_parser = ["auto", "open", "narrow"])]
    pub guidance: String,
    /// Tokens of page outline the model reads each step.
    #[arg(long, default_value_t = 600)]
    pub page_budget: usize,
    /// Skip the plan a model with open guidance writes before its first step.
    #[arg(long)]
    pub no_plan: bool,
    /// Offer the model no tools of the MCP servers in the config (`[[mcp_servers]]`).
    #[arg(long)]
    pub no_tools: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The exit status for an outcome: 0 done (checked against the page) or answered, 1 failed,
/// 6 refused by policy, 7 out of steps, 8 the task needs the user's answer.
fn exit_code(outcome: &act::Outcome) -> u8 {
    match outcome.status {
        Status::Done => 0,
        Status::StepLimit => 7,
        Status::NeedsUser => 8,
        _ if outcome.steps.last().is_some_and(|step| step.refused) => 6,
        _ => 1,
    }
}

pub fn run(args: &RunArgs) -> anyhow::Result<u8> {
    let browser = Headless::new(HeadlessOptions {
        load_timeout: Duration::from_secs(args.timeout),
        ..HeadlessOptions::default()
    });
    let policies = policies::load();
    crate::policy_notes(&policies);
    let page = browser.new_page()?;
    let (loaded, saved_copy) = match policies::page_cache(&policies) {
        Some(cache) => {
            let opened = page.goto_keeping_copies(&args.start, &cache)?;
            (opened.loaded, opened.saved_copy)
        }
        None => (page.goto(&args.start)?, None),
    };
    if let Some((saved, reason)) = &saved_copy {
        eprintln!(
            "note: {} cannot be reached ({reason}); working on the copy saved {}",
            saved.url,
            saved.saved_at_utc()
        );
    }
    let (site_url, mut origins) =
        task_site(&loaded.url, saved_copy.as_ref().map(|(saved, _)| saved))
            .context("the start page has no origin to work on")?;
    // Sites named on the command line are approved for the data the task types there.
    let mut approved = Vec::new();
    for origin in &args.allow_origins {
        approved.push(origin_of(origin).with_context(|| format!("{origin} is not an origin"))?);
    }
    origins.extend(approved.iter().cloned());
    let policy = policies.agent_policy(&site_url, origins, approved, args.confirm == "allow")?;
    let confirm = policy.confirm;
    let max_steps = match args.max_steps {
        Some(requested) => policies.max_steps(requested)?,
        None => policies.default_max_steps(20),
    };
    if policies.audit_path().is_some() && args.audit.is_some() {
        return Err(PolicyError::Locked("the audit log's location".to_owned()).into());
    }
    let config = Config::load_default()?;
    let vault = SecretsVault::open(
        config.profile.clone(),
        &crate::places_commands::profile_dir(None)?,
        config.passwords.store,
    );
    let mut model = LocalModel::start(args.model.options(None, &policies)?)?;
    let audit_path = match policies.audit_path() {
        Some(path) => Some(path.to_path_buf()),
        None => args.audit.clone().or_else(default_audit_path),
    };
    let audit = AuditLog::new(audit_path.as_deref());
    if let Some(days) = policies.audit_retention_days() {
        audit.prune(days)?;
    }
    let guidance = match args.guidance.as_str() {
        "open" => Guidance::Open,
        "narrow" => Guidance::Narrow,
        _ => Guidance::for_parameters(model.parameters()),
    };
    let servers = if args.no_tools {
        &[][..]
    } else {
        &config.mcp_servers[..]
    };
    let (tools, problems) = connect_tools(servers, &policies, Config::default_path());
    for problem in problems {
        eprintln!("note: {problem}");
    }
    if let Some(tools) = &tools {
        let names: Vec<&str> = tools
            .tools()
            .iter()
            .map(|tool| tool.name.as_str())
            .collect();
        eprintln!("note: tools the model may call: {}", names.join(", "));
    }
    let options = RunOptions {
        max_steps,
        policy,
        guidance,
        page_budget: args.page_budget,
        plan: !args.no_plan,
        tools: tools.map(|tools| Arc::new(tools) as Arc<dyn Toolbox>),
    };
    let mut access = HeadlessAccess::new(&page);
    let outcome = act::run(
        &args.task,
        &mut access,
        &mut model,
        &vault,
        &mut PolicyApprover(confirm),
        &audit,
        &options,
        &mut |step| {
            for (index, part) in step.parts.iter().enumerate() {
                println!("plan {}. {part}", index + 1);
            }
            println!(
                "{:>2}. {} → {}",
                step.number, step.description, step.outcome
            );
            tracing::info!(
                step = step.number,
                seconds = step.seconds,
                model_seconds = step.model_seconds,
                prompt_tokens = step.prompt_tokens,
                prompt_tokens_evaluated = step.prompt_tokens_evaluated,
                generated_tokens = step.generated_tokens,
                reason = %step.reason,
                "step"
            );
            ControlFlow::Continue(())
        },
    )?;
    if let Some(answer) = &outcome.answer {
        println!("answer: {answer}");
    }
    let verdict = match outcome.status {
        Status::Done => "done",
        Status::Failed => "failed",
        Status::StepLimit => "out of steps",
        Status::Stopped => "stopped",
        Status::NeedsUser => "needs you",
    };
    println!("{verdict}: {}", outcome.summary);
    Ok(exit_code(&outcome))
}
