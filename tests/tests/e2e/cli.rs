//! The `clef headless` command line, as a script would use it.

use std::process::{Command, Output};

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::fixtures;
use crate::harness::Ctx;

fn clef(args: &[&str]) -> anyhow::Result<Output> {
    let output = Command::new(clef_bin()).args(args).output()?;
    Ok(output)
}

pub fn eval_text_and_screenshot(_: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([
        ("/", Route::html(fixtures::ARTICLE)),
        ("/colours", Route::html(fixtures::COLOURS)),
    ])?;
    let url = server.url("/");
    let output = clef(&[
        "headless",
        &url,
        "--eval",
        "({title: document.title, n: 2 + 3})",
    ])?;
    check!(
        output.status.success(),
        "eval failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    check!(
        json == serde_json::json!({"n": 5, "title": "Fixture Article"}),
        "eval printed {json}"
    );

    let output = clef(&["headless", &url, "--text"])?;
    let text = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success() && text.contains("quick brown fox"),
        "text printed {text}"
    );
    // The engine's noise stays out of the terminal, even where no runtime folder is set (a
    // service, a headless machine): Mesa's libwayland complained about it on every start.
    let quiet = Command::new(clef_bin())
        .args(["headless", &url])
        .env_remove("XDG_RUNTIME_DIR")
        .output()?;
    check!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "a plain load printed on stderr: {}",
        String::from_utf8_lossy(&quiet.stderr)
    );

    let path = std::env::temp_dir().join(format!("clef-cli-{}.png", std::process::id()));
    let path_arg = path.to_string_lossy().into_owned();
    let output = clef(&[
        "headless",
        &server.url("/colours"),
        "--screenshot",
        &path_arg,
        "--width",
        "400",
        "--height",
        "300",
    ])?;
    check!(
        output.status.success(),
        "screenshot failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let image = image::open(&path)?.to_rgba8();
    let _ = std::fs::remove_file(&path);
    check!(
        image.dimensions() == (400, 300),
        "size {:?}",
        image.dimensions()
    );
    check!(
        image.get_pixel(20, 250).0 == [255, 0, 0, 255],
        "left pixel {:?}",
        image.get_pixel(20, 250)
    );
    Ok(())
}

pub fn errors_are_one_line_and_nonzero(_: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([("/", Route::html(fixtures::ARTICLE))])?;
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let cases = [
        (vec!["headless".to_owned(), "not a url".to_owned()], 2),
        (
            vec!["headless".to_owned(), "/no/such/file.html".to_owned()],
            2,
        ),
        (
            vec![
                "headless".to_owned(),
                format!("http://127.0.0.1:{dead_port}/"),
            ],
            3,
        ),
        (vec!["headless".to_owned(), server.url("/absent")], 3),
        (
            vec![
                "headless".to_owned(),
                server.url("/"),
                "--eval".to_owned(),
                "null.x".to_owned(),
            ],
            5,
        ),
    ];
    for (args, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = clef(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("clef: "))
            .collect();
        check!(
            output.status.code() == Some(code),
            "{args:?}: exit {:?}, stderr {stderr}",
            output.status.code()
        );
        check!(
            message.len() == 1,
            "{args:?}: expected one `clef:` line, got {stderr}"
        );
        check!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    }
    Ok(())
}

pub fn model_info_and_bad_model(_: &Ctx) -> anyhow::Result<()> {
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let model = model.to_string_lossy().into_owned();
    let output = clef(&["model", "info", &model])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success(),
        "model info failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "architecture:   llama",
        "quantization:   Q4_1",
        "context length: 8192",
        "98362432 bytes",
        "network namespace",
    ] {
        check!(
            stdout.contains(expected),
            "model info lacks {expected:?}:\n{stdout}"
        );
    }
    let output = clef(&["model", "info", "/no/such/model.gguf"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    check!(
        !output.status.success() && stderr.contains("model file not found"),
        "missing model: {stderr}"
    );
    check!(!stderr.contains("panicked"), "panicked: {stderr}");
    let output = clef(&["model", "info", &model, "--sha256", &"0".repeat(64)])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    check!(
        !output.status.success() && stderr.contains("refusing to load"),
        "wrong pin: {stderr}"
    );
    Ok(())
}
