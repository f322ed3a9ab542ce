//! Entry point of `clef`: the window, headless runs and (with the engine) model commands.

mod act_commands;
mod assistant_commands;
mod audit_commands;
mod mcp_commands;
mod model_commands;
mod places_commands;
mod scripts_commands;
mod secret_commands;
mod tools_commands;

use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use clef_browser::policies::{self, Policies, PolicyError};
use clef_browser::{BrowserError, Headless, HeadlessOptions, WindowOptions};

#[derive(Parser)]
#[command(
    name = "clef",
    version,
    about = "Clef: a browser whose assistant runs on this machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to open in the window: a URL, host name or file path.
    address: Option<String>,
    /// The assistant's model (the window's pane).
    #[command(flatten)]
    model: model_commands::ModelArgs,
    /// The profile folder the window keeps cookies, history and bookmarks in (default:
    /// `$XDG_DATA_HOME/clef/profile`).
    #[arg(long, value_name = "DIR", conflicts_with = "private")]
    profile: Option<PathBuf>,
    /// A private window: no cookies, history, memory, saved copies or session written.
    #[arg(long)]
    private: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Load a page without a window and print or save what it shows.
    Headless(HeadlessArgs),
    /// Inspect or benchmark a GGUF model.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Chat with a local model in the terminal (answers stream as they are generated).
    Chat(model_commands::ModelArgs),
    /// Print a page's article as the reader view shows it.
    Read {
        address: String,
        #[command(flatten)]
        page: assistant_commands::PageArgs,
    },
    /// Summarize a page with the local model; every point cites a passage of the page.
    Summarize {
        address: String,
        #[command(flatten)]
        page: assistant_commands::PageArgs,
        #[command(flatten)]
        model: model_commands::ModelArgs,
    },
    /// Carry out a task on pages, step by step (exit 0 done, 1 failed, 6 refused, 7 out of steps).
    Run(Box<act_commands::RunArgs>),
    /// What this build is: its edition's name, start page, built-in policy and model pin.
    Edition,
    /// Show or export the agent's audit log (JSON lines or CSV).
    #[command(subcommand)]
    Audit(audit_commands::AuditCommand),
    /// Saved passwords and other secrets: list, set, delete, unlock, import or export (CSV).
    #[command(subcommand)]
    Secret(secret_commands::SecretCommand),
    /// List the profile's user scripts, or switch one on or off.
    #[command(subcommand)]
    Scripts(scripts_commands::ScriptsCommand),
    /// Serve the browser's tools to other agents over MCP (stdio, or `--http` on loopback).
    Mcp(Box<mcp_commands::McpArgs>),
    /// Start the MCP servers of the config and list the tools the agent may call (exit 1 if a
    /// server failed).
    Tools,
    /// The pages visited, and questions about pages read before (the local memory).
    #[command(subcommand)]
    History(places_commands::HistoryCommand),
    /// List, add, remove, import or export bookmarks.
    #[command(subcommand)]
    Bookmarks(places_commands::BookmarksCommand),
    /// Answer a question about one or more pages: `clef ask URL [URL...] QUESTION`.
    Ask {
        /// Addresses, then the question.
        #[arg(required = true, num_args = 2..)]
        words: Vec<String>,
        #[command(flatten)]
        page: assistant_commands::PageArgs,
        #[command(flatten)]
        model: model_commands::ModelArgs,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// The GGUF models on this machine (Clef's folder, Ollama, LM Studio, the Hugging Face
    /// cache, llama.cpp's cache): what each is, whether it fits here and is allowed.
    List,
    /// Make a model the default: a name `clef model list` shows, or a path.
    Use {
        model: String,
        /// Only when no default is set yet (set-up uses this: the user's choice stays).
        #[arg(long)]
        if_unset: bool,
    },
    /// Fetch a GGUF from an http(s) address (a Hugging Face `resolve` link, …) into Clef's
    /// models folder: progress, resume after an interruption, sha256 checked.
    Pull {
        url: String,
        /// The sha256 the file must have (otherwise the one the server announces, if any).
        #[arg(long)]
        sha256: Option<String>,
        /// Make it the default model once fetched.
        #[arg(long = "use")]
        make_default: bool,
    },
    /// Name, architecture, size, quantization, context and devices of a model.
    Info {
        /// The GGUF file.
        path: Option<PathBuf>,
        #[command(flatten)]
        args: model_commands::ModelArgs,
    },
    /// Prefill and decode speed, load time and prefix-reuse speed-up.
    Bench {
        path: Option<PathBuf>,
        #[command(flatten)]
        args: model_commands::ModelArgs,
        /// Words of filler in the benchmark prompt.
        #[arg(long, default_value_t = 400)]
        prompt_words: usize,
        /// Tokens to generate.
        #[arg(long, default_value_t = 128)]
        tokens: u32,
    },
}

