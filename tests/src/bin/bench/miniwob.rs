//! `clef-bench miniwob`: the MiniWoB++ development tasks in `../shared/data/miniwob`, each
//! episode a `clef run` against the task page on 127.0.0.1. The server appends a harness script
//! to each task page: it seeds the instance, starts the episode with a long time limit, and
//! posts the page's own reward back when the episode ends. Success is a positive reward.
//!
//! Options: `--model PATH` (default: the test model), `--seeds N` (3), `--tasks a,b`
//! (default: all), `--guidance auto|open|narrow`, `--max-steps N` (12), `--episode-seconds N`, `--no-plan`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clef_browser::{Headless, HeadlessOptions};
use clef_tests::server::{Request, Route, TestServer};

/// Rewards the pages posted, by "task/seed".
type Rewards = Arc<Mutex<HashMap<String, f64>>>;

struct Options {
    model: PathBuf,
    seeds: usize,
    tasks: Vec<String>,
    guidance: String,
    max_steps: usize,
    episode: Duration,
    no_plan: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut args = std::env::args().skip(2);
    let mut options = Options {
        model: PathBuf::new(),
        seeds: 3,
        tasks: Vec::new(),
        guidance: "auto".to_owned(),
        max_steps: 12,
        episode: Duration::from_secs(300),
        no_plan: false,
    };
    let mut model = None;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--model" => model = Some(PathBuf::from(value()?)),
            "--seeds" => options.seeds = value()?.parse()?,
            "--tasks" => {
                options.tasks = value()?.split(',').map(str::to_owned).collect();
            }
            "--guidance" => options.guidance = value()?,
            "--max-steps" => options.max_steps = value()?.parse()?,
            "--episode-seconds" => options.episode = Duration::from_secs(value()?.parse()?),
            "--no-plan" => options.no_plan = true,
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    options.model = match model {
        Some(model) => model,
        None => clef_tests::test_model()?
            .ok_or_else(|| anyhow::anyhow!("test model missing: run scripts/setup.sh"))?,
    };
    Ok(options)
}

fn root() -> PathBuf {
    std::env::var_os("CLEF_MINIWOB_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/miniwob"),
        PathBuf::from,
    )
}

/// The harness script appended to a task page: seed, long episode, start, report the reward.
fn harness_script(task: &str, seed: &str) -> String {
    let key = serde_json::to_string(&format!("{task}/{seed}")).unwrap_or_default();
    let seed = serde_json::to_string(seed).unwrap_or_default();
    format!(
        r#"<script>
(function () {{
  var pageLoad = window.onload, sent = false;
  window.onload = function (event) {{
    if (pageLoad) pageLoad.call(window, event);
    core.EPISODE_MAX_TIME = 600000;
    Math.seedrandom({seed});
    core.startEpisodeReal();
  }};
  var end = core.endEpisode;
  core.endEpisode = function (reward, proportional, reason) {{
    if (core.EP_TIMER === null || sent) return;
    end.call(core, reward, proportional, reason);
    sent = true;
    core.startEpisodeReal = function () {{}};
    try {{
      var request = new XMLHttpRequest();
      request.open('POST', '/reward', false);
      request.setRequestHeader('Content-Type', 'application/json');
      request.send(JSON.stringify({{ key: {key}, reward: WOB_RAW_REWARD_GLOBAL }}));
    }} catch (error) {{}}
  }};
}})();
</script>"#
    )
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn serve_file(root: &Path, request: &Request) -> (u16, &'static str, Vec<u8>) {
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((request.target.as_str(), ""));
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|part| part == "..") {
        return (404, "text/plain", b"no".to_vec());
    }
    let file = root.join(relative);
    let Ok(mut body) = std::fs::read(&file) else {
        return (404, "text/plain", b"not found".to_vec());
    };
    if relative.starts_with("miniwob/") && relative.ends_with(".html") {
        let task = file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("task");
        let seed = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("seed="))
            .unwrap_or("0");
        body.extend_from_slice(harness_script(task, seed).as_bytes());
    }
    (200, content_type(&file), body)
}

fn keep_reward(rewards: &Rewards, request: &Request) -> (u16, &'static str, Vec<u8>) {
    let value: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
    if let (Some(key), Some(reward)) = (value["key"].as_str(), value["reward"].as_f64())
        && let Ok(mut rewards) = rewards.lock()
    {
        rewards.insert(key.to_owned(), reward);
    }
    (200, "text/plain", b"ok".to_vec())
}

