//! The window's state: its webviews, their areas, focus, and what each event does to them.

mod assistant;
mod commands;
mod downloads;
mod driven;
mod find;
mod input;
mod library;
mod paint;
mod passwords;
mod passwords_page;
mod places;
mod questions;
mod saved_copies;
mod tabs;

use std::rc::Rc;
use std::sync::Arc;

use clef_profile::{Session, Transition};

use euclid::Scale;
use servo::{
    LoadStatus, OffscreenRenderingContext, Opts, RenderingContext, Servo, ServoBuilder, WebView,
    WebViewBuilder, WebViewId, WindowRenderingContext,
};
use url::Url;
use winit::dpi::{LogicalSize, PhysicalPosition};
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::keyboard::ModifiersState;
use winit::raw_window_handle::{HasDisplayHandle, HasWindowHandle};
use winit::window::Window;

use super::bridge::{self, ChromeState, Command, SuggestionState, TabState};
use super::delegate::{Notice, WindowDelegate};
use super::keymap::{self, Shortcut};
use super::layout::{Layout, layout};
use super::{Wake, WindowOptions};
use crate::BrowserError;
use crate::assistant::AssistantWorker;
use crate::servo_host::cookies::CookieKeeper;
use crate::servo_host::runtime;
use questions::Pending;
use tabs::Tab;

pub(super) use downloads::DownloadBar;

const CHROME_HTML: &str = include_str!("../../../../resources/ui/chrome.html");
const PANE_HTML: &str = include_str!("../../../../resources/ui/pane.html");
const START_PAGE: &str = "<!doctype html><meta charset=utf-8><title>New tab</title>\
    <body style=\"font:16px sans-serif;margin:4em;color:#333\"><h1>Clef</h1>\
    <p>Type a URL, host name or file path above (Ctrl+L).</p>";
const ZOOM_STEP: f32 = 1.1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Chrome,
    Content,
    Pane,
}

pub(super) struct Ui {
    // Drop order: webviews before Servo, Servo before the rendering contexts and the window.
    tabs: Vec<Tab>,
    chrome: WebView,
    pane: WebView,
    // Holds a Servo handle: dropped with the webviews, before Servo.
    agent_content: Rc<servo::UserContentManager>,
    servo: Servo,
    delegate: Rc<WindowDelegate>,
    chrome_context: Rc<OffscreenRenderingContext>,
    pane_context: Rc<OffscreenRenderingContext>,
    window_context: Rc<WindowRenderingContext>,
    window: Window,
    active: usize,
    pane_open: bool,
    pending: Option<Pending>,
    /// The pane was opened to ask a question, so it closes again once answered.
    pane_opened_for_question: bool,
    focus: Focus,
    cursor: PhysicalPosition<f64>,
    modifiers: ModifiersState,
    assistant: AssistantWorker,
    reading: Option<assistant::PendingRead>,
    cited: assistant::Cited,
    agent: driven::AgentTab,
    policies: crate::policies::Policies,
    pane_backlog: Vec<crate::assistant::AssistantEvent>,
    page_cache: Option<crate::page_cache::PageCache>,
    copies: saved_copies::Copies,
    /// The profile; `None` in a private window, which writes nothing.
    profile: Option<Arc<clef_profile::Profile>>,
    places: Option<crate::places::Places>,
    cookies: Option<CookieKeeper>,
    session: places::SessionState,
    /// What the history page is filtered by.
    library_query: String,
    /// Scripts that script results asked for: Servo cannot start an evaluation from inside
    /// another's callback, so they run after the spin.
    later: Later,
    passwords: passwords::PasswordManager,
    downloads: crate::downloads::Downloads,
    /// Documents' media types, answered by their tabs, waiting to be looked at.
    type_checks: downloads::TypeChecks,
    download_wake: ProxyWaker,
    /// Bumped by download threads; `download_seen` is what the chrome last showed.
    download_ticks: Arc<std::sync::atomic::AtomicU64>,
    download_seen: u64,
    download_bar_hidden: bool,
    /// The settings page's scan of the model stores, and when it was made.
    models_found: Option<(std::time::Instant, Vec<serde_json::Value>)>,
}

/// Scripts to evaluate after the current spin of Servo's event loop, and where.
pub(super) type Later = Rc<std::cell::RefCell<Vec<(WebView, String)>>>;

