//! The GGUF models already on this machine: Clef's folder, Ollama's store (names from its
//! manifests), LM Studio's folder, the Hugging Face hub cache and llama.cpp's cache. Each file's
//! header and metadata are read (never loaded); what cannot be used is reported, not hidden.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clef_engine::gguf::{Summary, read_summary};

/// One model file found.
#[derive(Debug, Clone)]
pub struct FoundModel {
    /// Where it was found: "Clef", "Ollama", "LM Studio", "Hugging Face", "llama.cpp".
    pub source: &'static str,
    /// What its store calls it (Ollama's `name:tag`, the Hub's repository, else the file name).
    pub label: String,
    pub path: PathBuf,
    pub size: u64,
    pub summary: Summary,
}

/// Models found, and files or manifests that could not be used (a sentence each).
#[derive(Debug, Default)]
pub struct Discovery {
    pub models: Vec<FoundModel>,
    pub problems: Vec<String>,
}

/// Where to look, from `home` and the environment (`OLLAMA_MODELS`, `HF_HUB_CACHE`, `HF_HOME`,
/// `LLAMA_CACHE`, `CLEF_MODELS`, `XDG_DATA_HOME`, `XDG_CACHE_HOME`).
pub fn discover(home: &Path, env: &dyn Fn(&str) -> Option<OsString>) -> Discovery {
    let dir = |name: &str| {
        env(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    let cache = dir("XDG_CACHE_HOME").unwrap_or_else(|| home.join(".cache"));
    let data = dir("XDG_DATA_HOME").unwrap_or_else(|| home.join(".local/share"));
    let mut found = Discovery::default();
    let clef_folders = [
        dir("CLEF_MODELS").unwrap_or_else(|| cache.join("clef/models")),
        data.join("clef/models"),
    ];
    for folder in clef_folders {
        scan(&mut found, "Clef", &folder, 1);
    }
    let ollama = dir("OLLAMA_MODELS").unwrap_or_else(|| home.join(".ollama/models"));
    ollama_models(&mut found, &ollama);
    for folder in [
        home.join(".lmstudio/models"),
        cache.join("lm-studio/models"),
    ] {
        scan(&mut found, "LM Studio", &folder, 4);
    }
    let hub = dir("HF_HUB_CACHE")
        .or_else(|| dir("HF_HOME").map(|home| home.join("hub")))
        .unwrap_or_else(|| cache.join("huggingface/hub"));
    hugging_face(&mut found, &hub);
    scan(
        &mut found,
        "llama.cpp",
        &dir("LLAMA_CACHE").unwrap_or_else(|| cache.join("llama.cpp")),
        1,
    );
    // The same file through two stores (a symlink) is listed once.
    let mut seen = Vec::new();
    found.models.retain(|model| {
        let real = std::fs::canonicalize(&model.path).unwrap_or_else(|_| model.path.clone());
        let fresh = !seen.contains(&real);
        seen.push(real);
        fresh
    });
    found
}

fn add(found: &mut Discovery, source: &'static str, label: String, path: &Path) {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => {
            found.problems.push(format!("{}: {error}", path.display()));
            return;
        }
    };
    let size = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    match read_summary(std::io::BufReader::new(file)) {
        Ok(summary) => found.models.push(FoundModel {
            source,
            label,
            path: path.to_owned(),
            size,
            summary,
        }),
        Err(why) => found.problems.push(format!(
            "{}: not a usable GGUF model ({why})",
            path.display()
        )),
    }
}

/// Every `*.gguf` under `folder`, `depth` levels down at most.
fn scan(found: &mut Discovery, source: &'static str, folder: &Path, depth: usize) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if depth > 1 {
                scan(found, source, &path, depth - 1);
            }
        } else if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"))
        {
            let label = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            add(found, source, label, &path);
        }
    }
}

/// Ollama: `manifests/<registry>/<namespace>/<model>/<tag>` names the model's blob.
fn ollama_models(found: &mut Discovery, store: &Path) {
    let manifests = store.join("manifests");
    let mut files = Vec::new();
    collect_files(&manifests, 4, &mut files);
    files.sort();
    for manifest in files {
        let Ok(relative) = manifest.strip_prefix(&manifests) else {
            continue;
        };
        let parts: Vec<String> = relative
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        let label = match parts.as_slice() {
            [registry, namespace, model, tag]
                if registry == "registry.ollama.ai" && namespace == "library" =>
            {
                format!("{model}:{tag}")
            }
            [_, namespace, model, tag] => format!("{namespace}/{model}:{tag}"),
            _ => relative.display().to_string(),
        };
        let digest = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|json| {
                json["layers"].as_array().and_then(|layers| {
                    layers
                        .iter()
                        .find(|layer| layer["mediaType"] == "application/vnd.ollama.image.model")
                        .and_then(|layer| layer["digest"].as_str().map(str::to_owned))
                })
            });
        let Some(digest) = digest else {
            found.problems.push(format!(
                "Ollama's {label}: its manifest names no model layer ({})",
                manifest.display()
            ));
            continue;
        };
        let blob = store.join("blobs").join(digest.replace(':', "-"));
        if !blob.is_file() {
            found.problems.push(format!(
                "Ollama's {label}: its manifest points to {}, which is missing",
                blob.display()
            ));
            continue;
        }
        add(found, "Ollama", label, &blob);
    }
}

fn collect_files(folder: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for path in entries.flatten().map(|entry| entry.path()) {
        if path.is_dir() {
            if depth > 1 {
                collect_files(&path, depth - 1, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// The Hub cache: `models--<org>--<name>/snapshots/<revision>/…*.gguf`.
fn hugging_face(found: &mut Discovery, hub: &Path) {
    let Ok(entries) = std::fs::read_dir(hub) else {
        return;
    };
    let mut repos: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    repos.sort();
    for repo in repos {
        let Some(name) = repo
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_prefix("models--"))
        else {
            continue;
        };
        let repository = name.replacen("--", "/", 1);
        let mut files = Vec::new();
        collect_files(&repo.join("snapshots"), 3, &mut files);
        files.sort();
        for file in files.iter().filter(|file| {
            file.extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"))
        }) {
            let label = format!(
                "{repository} {}",
                file.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            );
            add(found, "Hugging Face", label, file);
        }
    }
}

/// Bytes of memory available now (`MemAvailable`), if the kernel says.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
}

/// Whether a model of `size` bytes fits in `available` memory with room for its context and
/// the browser (a fifth more, plus 512 MiB).
pub fn fits(size: u64, available: u64) -> bool {
    size.saturating_add(size / 5).saturating_add(512 << 20) <= available
}