#[derive(clap::Args)]
struct HeadlessArgs {
    /// A URL, host name or file path.
    address: String,
    /// Save a PNG screenshot of the viewport.
    #[arg(long, value_name = "PATH")]
    screenshot: Option<PathBuf>,
    /// Print the page's visible text.
    #[arg(long)]
    text: bool,
    /// Evaluate JavaScript in the page and print the result as JSON.
    #[arg(long, value_name = "JS")]
    eval: Option<String>,
    /// Seconds to wait for the page to finish loading.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Viewport width and height in CSS pixels.
    #[arg(long, default_value_t = 1024)]
    width: u32,
    #[arg(long, default_value_t = 768)]
    height: u32,
}

/// Mesa's EGL probes Wayland, and libwayland prints an error to the terminal when
/// `XDG_RUNTIME_DIR` is unset (headless machines, services, CI). Give it a private one.
fn ensure_runtime_dir() {
    let usable = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .is_some_and(|dir| dir.is_absolute() && dir.is_dir());
    if usable {
        return;
    }
    // The process's own user: /proc/self belongs to it.
    let Ok(uid) = std::fs::metadata("/proc/self").map(|meta| meta.uid()) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("clef-runtime-{uid}"));
    let made = std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .or_else(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(error),
        });
    let owned = std::fs::metadata(&dir).is_ok_and(|meta| meta.uid() == uid && meta.is_dir());
    if made.is_ok() && owned {
        // SAFETY: called first thing in main, before any thread is started.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn main() -> ExitCode {
    ensure_runtime_dir();
    // A private window writes nothing, not even Mesa's shader cache (XDG_CACHE_HOME).
    if std::env::args_os().skip(1).any(|arg| arg == "--private") {
        // SAFETY: first thing in main, before any thread is started.
        unsafe { std::env::set_var("MESA_SHADER_CACHE_DISABLE", "true") };
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CLEF_LOG")
                // Servo's own warnings are for Servo developers; Clef's are for users.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new(
                        "error,clef=warn,clef_browser=warn,clef_engine=warn",
                    )
                }),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal; a log file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Headless(args)) => headless(args),
        Some(Command::Model(ModelCommand::List)) => model_commands::list(),
        Some(Command::Model(ModelCommand::Use { model, if_unset })) => {
            model_commands::use_model(&model, if_unset)
        }
        Some(Command::Model(ModelCommand::Pull {
            url,
            sha256,
            make_default,
        })) => model_commands::pull(&url, sha256.as_deref(), make_default),
        Some(Command::Model(ModelCommand::Info { path, args })) => {
            model_commands::info(&args, path)
        }
        Some(Command::Model(ModelCommand::Bench {
            path,
            args,
            prompt_words,
            tokens,
        })) => model_commands::bench(&args, path, prompt_words, tokens),
        Some(Command::Chat(args)) => model_commands::chat(&args),
        Some(Command::Run(args)) => match act_commands::run(&args) {
            Ok(0) => Ok(()),
            Ok(code) => return ExitCode::from(code),
            Err(error) => Err(error),
        },
        Some(Command::Secret(command)) => secret_commands::secret(command),
        Some(Command::Mcp(args)) => mcp_commands::mcp(&args),
        Some(Command::Tools) => match tools_commands::tools() {
            Ok(0) => Ok(()),
            Ok(code) => return ExitCode::from(code),
            Err(error) => Err(error),
        },
        Some(Command::Scripts(command)) => scripts_commands::scripts(&command),
        Some(Command::Audit(command)) => audit_commands::audit(&command),
        Some(Command::History(command)) => places_commands::history(&command),
        Some(Command::Bookmarks(command)) => places_commands::bookmarks(&command),
        Some(Command::Edition) => {
            edition();
            Ok(())
        }
        Some(Command::Read { address, page }) => assistant_commands::read(&address, &page),
        Some(Command::Summarize {
            address,
            page,
            model,
        }) => assistant_commands::summarize(&address, &page, &model),
        Some(Command::Ask { words, page, model }) => match words.split_last() {
            Some((question, addresses)) => {
                assistant_commands::ask(addresses, question, &page, &model)
            }
            None => Err(anyhow::anyhow!("give at least one address and a question")),
        },
        None => window(cli.address, &cli.model, cli.profile.as_deref(), cli.private),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("clef: {error:#}");
            let code = error
                .downcast_ref::<BrowserError>()
                .map_or(1, BrowserError::exit_code);
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    }
}

fn window(
    address: Option<String>,
    model: &model_commands::ModelArgs,
    profile: Option<&std::path::Path>,
    private: bool,
) -> anyhow::Result<()> {
    clef_browser::run_window(window_options(address, model, profile, private)?)?;
    Ok(())
}

/// Whether a window can be opened here (X11 or Wayland).
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some())
}