fn rendering(error: impl std::fmt::Debug) -> BrowserError {
    BrowserError::Rendering(format!("{error:?}"))
}

impl Ui {
    pub(super) fn new(
        event_loop: &ActiveEventLoop,
        options: &mut WindowOptions,
        proxy: EventLoopProxy<Wake>,
    ) -> Result<Self, BrowserError> {
        let (width, height) = options.size.unwrap_or((1280, 800));
        let attributes = Window::default_attributes()
            .with_title(crate::edition::NAME)
            .with_window_icon(edition_icon())
            .with_inner_size(LogicalSize::new(width, height));
        let window = event_loop.create_window(attributes).map_err(rendering)?;
        let display = event_loop.display_handle().map_err(rendering)?;
        let handle = window.window_handle().map_err(rendering)?;
        let window_context = Rc::new(
            WindowRenderingContext::new(display, handle, window.inner_size()).map_err(rendering)?,
        );
        window_context.make_current().map_err(rendering)?;

        let waker = ProxyWaker(proxy);
        let assistant_waker = waker.clone();
        let download_wake = waker.clone();
        let agent = match options.mcp.take() {
            Some(end) => {
                let agent = driven::AgentTab::with_clients(end);
                let clients_waker = waker.clone();
                agent.set_wake(std::sync::Arc::new(move || {
                    servo::EventLoopWaker::wake(&clients_waker)
                }));
                agent
            }
            None => driven::AgentTab::default(),
        };
        let choice = crate::assistant::ModelChoice {
            options: options.model.clone(),
            unavailable: options.model_unavailable.clone(),
            notes: options.notes.clone(),
        };
        let assistant = AssistantWorker::start(
            choice,
            options.profile.clone(),
            options.secrets.clone(),
            move || servo::EventLoopWaker::wake(&assistant_waker),
        );
        let profile = options.storage.clone();
        // Servo keeps cookies and site storage in the profile; a private window has none.
        let servo = ServoBuilder::default()
            .opts(Opts {
                config_dir: profile.as_ref().map(|profile| profile.engine_dir()),
                ..Opts::default()
            })
            .preferences(runtime::preferences(profile.is_some()))
            .event_loop_waker(Box::new(waker))
            .build();
        let cookies = profile
            .as_ref()
            .map(|profile| CookieKeeper::start(profile.dir(), &profile.engine_dir(), &servo));
        let mut profile_notes = Vec::new();
        let places = profile.as_ref().and_then(|profile| {
            match crate::places::Places::open(profile, &options.privacy, &options.policies) {
                Ok(places) => {
                    profile_notes.extend(places.notice.clone());
                    Some(places)
                }
                Err(error) => {
                    tracing::warn!(%error, "no history this session");
                    profile_notes.push(format!("No history this session: {error}"));
                    None
                }
            }
        });
        let saved_session = profile
            .as_ref()
            .and_then(|profile| Session::load(&profile.session_path()))
            .filter(|session| options.privacy.restore_session && session.restorable());
        let delegate = Rc::new(WindowDelegate::default());
        let agent_content = runtime::agent_content(&servo);
        agent_content.add_script(Rc::new(servo::UserScript::from(downloads::link_script())));
        agent_content.add_script(Rc::new(servo::UserScript::from(questions::date_script())));
        // A private window never offers to save a login, so its pages do not report them.
        if profile.is_some() {
            agent_content.add_script(Rc::new(
                servo::UserScript::from(passwords::capture_script()),
            ));
        }

        let size = window.inner_size();
        let areas = layout(size.width, size.height, window.scale_factor(), false);
        let chrome_context = Rc::new(window_context.offscreen_context(areas.chrome.size()));
        // Created at full pane size even while closed, so opening it needs no new surface.
        let pane_area = layout(size.width, size.height, window.scale_factor(), true).pane;
        let pane_size = pane_area.map_or(areas.content.size(), |area| area.size());
        let pane_context = Rc::new(window_context.offscreen_context(pane_size));

        let scale = Scale::new(window.scale_factor() as f32);
        let build = |context: Rc<OffscreenRenderingContext>, url: &str| -> Result<WebView, _> {
            let url = Url::parse(url).map_err(rendering)?;
            Ok::<_, BrowserError>(
                WebViewBuilder::new(&servo, context)
                    .url(url)
                    .hidpi_scale_factor(scale)
                    .delegate(delegate.clone())
                    .build(),
            )
        };
        let chrome = build(chrome_context.clone(), &bridge::data_url(CHROME_HTML))?;
        let pane = build(pane_context.clone(), &bridge::data_url(PANE_HTML))?;
        chrome.set_focused(false);
        pane.set_focused(false);

        let mut ui = Self {
            tabs: Vec::new(),
            chrome,
            pane,
            servo,
            agent_content,
            delegate,
            chrome_context,
            pane_context,
            window_context,
            window,
            active: 0,
            pane_open: false,
            pending: None,
            pane_opened_for_question: false,
            focus: Focus::Content,
            cursor: PhysicalPosition::new(0.0, 0.0),
            modifiers: ModifiersState::empty(),
            assistant,
            reading: None,
            cited: assistant::Cited::default(),
            agent,
            policies: options.policies.clone(),
            pane_backlog: Vec::new(),
            page_cache: options.page_cache.clone(),
            copies: saved_copies::Copies::default(),
            session: places::SessionState::new(profile.as_ref().map(|p| p.session_path())),
            profile,
            places,
            cookies,
            library_query: String::new(),
            later: Later::default(),
            passwords: passwords::PasswordManager::new(options),
            downloads: crate::downloads::Downloads::new(crate::downloads::download_dir()),
            type_checks: downloads::TypeChecks::default(),
            download_wake,
            download_ticks: Arc::default(),
            download_seen: 0,
            download_bar_hidden: false,
            models_found: None,
        };
        ui.pane_backlog
            .extend(assistant::managed_event(&options.policies));
        ui.pane_backlog.extend(
            profile_notes
                .into_iter()
                .map(|message| crate::assistant::AssistantEvent::Notice { message }),
        );
        // After a clean exit the tabs come back; after a crash the user chooses.
        match saved_session {
            Some(session) if session.clean_exit => ui.restore(&session),
            Some(session) => ui.session.crashed = Some(session),
            None => {}
        }
        match options.address.as_deref() {
            Some(address) => ui.open_tab(Some(address), Transition::Typed),
            None if ui.tabs.is_empty() => {
                ui.open_tab(crate::edition::START_PAGE, Transition::Typed);
                if crate::edition::START_PAGE.is_none() {
                    ui.focus_address();
                }
            }
            None => {}
        }
        ui.refresh_chrome();
        Ok(ui)
    }

