//! `clef model info|bench` and `clef chat`: the engine from the command line.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clef_browser::config::Config;
use clef_browser::policies::{self, Policies};
use clef_engine::{Engine, EngineOptions, GenerateParams, Message, Role, TokenEvent};

#[derive(clap::Args)]
pub struct ModelArgs {
    /// The GGUF file (default: `[model] path` in the config file).
    #[arg(long = "model", value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Refuse the model unless its sha256 is this.
    #[arg(long)]
    pub sha256: Option<String>,
    /// Context window in tokens.
    #[arg(long)]
    pub context: Option<u32>,
    /// CPU threads for reading the prompt (default: all cores).
    #[arg(long)]
    pub threads: Option<i32>,
    /// CPU threads for generating (default: 1, the fastest measured here).
    #[arg(long)]
    pub decode_threads: Option<i32>,
    /// Layers to offload to a GPU (default: as many as fit).
    #[arg(long)]
    pub gpu_layers: Option<u32>,
}

impl ModelArgs {
    /// The model to load, as the organization's policy allows: a model the policy names
    /// replaces the user's config (one given on the command line must be that model), and any
    /// model off the policy's allow-list is refused, whatever runs it.
    pub fn options(
        &self,
        positional: Option<PathBuf>,
        policies: &Policies,
    ) -> anyhow::Result<EngineOptions> {
        let config = Config::load_default()?;
        let path = policies
            .choose_model(positional.or_else(|| self.path.clone()))?
            .or(config.model.path);
        let Some(path) = path else {
            anyhow::bail!("{}", no_model_guidance());
        };
        policies::check_model(policies, &path)?;
        if let Some(size) = std::fs::metadata(&path).ok().map(|meta| meta.len())
            && let Some(why) = clef_browser::model_advice::too_large(size)
        {
            anyhow::bail!("{}: {why}", path.display());
        }
        let mut options = EngineOptions::new(path);
        // The edition's pin, if it has one, binds whatever the user picks.
        options.sha256 = match clef_browser::edition::MODEL_SHA256 {
            Some(pinned) => Some(pinned.to_owned()),
            None => self.sha256.clone().or(config.model.sha256),
        };
        options.context = self.context.or(config.model.context).unwrap_or(4096);
        options.threads = self.threads.or(config.model.threads);
        options.decode_threads = self.decode_threads.or(config.model.decode_threads);
        options.gpu_layers = self.gpu_layers.or(config.model.gpu_layers);
        Ok(options)
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn start(options: EngineOptions) -> anyhow::Result<Engine> {
    let started = Instant::now();
    // A progress line for people at a terminal; scripts reading stderr get none.
    let interactive = std::io::stderr().is_terminal();
    let shown = std::sync::atomic::AtomicU32::new(u32::MAX);
    let engine = Engine::start(options, move |fraction| {
        let percent = (fraction * 100.0) as u32;
        if interactive && shown.swap(percent, std::sync::atomic::Ordering::Relaxed) != percent {
            eprint!("\rloading model {percent:3}%");
        }
    })
    .await;
    if interactive {
        eprintln!();
    }
    let engine = engine?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "model loaded");
    Ok(engine)
}

pub fn info(args: &ModelArgs, path: Option<PathBuf>) -> anyhow::Result<()> {
    use clef_browser::model_advice::{Machine, settings_for, suggest};
    // What suits this machine, said before anything loads.
    let machine = Machine::probe();
    println!("this machine:   {}", machine.describe());
    let suggestion = suggest(&machine);
    println!(
        "suggested here: a {} model at {} (about {:.1} GB), on the {}",
        suggestion.parameters,
        suggestion.quantization,
        suggestion.size as f64 / 1e9,
        suggestion.device
    );
    for why in &suggestion.why {
        println!("                - {why}");
    }
    let chosen = path.clone().or_else(|| args.path.clone()).or_else(|| {
        Config::load_default()
            .ok()
            .and_then(|config| config.model.path)
    });
    if let Some(chosen) = &chosen
        && let Ok(summary) = std::fs::File::open(chosen)
            .map_err(|error| error.to_string())
            .and_then(|file| clef_engine::gguf::read_summary(std::io::BufReader::new(file)))
    {
        let size = std::fs::metadata(chosen).map_or(0, |meta| meta.len());
        let settings = settings_for(&machine, size, &summary);
        if settings.fits {
            println!(
                "this model here: context {} tokens, {} GPU layers",
                settings.context, settings.gpu_layers
            );
        } else {
            println!("this model here: does not fit");
        }
        for why in &settings.why {
            println!("                - {why}");
        }
    }
    let options = args.options(path, &policies::load())?;
    runtime()?.block_on(async {
        let engine = start(options).await?;
        let info = engine.info();
        println!("name:           {}", info.name);
        println!("architecture:   {}", info.architecture);
        println!(
            "parameters:     {} ({:.1} M)",
            info.parameters,
            info.parameters as f64 / 1e6
        );
        println!("context length: {}", info.context_length);
        println!("quantization:   {}", info.quantization);
        println!(
            "file size:      {} bytes ({:.1} MiB)",
            info.file_size,
            info.file_size as f64 / 1048576.0
        );
        println!(
            "layers:         {} ({} on GPU)",
            info.layers, info.gpu_layers
        );
        println!(
            "chat template:  {}",
            if let Some(error) = &info.template_fallback {
                format!("the model's failed ({error}); ChatML used")
            } else if info.chat_template.is_some() {
                "from the model".to_owned()
            } else {
                "none (ChatML fallback)".to_owned()
            }
        );
        println!("isolation:      {}", info.network_isolation);
        for device in &info.devices {
            println!("llama device:   {device}");
        }
        for adapter in clef_engine::gpu::list_adapters() {
            println!(
                "wgpu adapter:   {} ({}, {}, {})",
                adapter.name, adapter.backend, adapter.kind, adapter.driver
            );
        }
        Ok(())
    })
}

pub fn bench(
    args: &ModelArgs,
    path: Option<PathBuf>,
    prompt_words: usize,
    tokens: u32,
) -> anyhow::Result<()> {
    let options = args.options(path, &policies::load())?;
    runtime()?.block_on(async {
        let load_started = Instant::now();
        let engine = start(options).await?;
        let load_seconds = load_started.elapsed().as_secs_f64();
        let filler: String = (0..prompt_words)
            .map(|i| ["river ", "stone ", "light ", "paper "][i % 4])
            .collect();
        let messages = vec![Message::trusted(
            Role::User,
            format!("{filler}\nWrite a long story about a lighthouse."),
        )];
        let params = GenerateParams {
            max_tokens: tokens,
            reuse_prefix: false,
            ..GenerateParams::default()
        };
        let (_, stats) = engine
            .generate(messages.clone(), params.clone())
            .await?
            .finish()
            .await?;
        println!("load_seconds {load_seconds:.3}");
        println!("prompt_tokens {}", stats.prompt_tokens);
        println!(
            "prefill_tokens_per_second {:.1}",
            stats.prompt_tokens_evaluated as f64 / stats.prefill_seconds
        );
        println!("generated_tokens {}", stats.generated_tokens);
        println!(
            "decode_tokens_per_second {:.1}",
            stats.generated_tokens as f64 / stats.decode_seconds.max(1e-9)
        );
        // Prefix reuse: the same prompt plus a short follow-up, with and without the cache.
        let mut follow_up = messages;
        follow_up.push(Message::trusted(Role::Assistant, "Once upon a time."));
        follow_up.push(Message::trusted(Role::User, "Shorter, please."));
        let one = GenerateParams {
            max_tokens: 1,
            ..GenerateParams::default()
        };
        engine.prefill(follow_up[..1].to_vec()).await?;
        let (_, reused) = engine
            .generate(follow_up.clone(), one.clone())
            .await?
            .finish()
            .await?;
        let fresh_params = GenerateParams {
            reuse_prefix: false,
            ..one
        };
        let (_, fresh) = engine
            .generate(follow_up, fresh_params)
            .await?
            .finish()
            .await?;
        println!(
            "reuse_prompt_tokens {} evaluated {}",
            reused.prompt_tokens, reused.prompt_tokens_evaluated
        );
        println!(
            "reuse_prefill_seconds {:.3} fresh_prefill_seconds {:.3} speedup {:.1}",
            reused.prefill_seconds,
            fresh.prefill_seconds,
            fresh.prefill_seconds / reused.prefill_seconds.max(1e-9)
        );
        // Cancellation: from asking to the stream's end, mid-generation.
        let long = vec![Message::trusted(
            Role::User,
            "Write a very long story about the sea.",
        )];
        let params = GenerateParams {
            max_tokens: 1000,
            ..GenerateParams::default()
        };
        let mut generation = engine.generate(long, params).await?;
        for _ in 0..5 {
            generation.next().await;
        }
        let asked = Instant::now();
        engine.cancel(generation.id).await?;
        let (_, cancelled) = generation.finish().await?;
        println!(
            "cancel_latency_ms {:.1} (stopped after {} tokens, {:?})",
            asked.elapsed().as_secs_f64() * 1000.0,
            cancelled.generated_tokens,
            cancelled.stop
        );
        if let Some(pid) = engine.worker_pid().await {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if let Some(line) = status.lines().find(|line| line.starts_with("VmHWM")) {
                println!(
                    "worker_peak_rss {}",
                    line.trim_start_matches("VmHWM:").trim()
                );
            }
        }
        Ok(())
    })
}

pub fn chat(args: &ModelArgs) -> anyhow::Result<()> {
    let options = args.options(None, &policies::load())?;
    runtime()?.block_on(async {
        let engine = start(options).await?;
        eprintln!(
            "{} on this machine. Type a message; an empty line or end of input quits.",
            engine.info().name
        );
        let mut history = vec![Message::trusted(
            Role::System,
            "You are a helpful assistant.",
        )];
        let stdin = std::io::stdin();
        loop {
            eprint!("> ");
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
                return Ok(());
            }
            history.push(Message::trusted(Role::User, line.trim()));
            let params = GenerateParams {
                max_tokens: 512,
                ..GenerateParams::default()
            };
            let mut generation = engine.generate(history.clone(), params).await?;
            let mut answer = String::new();
            while let Some(event) = generation.next().await {
                match event? {
                    TokenEvent::Token(text) => {
                        print!("{text}");
                        std::io::stdout().flush()?;
                    }
                    TokenEvent::Done { text, .. } => answer = text,
                    TokenEvent::Tokens(_) => {}
                }
            }
            println!();
            history.push(Message::trusted(Role::Assistant, answer));
        }
    })
}