/// The instruction the seeded episode shows (read from a page of our own).
fn utterance(browser: &Headless, url: &str) -> anyhow::Result<String> {
    let page = browser.open(url)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = page.evaluate(
            "(document.getElementById('query') || {textContent: ''}).textContent.replace(/\\s+/g, ' ').trim()",
        )?;
        let text = text.as_str().unwrap_or_default().to_owned();
        if !text.is_empty() {
            // The episode's scripts stop with the page left: a page merely dropped kept its
            // timers running while this process waited, and over 30 tasks this process grew
            // to 24 GB (measured 2026-12-07).
            let _ = page.goto("about:blank");
            return Ok(text);
        }
        anyhow::ensure!(Instant::now() < deadline, "no instruction shown on {url}");
        page.settle(Duration::from_millis(100));
    }
}

#[derive(Default)]
struct Episode {
    reward: Option<f64>,
    steps: usize,
    step_seconds: Vec<f64>,
    model_seconds: Vec<f64>,
    prompt_tokens: Vec<f64>,
    decoded_tokens: Vec<f64>,
    exit: Option<i32>,
}

/// `key=value` fields of a log line.
fn field(line: &str, name: &str) -> Option<f64> {
    line.split_whitespace()
        .find_map(|part| part.strip_prefix(&format!("{name}=")))
        .and_then(|value| value.parse().ok())
}