    fn layout(&self) -> Layout {
        let size = self.window.inner_size();
        layout(
            size.width,
            size.height,
            self.window.scale_factor(),
            self.pane_open,
        )
    }

    fn scale(&self) -> Scale<f32, servo::DeviceIndependentPixel, servo::DevicePixel> {
        Scale::new(self.window.scale_factor() as f32)
    }

    fn active_webview(&self) -> Option<&WebView> {
        self.tabs.get(self.active).map(|tab| &tab.webview)
    }

    fn set_focus(&mut self, focus: Focus) {
        self.focus = focus;
        self.chrome.set_focused(focus == Focus::Chrome);
        self.pane.set_focused(focus == Focus::Pane);
        for (index, tab) in self.tabs.iter().enumerate() {
            tab.webview
                .set_focused(focus == Focus::Content && index == self.active);
        }
    }

    fn focus_address(&mut self) {
        self.set_focus(Focus::Chrome);
        self.chrome.evaluate_javascript(
            "window.clefFocusAddress && window.clefFocusAddress()",
            |_| {},
        );
    }

    fn resize_views(&self) {
        let areas = self.layout();
        self.chrome.resize(areas.chrome.size());
        if let Some(webview) = self.active_webview() {
            webview.resize(areas.content.size());
        }
        if let Some(pane) = areas.pane {
            self.pane.resize(pane.size());
        }
        self.window.request_redraw();
    }