/// What to do when no model is chosen: the best model found on this machine (the largest
/// that fits in free memory), or how to get one.
fn no_model_guidance() -> String {
    match best_found() {
        Some((count, label, source)) => format!(
            "no model chosen: {count} found on this machine; the best that fits here is {label} \
             ({source}) — `clef model use {label}` makes it the default, or pass --model PATH"
        ),
        None => "no model chosen and none found on this machine: `clef model pull URL` fetches \
                 a GGUF (`clef model info` says which size suits this machine), or pass \
                 --model PATH to any GGUF"
            .to_owned(),
    }
}

/// What the pane says on a first start with no model.
pub fn no_model_in_the_pane() -> String {
    match best_found() {
        Some((count, label, source)) => format!(
            "No model chosen yet. {count} found on this machine; the best that fits here is \
             {label} ({source}): choose it in Settings (☰, or click this line), or run \
             `clef model use {label}`."
        ),
        None => "No model on this machine yet: `clef model pull URL` fetches one (a GGUF; \
                 `clef model info` says which size suits this machine), then choose it in \
                 Settings (☰, or click this line)."
            .to_owned(),
    }
}

/// How many models were found, and the largest that fits in free memory: label and source.
fn best_found() -> Option<(usize, String, &'static str)> {
    use clef_browser::model_discovery::{available_memory, fits};
    let found = discovered();
    let memory = available_memory().unwrap_or(u64::MAX);
    found
        .models
        .iter()
        .filter(|model| fits(model.size, memory))
        .max_by_key(|model| model.summary.parameters)
        .map(|model| (found.models.len(), model.label.clone(), model.source))
}

