//! Downloads: files the user asked for, saved under the XDG download folder with their real
//! name (`report (1).pdf` rather than overwriting), with progress and cancel.
//!
//! Servo 0.7 has no download API (servo issue #40210): a response it cannot render becomes a
//! placeholder document ("Unknown content type"), and response headers never reach the
//! embedder. The window therefore notices such documents (and `<a download>` clicks) and fetches
//! the address again here, with the cookies Servo holds for it. While the file is written it is
//! a hidden `.NAME.part` beside its final name, renamed only once complete: a cancelled or
//! failed download leaves nothing under the final name.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use url::Url;

use crate::policies::Policies;

mod names;

pub use names::{disposition_name, renders_as_page, safe_name};
use names::{name_from_url, split_extension};

/// How often a running download wakes the window to show its progress.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// What to fetch, and what the page said about it.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    pub url: Url,
    /// The `Cookie` header Servo would send to this address.
    pub cookies: Option<String>,
    pub referrer: Option<String>,
    /// The `download` attribute's name, if the link had one.
    pub suggested_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadState {
    Running,
    Done,
    Failed,
    Cancelled,
}

/// A download as the window shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadView {
    pub id: u64,
    pub url: String,
    pub name: String,
    pub state: DownloadState,
    /// "45% — 22.5 MB of 50.0 MB", "done — 50.0 MB", "failed: disk full"…
    pub status: String,
    pub received: u64,
    pub total: Option<u64>,
    pub media_type: String,
}

#[derive(Debug)]
struct Progress {
    name: String,
    path: Option<PathBuf>,
    received: u64,
    total: Option<u64>,
    state: DownloadState,
    failure: Option<String>,
    media_type: String,
}

struct Download {
    id: u64,
    url: String,
    progress: Arc<Mutex<Progress>>,
    cancel: Arc<AtomicBool>,
}

/// The downloads of this window.
pub struct Downloads {
    dir: PathBuf,
    items: Vec<Download>,
    next_id: u64,
    /// Final names taken by running downloads, so two never pick the same.
    reserved: Arc<Mutex<HashSet<PathBuf>>>,
}

impl std::fmt::Debug for Downloads {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Downloads")
            .field("dir", &self.dir)
            .field("count", &self.items.len())
            .finish()
    }
}

/// The XDG download folder (`XDG_DOWNLOAD_DIR`), else `~/Downloads`.
pub fn download_dir() -> PathBuf {
    dirs::download_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Downloads")))
        .unwrap_or_else(|| PathBuf::from("Downloads"))
}

fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    progress
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Downloads {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            items: Vec::new(),
            next_id: 1,
            reserved: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Start fetching `request` on a thread of its own; `wake` is called as it progresses.
    pub fn start(
        &mut self,
        request: DownloadRequest,
        policies: Policies,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> u64 {
        self.spawn(request, None, policies, wake)
    }

    /// Save bytes the page handed over (a data: or blob: link), as a download.
    pub fn save_inline(
        &mut self,
        request: DownloadRequest,
        bytes: Vec<u8>,
        media_type: String,
        policies: Policies,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> u64 {
        self.spawn(request, Some((bytes, media_type)), policies, wake)
    }

    fn spawn(
        &mut self,
        request: DownloadRequest,
        inline: Option<(Vec<u8>, String)>,
        policies: Policies,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let progress = Arc::new(Mutex::new(Progress {
            name: request
                .suggested_name
                .clone()
                .unwrap_or_else(|| name_from_url(&request.url)),
            path: None,
            received: 0,
            total: None,
            state: DownloadState::Running,
            failure: None,
            media_type: String::new(),
        }));
        let cancel = Arc::new(AtomicBool::new(false));
        self.items.push(Download {
            id,
            url: request.url.to_string(),
            progress: progress.clone(),
            cancel: cancel.clone(),
        });
        let job = Job {
            dir: self.dir.clone(),
            request,
            inline,
            policies,
            progress: progress.clone(),
            cancel,
            reserved: self.reserved.clone(),
            wake: wake.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("clef-download".to_owned())
            .spawn(move || job.run());
        if let Err(error) = spawned {
            let mut progress = lock(&progress);
            progress.state = DownloadState::Failed;
            progress.failure = Some(error.to_string());
        }
        id
    }

    pub fn cancel(&self, id: u64) {
        if let Some(item) = self.items.iter().find(|item| item.id == id) {
            item.cancel.store(true, Ordering::SeqCst);
        }
    }

    /// The saved file of a finished download.
    pub fn path(&self, id: u64) -> Option<PathBuf> {
        let item = self.items.iter().find(|item| item.id == id)?;
        let progress = lock(&item.progress);
        (progress.state == DownloadState::Done)
            .then(|| progress.path.clone())
            .flatten()
    }

    /// Every download of this session, newest first.
    pub fn list(&self) -> Vec<DownloadView> {
        self.items
            .iter()
            .rev()
            .map(|item| {
                let progress = lock(&item.progress);
                DownloadView {
                    id: item.id,
                    url: item.url.clone(),
                    name: progress.name.clone(),
                    state: progress.state.clone(),
                    status: status(&progress),
                    received: progress.received,
                    total: progress.total,
                    media_type: progress.media_type.clone(),
                }
            })
            .collect()
    }

    pub fn running(&self) -> usize {
        self.items
            .iter()
            .filter(|item| lock(&item.progress).state == DownloadState::Running)
            .count()
    }
}

/// A size as people read it: bytes, KB or MB.
fn megabytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.0} KB", bytes as f64 / 1_000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

fn status(progress: &Progress) -> String {
    match progress.state {
        DownloadState::Running => match progress.total {
            Some(total) if total > 0 => format!(
                "{}% — {} of {}",
                (progress.received.min(total) * 100) / total,
                megabytes(progress.received),
                megabytes(total)
            ),
            _ => megabytes(progress.received),
        },
        DownloadState::Done => format!("done — {}", megabytes(progress.received)),
        DownloadState::Cancelled => "cancelled".to_owned(),
        DownloadState::Failed => format!(
            "failed: {}",
            progress.failure.as_deref().unwrap_or("unknown error")
        ),
    }
}

struct Job {
    dir: PathBuf,
    request: DownloadRequest,
    /// The bytes themselves (a data: or blob: link), with their media type.
    inline: Option<(Vec<u8>, String)>,
    policies: Policies,
    progress: Arc<Mutex<Progress>>,
    cancel: Arc<AtomicBool>,
    reserved: Arc<Mutex<HashSet<PathBuf>>>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

/// What `Job::open` found: the body, the file's name, its media type, its announced length.
type Body = (Box<dyn Read>, String, String, Option<u64>);

enum Stop {
    Cancelled,
    Failed(String),
}

impl Job {
    fn run(self) {
        let mut claimed = None;
        let outcome = self.fetch(&mut claimed);
        if let Some((path, part)) = &claimed {
            if !matches!(outcome, Ok(())) {
                let _ = std::fs::remove_file(part);
            }
            self.reserved
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(path);
        }
        {
            let mut progress = lock(&self.progress);
            match outcome {
                Ok(()) => progress.state = DownloadState::Done,
                Err(Stop::Cancelled) => progress.state = DownloadState::Cancelled,
                Err(Stop::Failed(reason)) => {
                    tracing::warn!(url = %self.request.url, %reason, "download failed");
                    progress.state = DownloadState::Failed;
                    progress.failure = Some(reason);
                }
            }
        }
        (self.wake)();
    }

    /// The body to save, its name, media type and announced length.
    fn open(&self) -> Result<Body, Stop> {
        if let Some((bytes, media_type)) = &self.inline {
            let name = self
                .request
                .suggested_name
                .as_deref()
                .map(safe_name)
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "download".to_owned());
            let total = Some(bytes.len() as u64);
            return Ok((
                Box::new(std::io::Cursor::new(bytes.clone())),
                name,
                media_type.clone(),
                total,
            ));
        }
        let agent = crate::model_pull::http_agent(10);
        let mut request = agent.get(self.request.url.as_str());
        if let Some(cookies) = &self.request.cookies {
            request = request.header("Cookie", cookies);
        }
        if let Some(referrer) = &self.request.referrer {
            request = request.header("Referer", referrer);
        }
        let response = request
            .call()
            .map_err(|error| Stop::Failed(error.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Stop::Failed(format!("the server answered {status}")));
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let media_type = header("content-type")
            .and_then(|value| {
                value
                    .split(';')
                    .next()
                    .map(|kind| kind.trim().to_ascii_lowercase())
            })
            .unwrap_or_default();
        let total = header("content-length").and_then(|value| value.trim().parse::<u64>().ok());
        let name = header("content-disposition")
            .as_deref()
            .and_then(disposition_name)
            .or_else(|| self.request.suggested_name.clone())
            .map(|name| safe_name(&name))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| name_from_url(&self.request.url));
        Ok((
            Box::new(response.into_body().into_reader()),
            name,
            media_type,
            total,
        ))
    }

    fn fetch(&self, claimed: &mut Option<(PathBuf, PathBuf)>) -> Result<(), Stop> {
        let (mut body, name, media_type, total) = self.open()?;
        self.policies
            .download_allowed(&name, &media_type)
            .map_err(|error| Stop::Failed(error.to_string()))?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|error| Stop::Failed(format!("{}: {error}", self.dir.display())))?;
        let (path, part) = self.claim(&name);
        *claimed = Some((path.clone(), part.clone()));
        {
            let mut progress = lock(&self.progress);
            progress.name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or(name);
            progress.total = total;
            progress.media_type = media_type;
        }
        (self.wake)();
        let write_error =
            |error: std::io::Error| Stop::Failed(format!("{}: {error}", part.display()));
        let mut file = std::fs::File::create(&part).map_err(write_error)?;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut received = 0u64;
        let mut shown = Instant::now();
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(Stop::Cancelled);
            }
            let read = body.read(&mut buffer).map_err(|error| match total {
                Some(total) if received < total => Stop::Failed(format!(
                    "the server sent {} of the {} it announced ({error})",
                    megabytes(received),
                    megabytes(total)
                )),
                _ => Stop::Failed(format!("the connection broke: {error}")),
            })?;
            if read == 0 {
                break;
            }
            file.write_all(&buffer[..read]).map_err(write_error)?;
            received += read as u64;
            if shown.elapsed() >= PROGRESS_INTERVAL {
                shown = Instant::now();
                lock(&self.progress).received = received;
                (self.wake)();
            }
        }
        if let Some(total) = total
            && received < total
        {
            return Err(Stop::Failed(format!(
                "the server sent {} of the {} it announced",
                megabytes(received),
                megabytes(total)
            )));
        }
        file.sync_all().map_err(write_error)?;
        drop(file);
        // Never replaces a file that appeared meanwhile.
        if path.exists() {
            return Err(Stop::Failed(format!(
                "{} appeared meanwhile",
                path.display()
            )));
        }
        std::fs::rename(&part, &path).map_err(write_error)?;
        let mut progress = lock(&self.progress);
        progress.received = received;
        progress.path = Some(path);
        Ok(())
    }

    /// The first free name among `name`, `name (1)`, `name (2)`…, and its partial file.
    fn claim(&self, name: &str) -> (PathBuf, PathBuf) {
        let mut reserved = self
            .reserved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (stem, extension) = split_extension(name);
        for index in 0u32.. {
            let candidate = if index == 0 {
                name.to_owned()
            } else {
                format!("{stem} ({index}){extension}")
            };
            let path = self.dir.join(&candidate);
            let part = self.dir.join(format!(".{candidate}.part"));
            if !path.exists() && !part.exists() && !reserved.contains(&path) {
                reserved.insert(path.clone());
                return (path, part);
            }
        }
        unreachable!("u32 names run out")
    }
}