    /// Spin Servo and act on what its webviews reported.
    pub(super) fn pump(&mut self, event_loop: &ActiveEventLoop) {
        self.servo.spin_event_loop();
        let notices = std::mem::take(&mut *self.delegate.notices.borrow_mut());
        let mut changed = false;
        for notice in notices {
            match notice {
                Notice::Changed => changed = true,
                Notice::Document(id) => {
                    if let Some(tab) = self.tabs.iter_mut().find(|tab| tab.webview.id() == id) {
                        tab.navigating = false;
                    }
                    self.agent_document(id);
                    self.check_for_copy(id);
                    self.note_document(id);
                    self.check_document_type(id);
                    self.focus_login_offer();
                    if let Some(index) = self.tabs.iter().position(|tab| {
                        tab.webview.id() == id
                            && tab.webview.load_status() == LoadStatus::Complete
                            && tab.shows_library().is_some()
                    }) {
                        self.render_library(index);
                    }
                }
                Notice::FrameReady(id) => self.frame_ready(id),
                Notice::Console(id, message) => self.console(id, &message, event_loop),
                Notice::OpenInNewTab(request) => {
                    let context = self.tab_context();
                    let webview = request
                        .builder(context.clone())
                        .hidpi_scale_factor(self.scale())
                        .delegate(self.delegate.clone())
                        .build();
                    let mut tab = Tab::new(webview, context);
                    tab.transition = Some(Transition::NewWindow);
                    self.add_tab(tab);
                }
                Notice::Dialog(id, control) => {
                    if let Some(control) = self.client_control(id, *control) {
                        self.ask(id, control);
                    }
                }
            }
        }
        let later = std::mem::take(&mut *self.later.borrow_mut());
        for (webview, script) in later {
            webview.evaluate_javascript(script, |_| {});
        }
        self.take_copies();
        self.take_type_checks();
        self.downloads_progressed();
        self.pump_assistant();
        if self.clients_gone() {
            tracing::info!("the MCP server ended: the window closes");
            event_loop.exit();
        }
        if changed {
            self.note_titles();
            self.refresh_chrome();
        }
        self.tick();
    }

    /// How the active tab's next document is reached, for the history.
    fn next_transition(&mut self, transition: Transition) {
        if let Some(tab) = self.tabs.get_mut(self.active) {
            tab.transition = Some(transition);
        }
    }

    fn console(&mut self, from: WebViewId, message: &str, event_loop: &ActiveEventLoop) {
        // Pages' own reports (a login sent, a download link): handled, never logged.
        let from_page = from != self.chrome.id() && from != self.pane.id();
        if from_page
            && (self.login_message(from, message)
                || self.download_message(from, message)
                || self.date_message(from, message))
        {
            return;
        }
        // Only Clef's own pages (chrome, pane, a tab showing the library) may command the
        // browser; pages' logs are logs.
        if self.library_console(from, message) {
            return;
        }
        if from_page {
            tracing::debug!(%message, "page console");
            return;
        }
        if let Some(command) = downloads::DownloadCommand::from_console(message) {
            self.download_command(command);
            return;
        }
        match Command::from_console(message) {
            Some(command) => self.command(command, event_loop),
            None => tracing::debug!(%message, "chrome console"),
        }
    }
}

impl Drop for Ui {
    /// A clean exit: the cookie copy and the session are written one last time (Servo writes
    /// its own cookie jar as it shuts down, after this).
    fn drop(&mut self) {
        if let Some(cookies) = &mut self.cookies {
            cookies.flush(&self.servo);
        }
        self.save_session(true);
    }
}

/// A private window is a process of its own: Servo keeps one profile per process, and a
/// private one must share nothing with it (cookies, storage) and write nothing.
fn open_private_window() {
    let started = std::env::current_exe().and_then(|clef| {
        std::process::Command::new(clef)
            .arg("--private")
            .stdin(std::process::Stdio::null())
            .spawn()
    });
    if let Err(error) = started {
        tracing::warn!(%error, "cannot open a private window");
    }
}

/// The edition's window icon, if it has one.
fn edition_icon() -> Option<winit::window::Icon> {
    if crate::edition::ICON_PNG.is_empty() {
        return None;
    }
    let image = image::load_from_memory(crate::edition::ICON_PNG)
        .ok()?
        .to_rgba8();
    let (width, height) = image.dimensions();
    winit::window::Icon::from_rgba(image.into_raw(), width, height).ok()
}

#[derive(Clone)]
struct ProxyWaker(EventLoopProxy<Wake>);

impl servo::EventLoopWaker for ProxyWaker {
    fn clone_box(&self) -> Box<dyn servo::EventLoopWaker> {
        Box::new(self.clone())
    }

    fn wake(&self) {
        let _ = self.0.send_event(Wake);
    }
}
