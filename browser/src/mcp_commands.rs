//! `clef mcp`: Clef as an MCP server for other agents, over stdio or loopback HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clef_agent::act::AuditLog;
use clef_browser::assistant::{SecretsVault, default_audit_path};
use clef_browser::config::Config;
use clef_browser::mcp_host::{HeadlessTabs, McpHost, McpOptions, window_tabs};
use clef_browser::policies::{self, PolicyError};
use clef_browser::{Headless, HeadlessOptions};
use clef_extensions::mcp::{self, Transport};

use crate::model_commands::ModelArgs;

#[derive(clap::Args)]
pub struct McpArgs {
    /// Serve Streamable HTTP on this loopback address instead of stdio (clients send the
    /// bearer token kept in the data folder's `mcp-token`).
    #[arg(long, value_name = "ADDRESS", num_args = 0..=1,
          default_missing_value = mcp::DEFAULT_HTTP_ADDRESS)]
    pub http: Option<String>,
    /// Risky steps (paying, sending, submitting a password or personal data to a site not
    /// yet approved): `refuse` (default) or `allow`.
    #[arg(long, default_value = "refuse", value_parser = ["refuse", "allow"])]
    pub confirm: String,
    /// A site approved for submitting passwords and personal data (`https://host`); others
    /// need `--confirm allow`.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Offer `browser_evaluate`: clients may run their own scripts in pages.
    #[arg(long)]
    pub allow_evaluate: bool,
    /// Offer `clef_history_search`: clients may search the pages you read (the profile's
    /// memory; never without this flag, never when the policy turns memory off).
    #[arg(long)]
    pub allow_history: bool,
    /// The profile whose memory `clef_history_search` reads (default: the default profile).
    #[arg(long, value_name = "DIR")]
    pub profile: Option<PathBuf>,
    /// The audit log (default: `$XDG_DATA_HOME/clef/audit.jsonl`).
    #[arg(long)]
    pub audit: Option<PathBuf>,
    /// Where screenshots the client names are written (default: `$XDG_DATA_HOME/clef/mcp`).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Seconds to wait for each page load.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Drive tabs of a visible window instead of headless pages: the user watches each call
    /// in the pane and may pause the clients to use the page by hand.
    #[arg(long)]
    pub window: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn mcp(args: &McpArgs) -> anyhow::Result<()> {
    let policies = policies::load();
    crate::policy_notes(&policies);
    policies.check_mcp()?;
    let allow_evaluate = match policies.mcp_evaluate() {
        Some(false) if args.allow_evaluate => {
            return Err(PolicyError::Locked("running client scripts (Mcp.Evaluate)".into()).into());
        }
        Some(allowed) => allowed,
        None => args.allow_evaluate,
    };
    let policies_memory_allowed = policies.memory() != Some(false);
    if args.confirm == "allow" && !policies.users_may_approve() {
        return Err(PolicyError::Locked("approving risky actions".to_owned()).into());
    }
    if policies.audit_path().is_some() && args.audit.is_some() {
        return Err(PolicyError::Locked("the audit log's location".to_owned()).into());
    }
    let data_dir = dirs::data_dir()
        .map(|dir| dir.join("clef"))
        .context("no data folder ($XDG_DATA_HOME or $HOME)")?;
    let transport = match &args.http {
        None => Transport::Stdio,
        Some(address) => {
            let address: SocketAddr = address
                .parse()
                .with_context(|| format!("{address} is not an address (e.g. 127.0.0.1:9224)"))?;
            let token = mcp::token::load_or_create(&data_dir)
                .with_context(|| format!("cannot keep the MCP token in {}", data_dir.display()))?;
            if token.created {
                eprintln!(
                    "clef: MCP bearer token (shown once; kept in {}):",
                    token.path.display()
                );
                eprintln!("{}", token.value);
            } else {
                eprintln!(
                    "clef: MCP clients send the bearer token kept in {}",
                    token.path.display()
                );
            }
            eprintln!("clef: MCP server on http://{address}/mcp");
            Transport::Http {
                address,
                token: token.value,
            }
        }
    };
    let mut approved = Vec::new();
    for origin in &args.allow_origins {
        approved.push(
            clef_agent::act::origin_of(origin)
                .with_context(|| format!("{origin} is not an origin"))?,
        );
    }
    let audit_path = match policies.audit_path() {
        Some(path) => Some(path.to_path_buf()),
        None => args.audit.clone().or_else(default_audit_path),
    };
    let audit = AuditLog::new(audit_path.as_deref());
    if let Some(days) = policies.audit_retention_days() {
        audit.prune(days)?;
    }
    // Without a model the browser tools still work; the model's tools say why they cannot.
    let model = match policies.check_assistant() {
        Err(error) => Err(error.to_string()),
        Ok(()) => args
            .model
            .options(None, &policies)
            .map_err(|error| format!("{error:#}")),
    };
    let config = Config::load_default()?;
    let vault = SecretsVault::open(
        config.profile,
        &crate::places_commands::profile_dir(None)?,
        config.passwords.store,
    );
    let options = McpOptions {
        policies,
        vault,
        model,
        audit,
        allow_risky: args.confirm == "allow",
        approved,
        allow_evaluate,
        history: match (args.allow_history, policies_memory_allowed) {
            (true, true) => Some(crate::places_commands::profile_dir(
                args.profile.as_deref(),
            )?),
            (true, false) => {
                return Err(PolicyError::Locked(
                    "searching the history (History.Memory)".to_owned(),
                )
                .into());
            }
            (false, _) => None,
        },
        output_dir: args
            .output_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("mcp")),
    };
    if args.window {
        return serve_window(args, options, transport);
    }
    let browser = Headless::new(HeadlessOptions {
        load_timeout: Duration::from_secs(args.timeout),
        ..HeadlessOptions::default()
    });
    let mut host = McpHost::new(Box::new(HeadlessTabs(browser)), options);
    mcp::serve(&mut host, transport)?;
    Ok(())
}

/// `--window`: the window's event loop holds this thread; the server runs on another and asks
/// the window for each page operation. The window closes when the server ends (a stdio client
/// went away); the server ends with the window.
fn serve_window(args: &McpArgs, options: McpOptions, transport: Transport) -> anyhow::Result<()> {
    anyhow::ensure!(
        crate::has_display(),
        "no display to open a window on; without --window the client drives headless pages"
    );
    let (tabs, end) = window_tabs::link();
    // A private window: the client's tabs see none of the user's cookies, logged-in sessions,
    // history or saved session, as headless pages do not (and the user's own window may stay
    // open on the profile).
    let mut window = crate::window_options(None, &args.model, args.profile.as_deref(), true)?;
    window.mcp = Some(end);
    let wake = tabs.waker();
    std::thread::Builder::new()
        .name("clef-mcp".to_owned())
        .spawn(move || {
            let mut host = McpHost::new(Box::new(tabs), options);
            if let Err(error) = mcp::serve(&mut host, transport) {
                tracing::error!(%error, "the MCP server stopped");
                eprintln!("clef: the MCP server stopped: {error}");
            }
            // Every sender gone, the window sees the server ended.
            drop(host);
            wake();
        })
        .context("cannot start the MCP server's thread")?;
    clef_browser::run_window(window)?;
    Ok(())
}
