//! `clef-bench tools [--model PATH]`: the agent with the tools of a real MCP server (the order
//! desk of `tests/mcp/orders_server.py`, the official Python SDK, over stdio) through `clef run`,
//! on tasks in English and French that only a tool can answer: how many end with the right
//! answer (or the right call), which calls reached the server, and how long each took. The
//! tasks are a development set: their wording was never used to shape the prompt.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clef_tests::server::{Route, TestServer};

const PAGE: &str = r#"<!doctype html><title>Order desk</title>
<h1>Order desk</h1><p>Ask the order desk about any order by its number.</p>"#;

/// A task, the words a right answer holds (any of them, case aside), and the call it needs.
struct Case {
    task: &'static str,
    answer_holds: &'static [&'static str],
    call: (&'static str, &'static str),
}

const CASES: &[Case] = &[
    Case {
        task: "When will order A-1042 arrive?",
        answer_holds: &["9 december"],
        call: ("lookup_order", "A-1042"),
    },
    Case {
        task: "What is the status of order B-7?",
        answer_holds: &["payment"],
        call: ("lookup_order", "B-7"),
    },
    Case {
        task: "Check where my order A-1042 is and tell me who delivers it.",
        answer_holds: &["courier"],
        call: ("lookup_order", "A-1042"),
    },
    Case {
        task: "Où en est ma commande A-1042 ?",
        answer_holds: &["shipped", "9 december", "9 décembre", "expédi"],
        call: ("lookup_order", "A-1042"),
    },
    Case {
        task: "Quand la commande B-7 sera-t-elle payée ? Dis-moi où elle en est.",
        answer_holds: &["payment", "paiement"],
        call: ("lookup_order", "B-7"),
    },
    Case {
        task: "Cancel order B-7, I ordered it twice.",
        answer_holds: &[],
        call: ("cancel_order", "B-7"),
    },
    Case {
        task: "Annule la commande A-1042.",
        answer_holds: &[],
        call: ("cancel_order", "A-1042"),
    },
];

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(2);
    let mut model: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => model = args.next().map(PathBuf::from),
            other => anyhow::bail!("unknown option {other} (--model PATH)"),
        }
    }
    let model = match model {
        Some(model) => model,
        None => clef_tests::test_model()?
            .ok_or_else(|| anyhow::anyhow!("no model: run scripts/setup.sh or pass --model"))?,
    };
    let python = clef_tests::mcp_python()?.ok_or_else(|| {
        anyhow::anyhow!("the MCP SDK is missing: run scripts/fetch-mcp-clients.sh")
    })?;
    let scratch = std::env::temp_dir().join(format!("clef-bench-tools-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("config/clef"))?;
    let calls_path = scratch.join("calls.jsonl");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mcp/orders_server.py");
    std::fs::write(
        scratch.join("config/clef/config.toml"),
        format!(
            "[[mcp_servers]]\nname = \"orders\"\ncommand = [\"env\", {:?}, {:?}, {:?}]\n\
             always_allow = [\"lookup_order\", \"cancel_order\"]\n",
            format!("ORDERS_CALL_LOG={}", calls_path.display()),
            python.display().to_string(),
            script.display().to_string()
        ),
    )?;
    let clef = |args: &[&str]| {
        let mut command = Command::new(clef_tests::clef_bin());
        command
            .env("XDG_CONFIG_HOME", scratch.join("config"))
            .env("XDG_DATA_HOME", scratch.join("data"))
            .args(args);
        command
    };
    // Starting the server and listing its tools, as each task does.
    let mut starts = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let listed = clef(&["tools"]).output()?;
        anyhow::ensure!(
            listed.status.success(),
            "clef tools failed: {}",
            String::from_utf8_lossy(&listed.stdout)
        );
        starts.push(started.elapsed().as_secs_f64());
    }
    let site = TestServer::start([("/", Route::html(PAGE))])?;
    let (mut right, mut seconds) = (0, Vec::new());
    for case in CASES {
        let _ = std::fs::remove_file(&calls_path);
        let started = Instant::now();
        let output = clef(&[
            "run",
            "--start",
            &site.url("/"),
            "--task",
            case.task,
            "--max-steps",
            "6",
            "--model",
            &model.to_string_lossy(),
        ])
        .output()?;
        seconds.push(started.elapsed().as_secs_f64());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let calls: Vec<serde_json::Value> = std::fs::read_to_string(&calls_path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let called = calls.iter().any(|call| {
            call["tool"] == case.call.0
                && call["arguments"]["order_id"]
                    .as_str()
                    .is_some_and(|id| id.trim().eq_ignore_ascii_case(case.call.1))
        });
        let wrong_calls = calls
            .iter()
            .filter(|call| call["arguments"]["order_id"].as_str() != Some(case.call.1))
            .count();
        let answer = stdout
            .lines()
            .find_map(|line| line.strip_prefix("answer: "))
            .unwrap_or("")
            .to_lowercase();
        let answered = case.answer_holds.is_empty()
            || case.answer_holds.iter().any(|words| answer.contains(words));
        let ok = called && answered && output.status.code() == Some(0);
        right += usize::from(ok);
        println!(
            "{} {:>5.1} s  calls {} (other orders {wrong_calls})  {}  → {}",
            if ok { "yes" } else { "no " },
            seconds.last().copied().unwrap_or_default(),
            calls.len(),
            case.task,
            stdout.lines().last().unwrap_or("")
        );
        if std::env::var_os("CLEF_BENCH_VERBOSE").is_some() {
            println!("{stdout}");
        }
    }
    println!(
        "\n{right}/{} tasks right; median {:.1} s per task; the server started and listed its tools \
         in {:.2} s (median of {}, `clef tools`)",
        CASES.len(),
        median(&mut seconds),
        median(&mut starts),
        starts.len()
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