fn discovered() -> clef_browser::model_discovery::Discovery {
    let home = dirs::home_dir().unwrap_or_default();
    clef_browser::model_discovery::discover(&home, &|name| std::env::var_os(name))
}

fn size_label(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / f64::from(1u32 << 30))
}

fn parameters_label(parameters: u64) -> String {
    if parameters >= 1_000_000_000 {
        format!("{:.1}B", parameters as f64 / 1e9)
    } else {
        format!("{}M", parameters / 1_000_000)
    }
}

/// `clef model list`: every model found, with what it is and whether it can run here.
pub fn list() -> anyhow::Result<()> {
    use clef_browser::model_discovery::{available_memory, fits};
    let policies = policies::load();
    let found = discovered();
    let default = Config::load_default()?.model.path;
    let memory = available_memory();
    let machine = clef_browser::model_advice::Machine::probe();
    let suggestion = clef_browser::model_advice::suggest(&machine);
    println!(
        "this machine suits a {} model at {} on the {} (`clef model info` says why)\n",
        suggestion.parameters, suggestion.quantization, suggestion.device
    );
    if found.models.is_empty() {
        println!(
            "no GGUF model found (looked in Clef's models folder, Ollama, LM Studio, the Hugging \
             Face cache and llama.cpp's cache); fetch one with `clef model pull URL` or point \
             Clef at a file with --model PATH"
        );
    }
    for model in &found.models {
        let summary = &model.summary;
        let fit = match memory {
            Some(memory) if fits(model.size, memory) => "fits in memory",
            Some(_) => "too large for the free memory",
            None => "memory unknown",
        };
        let allowed = match policies::check_model(&policies, &model.path) {
            Ok(()) => "allowed".to_owned(),
            Err(error) => format!("not allowed: {error}"),
        };
        let is_default = default
            .as_deref()
            .is_some_and(|path| same_file(path, &model.path));
        println!(
            "{}{}  [{}]",
            if is_default { "* " } else { "  " },
            model.label,
            model.source
        );
        println!(
            "    {} · {} · {} · {} parameters · {} · {fit} · {allowed}",
            summary.name.as_deref().unwrap_or("(unnamed)"),
            summary.architecture.as_deref().unwrap_or("?"),
            summary
                .file_type
                .map(clef_engine::gguf::file_type_name)
                .unwrap_or("?"),
            parameters_label(summary.parameters),
            size_label(model.size)
        );
        println!("    {}", model.path.display());
    }
    for problem in &found.problems {
        println!("not usable: {problem}");
    }
    if default.is_none() && !found.models.is_empty() {
        println!("no default model: choose one with `clef model use NAME`");
    }
    Ok(())
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `clef model use NAME|PATH`: write the model into the config file's `[model] path`.
pub fn use_model(wanted: &str, if_unset: bool) -> anyhow::Result<()> {
    if if_unset && let Some(current) = Config::load_default()?.model.path {
        println!("default model stays {}", current.display());
        return Ok(());
    }
    let policies = policies::load();
    let given = PathBuf::from(wanted);
    let path = if given.is_file() {
        std::fs::canonicalize(&given)?
    } else {
        let found = discovered();
        let matching: Vec<_> = found
            .models
            .iter()
            .filter(|model| {
                model.label == wanted
                    || model.summary.name.as_deref() == Some(wanted)
                    || model.path.file_name().is_some_and(|name| name == wanted)
            })
            .collect();
        match matching.as_slice() {
            [model] => model.path.clone(),
            [] => anyhow::bail!("no model called {wanted:?}: see `clef model list`"),
            _ => anyhow::bail!(
                "{} models are called {wanted:?}: give the path",
                matching.len()
            ),
        }
    };
    clef_engine::gguf::check_header(&path)?;
    policies.choose_model(Some(path.clone()))?;
    policies::check_model(&policies, &path)?;
    let config = Config::default_path().context("no config folder ($XDG_CONFIG_HOME or $HOME)")?;
    clef_browser::config::set_values(
        &config,
        "model",
        &[("path", toml_edit::value(path.display().to_string()))],
    )?;
    println!(
        "default model: {} (in {})",
        path.display(),
        config.display()
    );
    Ok(())
}

/// Where `clef model pull` puts models: `$CLEF_MODELS`, else `$XDG_DATA_HOME/clef/models`.
fn models_folder() -> anyhow::Result<PathBuf> {
    if let Some(folder) = std::env::var_os("CLEF_MODELS").map(PathBuf::from)
        && folder.is_absolute()
    {
        return Ok(folder);
    }
    dirs::data_dir()
        .map(|data| data.join("clef").join("models"))
        .context("no data folder ($XDG_DATA_HOME or $HOME)")
}

/// `clef model pull URL`: fetch a model, with a progress bar, and check it.
pub fn pull(url: &str, sha256: Option<&str>, make_default: bool) -> anyhow::Result<()> {
    let policies = policies::load();
    if let Some(managed) = policies.managed_model() {
        anyhow::bail!(
            "your organisation sets the model ({}): other models are not fetched",
            managed.display()
        );
    }
    let folder = models_folder()?;
    let terminal = std::io::stderr().is_terminal();
    let mut last_tenth = None;
    let pulled = clef_browser::model_pull::pull(url, &folder, sha256, &mut |progress| {
        let megabytes = |bytes: u64| bytes as f64 / 1e6;
        let fetched = progress.done - progress.resumed_from;
        let speed = megabytes(fetched) / progress.elapsed.as_secs_f64().max(0.001);
        let line = match progress.total {
            Some(total) if total > 0 => {
                let share = progress.done as f64 / total as f64;
                let filled = (share * 30.0) as usize;
                format!(
                    "[{}{}] {:>3.0}%  {:.1} of {:.1} MB  {:.1} MB/s",
                    "#".repeat(filled.min(30)),
                    "-".repeat(30 - filled.min(30)),
                    share * 100.0,
                    megabytes(progress.done),
                    megabytes(total),
                    speed
                )
            }
            _ => format!("{:.1} MB  {:.1} MB/s", megabytes(progress.done), speed),
        };
        if terminal {
            eprint!("\r{line}");
        } else {
            // A log gets a line per tenth, not a carriage-return bar.
            let tenth = progress
                .total
                .filter(|total| *total > 0)
                .map(|total| progress.done * 10 / total);
            if tenth != last_tenth {
                last_tenth = tenth;
                eprintln!("{line}");
            }
        }
    });
    if terminal {
        eprintln!();
    }
    let pulled = pulled?;
    // An allow-list of hashes: a model outside it is not kept.
    if let Err(error) = policies::check_model(&policies, &pulled.path) {
        let _ = std::fs::remove_file(&pulled.path);
        return Err(error).context(
            "the model was fetched but your organisation does not allow it; it was deleted",
        );
    }
    if pulled.resumed_from > 0 {
        println!("resumed from {:.1} MB", pulled.resumed_from as f64 / 1e6);
    }
    println!(
        "{} (sha256 {}{})",
        pulled.path.display(),
        pulled.sha256,
        if pulled.verified {
            ", checked"
        } else {
            "; the server gave none to check it against: pass --sha256 to check"
        }
    );
    if make_default {
        use_model(&pulled.path.to_string_lossy(), false)?;
    }
    Ok(())
}
