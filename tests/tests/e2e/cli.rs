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

/// A GGUF with a header, a name and one small tensor: enough to be listed, not to be run.
fn tiny_gguf(name: &str) -> Vec<u8> {
    let string = |out: &mut Vec<u8>, text: &str| {
        out.extend((text.len() as u64).to_le_bytes());
        out.extend(text.as_bytes());
    };
    let mut bytes = b"GGUF".to_vec();
    bytes.extend(3u32.to_le_bytes());
    bytes.extend(1u64.to_le_bytes());
    bytes.extend(2u64.to_le_bytes());
    string(&mut bytes, "general.architecture");
    bytes.extend(8u32.to_le_bytes());
    string(&mut bytes, "llama");
    string(&mut bytes, "general.name");
    bytes.extend(8u32.to_le_bytes());
    string(&mut bytes, name);
    string(&mut bytes, "token_embd.weight");
    bytes.extend(2u32.to_le_bytes());
    bytes.extend(64u64.to_le_bytes());
    bytes.extend(1000u64.to_le_bytes());
    bytes.extend(0u32.to_le_bytes());
    bytes.extend(0u64.to_le_bytes());
    bytes
}

/// `clef model list` finds the models of Ollama, the Hugging Face cache and LM Studio in a home
/// laid out as they lay it out, says what cannot be used, and `clef model use` makes one the
/// default without touching the rest of the config file.
pub fn model_list_and_use_find_other_stores(_: &Ctx) -> anyhow::Result<()> {
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let home = std::env::temp_dir().join(format!("clef-models-home-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let ollama = home.join(".ollama/models");
    let manifests = ollama.join("manifests/registry.ollama.ai/library");
    std::fs::create_dir_all(manifests.join("smollm"))?;
    std::fs::create_dir_all(manifests.join("ghost"))?;
    std::fs::create_dir_all(ollama.join("blobs"))?;
    let layer = |digest: &str| {
        format!(
            r#"{{"schemaVersion":2,"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{digest}"}}]}}"#
        )
    };
    std::fs::write(manifests.join("smollm/135m"), layer("aa11"))?;
    std::fs::write(manifests.join("ghost/latest"), layer("bb22"))?;
    std::os::unix::fs::symlink(&model, ollama.join("blobs/sha256-aa11"))?;
    let snapshot = home.join(
        ".cache/huggingface/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct/snapshots/0123abc",
    );
    std::fs::create_dir_all(&snapshot)?;
    std::fs::copy(&model, snapshot.join("smollm2-135m-instruct-q4_1.gguf"))?;
    let studio = home.join(".lmstudio/models/someone/tiny-GGUF");
    std::fs::create_dir_all(&studio)?;
    std::fs::write(studio.join("tiny-q8_0.gguf"), tiny_gguf("Tiny Test"))?;
    std::fs::write(studio.join("README.md"), "not a model")?;
    let llama_cache = home.join(".cache/llama.cpp");
    std::fs::create_dir_all(&llama_cache)?;
    std::fs::write(llama_cache.join("broken.gguf"), "GGUF but not really")?;
    let config_dir = home.join(".config/clef");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(
        config_dir.join("config.toml"),
        "# my settings\n[profile]\ngiven_name = \"Alice\"\n",
    )?;
    let run = |args: &[&str]| -> anyhow::Result<Output> {
        Ok(Command::new(clef_bin())
            .args(args)
            .env("HOME", &home)
            .env("CLEF_MODELS", home.join("no-clef-models"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("OLLAMA_MODELS")
            .env_remove("HF_HOME")
            .env_remove("HF_HUB_CACHE")
            .env_remove("LLAMA_CACHE")
            .output()?)
    };
    let result = (|| {
        let listed = run(&["model", "list"])?;
        let text = String::from_utf8_lossy(&listed.stdout);
        check!(
            listed.status.success(),
            "{}",
            String::from_utf8_lossy(&listed.stderr)
        );
        check!(
            text.contains("smollm:135m  [Ollama]")
                && text.contains("HuggingFaceTB/SmolLM2-135M-Instruct smollm2-135m-instruct-q4_1.gguf  [Hugging Face]")
                && text.contains("tiny-q8_0.gguf  [LM Studio]")
                && text.contains("Tiny Test"),
            "not every store's model is listed:\n{text}"
        );
        check!(
            text.contains("Q4_1")
                && text.contains("134M parameters")
                && text.contains("fits in memory"),
            "what the test model is:\n{text}"
        );
        check!(
            text.contains("ghost:latest")
                && text.contains("missing")
                && text.contains("broken.gguf: not a usable GGUF model")
                && !text.contains("README"),
            "what cannot be used is not said:\n{text}"
        );
        check!(text.contains("no default model"), "{text}");
        // Without a default, a command that needs a model names the best one found here.
        let guided = run(&["model", "info"])?;
        let message = String::from_utf8_lossy(&guided.stderr);
        check!(
            !guided.status.success()
                && message.contains("clef model use")
                && message.contains("found on this machine"),
            "no model chosen: {message}"
        );
        let chosen = run(&["model", "use", "smollm:135m"])?;
        check!(
            chosen.status.success(),
            "{}",
            String::from_utf8_lossy(&chosen.stderr)
        );
        let config = std::fs::read_to_string(config_dir.join("config.toml"))?;
        check!(
            config.contains("# my settings")
                && config.contains("given_name = \"Alice\"")
                && config.contains("[model]")
                && config.contains("sha256-aa11"),
            "the config file after `clef model use`:\n{config}"
        );
        let again = String::from_utf8_lossy(&run(&["model", "list"])?.stdout).into_owned();
        check!(
            again.contains("* smollm:135m"),
            "the default is not marked:\n{again}"
        );
        let unknown = run(&["model", "use", "no-such-model"])?;
        check!(
            !unknown.status.success()
                && String::from_utf8_lossy(&unknown.stderr).contains("clef model list"),
            "an unknown model name"
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&home);
    result
}

/// A one-page PDF with `line` as its text (Helvetica, no compression).
pub(crate) fn pdf_with(line: &str) -> String {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({line}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{object}\nendobj\n", index + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out
}

/// A PDF opened by address is read (and summarized) from its text; a broken one says so.
pub fn pdf_is_read_for_the_assistant(_: &Ctx) -> anyhow::Result<()> {
    let pdf = |body: String| Route::Page {
        status: 200,
        content_type: "application/pdf",
        body,
    };
    let server = TestServer::start([
        (
            "/timetable.pdf",
            pdf(pdf_with(
                "The night train to Vienna leaves at 19:58 every evening.",
            )),
        ),
        (
            "/broken.pdf",
            pdf("%PDF-1.4\nthis is not really a PDF".to_owned()),
        ),
    ])?;
    let output = clef(&["read", &server.url("/timetable.pdf")])?;
    let text = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success()
            && text.starts_with("timetable.pdf")
            && text.contains("The night train to Vienna leaves at 19:58 every evening."),
        "reading a PDF: {text} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let broken = clef(&["read", &server.url("/broken.pdf")])?;
    let said = String::from_utf8_lossy(&broken.stderr);
    check!(
        !broken.status.success()
            && said.contains("this PDF could not be read")
            && !said.contains("panicked"),
        "a broken PDF: {said}"
    );
    if let Some(model) = clef_tests::test_model()? {
        let summary = clef(&[
            "summarize",
            &server.url("/timetable.pdf"),
            "--model",
            &model.to_string_lossy(),
        ])?;
        let text = String::from_utf8_lossy(&summary.stdout);
        check!(
            summary.status.success() && text.contains("Sources:") && text.contains("19:58"),
            "summarizing a PDF: {text}"
        );
    } else {
        println!("    skipped (part): test model missing (run scripts/setup.sh)");
    }
    Ok(())
}
