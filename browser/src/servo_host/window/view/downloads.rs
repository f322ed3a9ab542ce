//! Downloads in the window: a document Servo cannot show (a ZIP, a PDF, a binary) or a link with
//! a `download` attribute is fetched again by `crate::downloads` with the tab's cookies; the
//! chrome shows the latest download (progress, cancel, open, show in folder) and the library's
//! Downloads page lists them all (Ctrl+Shift+Y).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use servo::{CookieSource, WebViewId};
use url::Url;

use super::Ui;
use super::library::LibraryView;
use crate::downloads::{DownloadRequest, DownloadState, renders_as_page};
use crate::servo_host::js;

const DOWNLOADS_JS: &str = include_str!("../../../../../resources/ui/downloads.js");
const DOWNLOAD_PREFIX: &str = "clef-download:";
/// How often a loading document's media type is asked again.
const TYPE_RECHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);
/// The document's media type, and whether it is the one-paragraph page Servo 0.7 shows for a
/// response it cannot render ("Unknown content type (…)", `servoparser::load_document`).
/// Its address comes back too: a script sent while a navigation commits can reach the document
/// before it, whose answer says nothing of the new one.
const PLACEHOLDER_JS: &str = "(() => { const body = document.body; \
    const only = body && body.children.length === 1 && body.firstElementChild.tagName === 'P'; \
    const text = only ? body.textContent.trim() : ''; \
    return { url: document.URL, type: document.contentType, \
      placeholder: /^(Unknown content type|Unable to load font) \\(/.test(text) }; })()";

/// The page script that hands `<a download>` clicks to the window.
pub(super) fn link_script() -> &'static str {
    DOWNLOADS_JS
}

/// What a tab's document said of itself.
pub(super) struct TypeCheck {
    tab: WebViewId,
    url: Url,
    /// `document.contentType` when the document is Servo's placeholder; `None` for a page.
    placeholder_type: Option<String>,
    /// Whether the tab had finished loading when asked: only then is a page's answer final.
    complete: bool,
}

pub(super) type TypeChecks = std::rc::Rc<std::cell::RefCell<Vec<TypeCheck>>>;

#[derive(Deserialize)]
struct LinkClick {
    url: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    error: Option<String>,
}

/// Commands about downloads, from the chrome or the library's Downloads page.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub(in crate::servo_host::window) enum DownloadCommand {
    #[serde(rename = "cancel_download")]
    Cancel { id: u64 },
    #[serde(rename = "open_download")]
    Open { id: u64 },
    #[serde(rename = "show_download")]
    Show { id: u64 },
    #[serde(rename = "dismiss_download")]
    Dismiss,
}

impl DownloadCommand {
    pub(super) fn from_console(message: &str) -> Option<Self> {
        serde_json::from_str(message.strip_prefix(super::super::bridge::COMMAND_PREFIX)?).ok()
    }
}

/// The latest download, as the chrome shows it.
#[derive(Debug, Serialize)]
pub(in crate::servo_host::window) struct DownloadBar {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub state: DownloadState,
}