/// The window as the user's settings, the organization's policy and the model given make it.
pub fn window_options(
    address: Option<String>,
    model: &model_commands::ModelArgs,
    profile: Option<&std::path::Path>,
    private: bool,
) -> anyhow::Result<WindowOptions> {
    if !has_display() {
        anyhow::bail!("no display to open a window on; use `clef headless URL` instead");
    }
    let policies = policies::load();
    let mut notes = policy_notes(&policies);
    let mut model_unavailable = None;
    // Without a model the browser still works: the pane says how to add one, or why the
    // organization's policy refuses or misses it. Only a locked choice on the command line is
    // refused outright.
    let model = match policies.check_assistant() {
        Err(error) => {
            model_unavailable = Some(error.to_string());
            None
        }
        Ok(()) => match model.options(None, &policies) {
            Ok(options) => Some(options),
            Err(error)
                if error
                    .downcast_ref::<PolicyError>()
                    .is_some_and(|error| !matches!(error, PolicyError::Locked(_))) =>
            {
                eprintln!("clef: {error:#}");
                notes.push(format!("{error:#}"));
                model_unavailable = Some(format!("{error:#}"));
                None
            }
            Err(error) if model.path.is_none() => {
                tracing::info!(%error, "no model for the assistant");
                // None chosen at all: the pane names the best found here; a chosen one that
                // cannot be used says why.
                model_unavailable = Some(if error.to_string().starts_with("no model chosen") {
                    model_commands::no_model_in_the_pane()
                } else {
                    format!("{error:#}")
                });
                None
            }
            Err(error) => return Err(error),
        },
    };
    let config = clef_browser::config::Config::load_default()?;
    // A private window opens no profile (it would lock it) and keeps no copies.
    let profile_dir = places_commands::profile_dir(profile)?;
    let (storage, page_cache) = if private {
        (None, None)
    } else {
        let dir = profile_dir.clone();
        let opened = clef_profile::Profile::open(&dir)?;
        (
            Some(std::sync::Arc::new(opened)),
            policies::page_cache(&policies),
        )
    };
    Ok(WindowOptions {
        address,
        size: None,
        model,
        profile: config.profile,
        policies,
        model_unavailable,
        notes,
        page_cache,
        storage,
        privacy: config.privacy,
        secrets: clef_browser::assistant::SecretsPlace {
            profile_dir,
            store: config.passwords.store,
        },
        passwords: config.passwords,
        mcp: None,
    })
}

/// What to tell the user about the organization's policy: that settings are managed, and any
/// problem in the file (also printed on stderr).
pub fn policy_notes(policies: &Policies) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(source) = &policies.source {
        notes.push(format!(
            "Some assistant settings are managed by your organization ({}).",
            source.display()
        ));
    }
    for problem in &policies.problems {
        eprintln!("clef: policy: {problem}");
        notes.push(format!("Policy problem: {problem}"));
    }
    notes
}

fn edition() {
    use clef_browser::edition;
    use std::fmt::Write as _;
    // Written at once and a closed pipe ignored: `clef edition | head -1` must not panic.
    let mut report = String::new();
    let _ = writeln!(report, "edition:      {}", edition::NAME);
    let _ = writeln!(report, "version:      {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        report,
        "start page:   {}",
        edition::START_PAGE.unwrap_or("(Clef's own)")
    );
    let _ = writeln!(
        report,
        "policy:       {}",
        match edition::POLICIES {
            Some(text) => format!(
                "built in ({} bytes; used if the system has none)",
                text.len()
            ),
            None => "none built in".to_owned(),
        }
    );
    let _ = writeln!(
        report,
        "model pin:    {}",
        edition::MODEL_SHA256.unwrap_or("any model")
    );
    let _ = writeln!(
        report,
        "icon:         {}",
        if edition::ICON_PNG.is_empty() {
            "none"
        } else {
            "built in"
        }
    );
    let _ = writeln!(report, "built from:   {}", edition::SOURCE);
    let _ = std::io::Write::write_all(&mut std::io::stdout(), report.as_bytes());
}

fn headless(args: HeadlessArgs) -> anyhow::Result<()> {
    let browser = Headless::new(HeadlessOptions {
        viewport: (args.width, args.height),
        load_timeout: Duration::from_secs(args.timeout),
        ..HeadlessOptions::default()
    });
    let page = browser.new_page()?;
    let loaded = page.goto(&args.address)?;
    let mut printed = false;
    if let Some(script) = &args.eval {
        let value = page.evaluate(script)?;
        println!("{}", serde_json::to_string(&value)?);
        printed = true;
    }
    if args.text {
        println!("{}", page.visible_text()?);
        printed = true;
    }
    if let Some(path) = &args.screenshot {
        let image = page.screenshot()?;
        image
            .save(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        printed = true;
    }
    if !printed {
        println!("{}\t{}", loaded.url, loaded.title);
    }
    Ok(())
}