fn run_episode(
    options: &Options,
    rewards: &Rewards,
    url: &str,
    key: &str,
    task: &str,
) -> anyhow::Result<Episode> {
    let log = std::env::temp_dir().join(format!("clef-miniwob-{}.log", std::process::id()));
    let audit = std::env::temp_dir().join(format!("clef-miniwob-{}.jsonl", std::process::id()));
    let steps_out = std::env::temp_dir().join(format!("clef-miniwob-{}.out", std::process::id()));
    let mut child = Command::new(clef_tests::clef_bin())
        .env("TZ", "UTC")
        .env(
            "CLEF_LOG",
            std::env::var("CLEF_BENCH_LOG").unwrap_or_else(|_| "clef=info".to_owned()),
        )
        .args([
            "run",
            "--start",
            url,
            "--task",
            task,
            "--model",
            &options.model.to_string_lossy(),
            "--max-steps",
            &options.max_steps.to_string(),
            "--guidance",
            &options.guidance,
            "--confirm",
            "allow",
            "--audit",
            &audit.to_string_lossy(),
        ])
        .args(options.no_plan.then_some("--no-plan"))
        .stdout(std::fs::File::create(&steps_out)?)
        .stderr(std::fs::File::create(&log)?)
        .spawn()?;
    let started = Instant::now();
    let mut episode = Episode::default();
    let mut ended_at: Option<Instant> = None;
    loop {
        if let Some(status) = child.try_wait()? {
            episode.exit = status.code();
            break;
        }
        let reward = rewards.lock().ok().and_then(|map| map.get(key).copied());
        if reward.is_some() && ended_at.is_none() {
            ended_at = Some(Instant::now());
        }
        // The episode is over: let the agent finish its step, then stop it.
        let over = ended_at.is_some_and(|at| at.elapsed() > Duration::from_millis(1500));
        if over || started.elapsed() > options.episode {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    episode.reward = rewards.lock().ok().and_then(|map| map.get(key).copied());
    let text = strip_colours(&std::fs::read_to_string(&log).unwrap_or_default());
    for line in text.lines().filter(|line| line.contains(" step ")) {
        episode.steps += 1;
        episode.step_seconds.extend(field(line, "seconds"));
        if let Some(model) = field(line, "model_seconds").filter(|s| *s > 0.0) {
            episode.model_seconds.push(model);
            episode.prompt_tokens.extend(field(line, "prompt_tokens"));
            episode
                .decoded_tokens
                .extend(field(line, "prompt_tokens_evaluated"));
        }
    }
    // CLEF_BENCH_VERBOSE=1: each episode's steps as `clef run` printed them.
    if std::env::var_os("CLEF_BENCH_VERBOSE").is_some() {
        eprint!(
            "{}",
            std::fs::read_to_string(&steps_out).unwrap_or_default()
        );
    }
    let _ = std::fs::remove_file(&steps_out);
    if let Some(kept) = std::env::var_os("CLEF_BENCH_KEEP_LOG") {
        let _ = std::fs::copy(&log, kept);
    }
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&audit);
    Ok(episode)
}

/// The text without terminal colour sequences.
fn strip_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The family of a task: its name without the variant suffixes.
fn family(task: &str) -> String {
    const VARIANTS: &[&str] = &[
        "-nodelay",
        "-easy",
        "-medium",
        "-hard",
        "-2",
        "-turk",
        "-nl",
        "-noscroll",
        "-all",
        "-some",
        "-delete",
        "-forward",
        "-important",
        "-reply",
        "-star",
        "-dynamic",
        "-sequence",
    ];
    let mut name = task.to_owned();
    while let Some(variant) = VARIANTS.iter().find(|variant| name.ends_with(*variant)) {
        name.truncate(name.len() - variant.len());
    }
    name
}

pub fn run() -> anyhow::Result<()> {
    let options = options()?;
    let root = root();
    anyhow::ensure!(
        root.join("miniwob").is_dir(),
        "MiniWoB++ tasks not found at {} (set CLEF_MINIWOB_DIR)",
        root.display()
    );
    let mut tasks: Vec<String> = std::fs::read_dir(root.join("miniwob"))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".html").map(str::to_owned)
        })
        .collect();
    tasks.sort();
    if !options.tasks.is_empty() {
        tasks.retain(|task| options.tasks.contains(task));
    }
    let rewards: Rewards = Arc::default();
    let files_root = root.clone();
    let kept = rewards.clone();
    let server = TestServer::start([
        (
            "/*",
            Route::dynamic(move |request| serve_file(&files_root, request)),
        ),
        (
            "/reward",
            Route::dynamic(move |request| keep_reward(&kept, request)),
        ),
    ])?;
    let browser = Headless::new(HeadlessOptions::default());
    println!(
        "MiniWoB++ development tasks: {} tasks × {} seeds, model {}, guidance {}, at most {} steps",
        tasks.len(),
        options.seeds,
        options.model.display(),
        options.guidance,
        options.max_steps
    );
    println!(
        "{:<32} {:>8} {:>8} {:>10}",
        "task", "success", "steps", "seconds"
    );
    let mut by_family: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut wins, mut episodes) = (0, 0);
    let (mut steps, mut models, mut prompts, mut decoded) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for task in &tasks {
        let mut task_wins = 0;
        let mut task_steps = 0;
        let started = Instant::now();
        for seed in 0..options.seeds {
            let url = server.url(&format!("/miniwob/{task}.html?seed={seed}"));
            let key = format!("{task}/{seed}");
            let instruction = match utterance(&browser, &url) {
                Ok(text) => text,
                Err(error) => {
                    println!("  {task} seed {seed}: {error}");
                    continue;
                }
            };
            if let Ok(mut map) = rewards.lock() {
                map.remove(&key);
            }
            let episode = run_episode(&options, &rewards, &url, &key, &instruction)?;
            let won = episode.reward.is_some_and(|reward| reward > 0.0);
            report_episode(task, seed, &instruction, &episode);
            task_wins += usize::from(won);
            task_steps += episode.steps;
            steps.extend(episode.step_seconds);
            models.extend(episode.model_seconds);
            prompts.extend(episode.prompt_tokens);
            decoded.extend(episode.decoded_tokens);
        }
        wins += task_wins;
        episodes += options.seeds;
        let entry = by_family.entry(family(task)).or_default();
        entry.0 += task_wins;
        entry.1 += options.seeds;
        println!(
            "{task:<32} {:>8} {:>8.1} {:>10.1}",
            format!("{task_wins}/{}", options.seeds),
            task_steps as f64 / options.seeds.max(1) as f64,
            started.elapsed().as_secs_f64() / options.seeds.max(1) as f64
        );
    }
    println!("\nby family:");
    for (name, (won, all)) in &by_family {
        println!(
            "  {name:<28} {won}/{all} ({:.0}%)",
            100.0 * *won as f64 / (*all).max(1) as f64
        );
    }
    let zero = by_family.values().filter(|(won, _)| *won == 0).count();
    println!(
        "\noverall {wins}/{episodes} ({:.1}%); families at 0%: {zero} of {}",
        100.0 * wins as f64 / episodes.max(1) as f64,
        by_family.len()
    );
    println!(
        "median step {:.3} s over {} steps; median model call {:.3} s over {}; prompt tokens per call: median {:.0}, decoded with prefix reuse {:.0}",
        super::median_of(&mut steps.clone()),
        steps.len(),
        super::median_of(&mut models.clone()),
        models.len(),
        super::median_of(&mut prompts),
        super::median_of(&mut decoded)
    );
    Ok(())
}

/// One line per episode on stderr, for reading failures.
fn report_episode(task: &str, seed: usize, instruction: &str, episode: &Episode) {
    eprintln!(
        "  {task} seed {seed}: reward {:?}, {} steps, exit {:?} — {instruction}",
        episode.reward, episode.steps, episode.exit
    );
}