impl Ui {
    /// Ask the tab's document whether it is a page or Servo's placeholder for a file.
    pub(super) fn check_document_type(&mut self, id: WebViewId) {
        let Some(tab) = self.tabs.iter_mut().find(|tab| tab.webview.id() == id) else {
            return;
        };
        let Some(url) = tab.webview.url() else { return };
        tab.saved_login = self.passwords.saved_login(url.as_str());
        // Asked from the head on: Servo reads a whole file before calling its placeholder
        // complete, and a large download should not wait for that.
        let status = tab.webview.load_status();
        if !matches!(url.scheme(), "http" | "https" | "file")
            || tab.type_checked.as_ref() == Some(&url)
            || tab.downloaded.as_ref() == Some(&url)
            || status == servo::LoadStatus::Started
        {
            return;
        }
        tab.type_asked = Some(std::time::Instant::now());
        let complete = status == servo::LoadStatus::Complete;
        tracing::debug!(%url, ?status, "asking the document's type");
        let checks = self.type_checks.clone();
        tab.webview
            .evaluate_javascript(PLACEHOLDER_JS, move |result| {
                let Ok(value) = result else { return };
                let answer = js::to_json(value);
                let text = |key: &str| answer.get(key).and_then(serde_json::Value::as_str);
                tracing::debug!(%url, answer = %answer, "the document's type");
                // The document that answered must be the one at the tab's address.
                if text("url").and_then(|answered| Url::parse(answered).ok()) != Some(url.clone()) {
                    return;
                }
                // Only Servo's placeholder is a file: a document it sniffed and rendered (HTML
                // sent as application/octet-stream) is a page, whatever its declared type.
                let placeholder = answer
                    .get("placeholder")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true);
                checks.borrow_mut().push(TypeCheck {
                    tab: id,
                    url,
                    placeholder_type: placeholder
                        .then(|| text("type").unwrap_or_default().to_owned()),
                    complete,
                });
            });
    }

    /// Ask again, twice a second, the tabs whose document is not yet known to be a page or not:
    /// a notice can come before the new document is the one a script reaches, and a large file
    /// sends no other until Servo has read all of it.
    pub(super) fn recheck_document_types(&mut self) {
        let due: Vec<WebViewId> = self
            .tabs
            .iter()
            .filter(|tab| {
                tab.webview.load_status() != servo::LoadStatus::Started
                    && tab.webview.url().is_some_and(|url| {
                        tab.type_checked.as_ref() != Some(&url)
                            && tab.downloaded.as_ref() != Some(&url)
                    })
                    && tab
                        .type_asked
                        .is_none_or(|asked| asked.elapsed() >= TYPE_RECHECK_INTERVAL)
            })
            .map(|tab| tab.webview.id())
            .collect();
        for id in due {
            self.check_document_type(id);
        }
    }

    /// Documents found not to be pages become downloads.
    pub(super) fn take_type_checks(&mut self) {
        let checks = std::mem::take(&mut *self.type_checks.borrow_mut());
        for check in checks {
            let Some(index) = self
                .tabs
                .iter()
                .position(|tab| tab.webview.id() == check.tab)
            else {
                continue;
            };
            let url = check.url;
            let media_type = match check.placeholder_type {
                Some(media_type) if !renders_as_page(&media_type) => media_type,
                _ => {
                    // A page, known for good once it has loaded; until then asked again.
                    if check.complete {
                        self.tabs[index].type_checked = Some(url);
                    }
                    continue;
                }
            };
            // Asked at the head and again at the end: one download.
            if self.tabs[index].downloaded.as_ref() == Some(&url) {
                continue;
            }
            self.tabs[index].downloaded = Some(url.clone());
            self.tabs[index].type_checked = Some(url.clone());
            let referrer = self.tabs[index]
                .recorded
                .as_ref()
                .filter(|(previous, _)| *previous != url)
                .map(|(previous, _)| previous.to_string());
            tracing::info!(%url, %media_type, "not a page: downloaded");
            self.download(url.clone(), None, referrer);
            // A PDF stays open (the assistant reads it); anything else leaves the placeholder
            // Servo shows for it, which says what happened instead of "Unknown content type".
            let webview = &self.tabs[index].webview;
            let pdf = media_type == "application/pdf";
            if !pdf && webview.can_go_back() {
                webview.go_back(1);
                continue;
            }
            let name = self
                .downloads
                .list()
                .first()
                .map(|view| view.name.clone())
                .unwrap_or_default();
            let said = if pdf {
                format!(
                    "{name} is saved in your downloads folder: Open in the toolbar shows it in \
                     your PDF viewer, and the assistant can summarize it from this tab."
                )
            } else {
                format!("{name} is saved in your downloads folder (Ctrl+Shift+Y lists downloads).")
            };
            let literal = serde_json::to_string(&said).unwrap_or_default();
            webview.evaluate_javascript(
                format!(
                    "document.body && (document.body.firstElementChild.textContent = {literal})"
                ),
                |_| {},
            );
        }
    }

    /// A `<a download>` click a page reported; `true` when `message` was one.
    pub(super) fn download_message(&mut self, from: WebViewId, message: &str) -> bool {
        let Some(body) = message.strip_prefix(DOWNLOAD_PREFIX) else {
            return false;
        };
        let Ok(click) = serde_json::from_str::<LinkClick>(body) else {
            return true;
        };
        let referrer = self
            .tabs
            .iter()
            .find(|tab| tab.webview.id() == from)
            .and_then(|tab| tab.webview.url())
            .map(String::from);
        if let Some(error) = click.error {
            self.say(format!("Not downloaded: {error}"));
            return true;
        }
        let name = Some(click.name).filter(|name| !name.trim().is_empty());
        let Ok(url) = Url::parse(&click.url) else {
            return true;
        };
        match url.scheme() {
            "http" | "https" => self.download(url, name, referrer),
            "data" => {
                let Ok(data) = data_url::DataUrl::process(url.as_str()) else {
                    return true;
                };
                let media_type = data.mime_type().to_string();
                let Ok((bytes, _)) = data.decode_to_vec() else {
                    self.say("Not downloaded: the link's data is damaged");
                    return true;
                };
                if let Some(reason) = self.downloads_refused() {
                    self.say(reason);
                    return true;
                }
                let request = DownloadRequest {
                    url,
                    cookies: None,
                    referrer,
                    suggested_name: name,
                };
                let wake = self.download_waker();
                let policies = self.policies.clone();
                self.downloads
                    .save_inline(request, bytes, media_type, policies, wake);
                self.refresh_chrome();
            }
            _ => {}
        }
        true
    }

    /// Private windows download too (like any browser); only the organisation can refuse.
    fn downloads_refused(&self) -> Option<String> {
        self.policies
            .download_allowed("", "")
            .err()
            .map(|error| error.to_string())
    }

    /// Called from download threads: counts the change and wakes the event loop.
    fn download_waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        let waker = self.download_wake.clone();
        let ticks = self.download_ticks.clone();
        Arc::new(move || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            servo::EventLoopWaker::wake(&waker);
        })
    }

    /// Fetch `url` into the download folder with the cookies Servo holds for it.
    pub(super) fn download(&mut self, url: Url, name: Option<String>, referrer: Option<String>) {
        if let Some(reason) = self.downloads_refused() {
            self.say(reason);
            return;
        }
        let cookies = self
            .servo
            .site_data_manager()
            .cookies_for_url(url.clone(), CookieSource::HTTP);
        let header = cookies
            .iter()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let request = DownloadRequest {
            url,
            cookies: (!header.is_empty()).then_some(header),
            referrer,
            suggested_name: name,
        };
        let wake = self.download_waker();
        let policies = self.policies.clone();
        self.downloads.start(request, policies, wake);
        self.download_bar_hidden = false;
        self.refresh_chrome();
    }

    pub(super) fn download_command(&mut self, command: DownloadCommand) {
        match command {
            DownloadCommand::Cancel { id } => self.downloads.cancel(id),
            DownloadCommand::Open { id } => {
                if let Some(path) = self.downloads.path(id) {
                    open_with_desktop(&path);
                }
            }
            DownloadCommand::Show { id } => {
                if let Some(folder) = self
                    .downloads
                    .path(id)
                    .and_then(|path| path.parent().map(std::path::Path::to_path_buf))
                {
                    open_with_desktop(&folder);
                }
            }
            DownloadCommand::Dismiss => self.download_bar_hidden = true,
        }
        self.refresh_chrome();
    }

    /// The chrome's download bar: the newest download, until dismissed.
    pub(super) fn download_bar(&self) -> Option<DownloadBar> {
        if self.download_bar_hidden {
            return None;
        }
        let newest = self.downloads.list().into_iter().next()?;
        Some(DownloadBar {
            id: newest.id,
            name: newest.name,
            status: newest.status,
            state: newest.state,
        })
    }

    /// Progress moved: the chrome and an open Downloads page show it.
    pub(super) fn downloads_progressed(&mut self) {
        let ticks = self
            .download_ticks
            .load(std::sync::atomic::Ordering::SeqCst);
        if ticks == self.download_seen {
            return;
        }
        self.download_seen = ticks;
        self.refresh_chrome();
        if let Some(index) = self
            .tabs
            .iter()
            .position(|tab| tab.shows_library() == Some(LibraryView::Downloads))
        {
            self.render_library(index);
        }
    }
}

/// Hand a file or folder to the desktop's opener (`xdg-open`): the system's PDF viewer, file
/// manager…
fn open_with_desktop(path: &std::path::Path) {
    let started = std::process::Command::new("xdg-open")
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(error) = started {
        tracing::warn!(%error, path = %path.display(), "xdg-open failed");
    }
}
