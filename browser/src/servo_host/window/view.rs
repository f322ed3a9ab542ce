//! The window's state: its webviews, their areas, focus, and what each event does to them.

mod assistant;
mod questions;
mod saved_copies;

use std::rc::Rc;

use euclid::{Point2D, Rect, Scale, Size2D};
use servo::{
    DevicePoint, LoadStatus, MouseButtonAction, OffscreenRenderingContext, RenderingContext, Servo,
    ServoBuilder, WebView, WebViewBuilder, WebViewId, WindowRenderingContext,
};
use url::Url;
use winit::dpi::{LogicalSize, PhysicalPosition};
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::keyboard::ModifiersState;
use winit::raw_window_handle::{HasDisplayHandle, HasWindowHandle};
use winit::window::Window;

use super::bridge::{self, ChromeState, Command, TabState};
use super::delegate::{Notice, WindowDelegate};
use super::keymap::{self, Shortcut};
use super::layout::{Area, Layout, layout};
use super::{Wake, WindowOptions};
use crate::BrowserError;
use crate::assistant::AssistantWorker;
use crate::servo_host::{events, runtime};
use questions::Pending;

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

impl Tab {
    fn loading(&self) -> bool {
        self.navigating || self.webview.load_status() != LoadStatus::Complete
    }
}

struct Tab {
    webview: WebView,
    /// Each tab renders into its own surface: only the active one is painted and shown.
    context: Rc<OffscreenRenderingContext>,
    /// What the user typed when it could not be opened; shown instead of the error page's URL.
    failed_input: Option<String>,
    /// A navigation Clef started that has produced no document yet. Servo keeps the old page's
    /// status meanwhile and drops further loads, so this is what says the tab is busy.
    navigating: bool,
    /// The web page whose copy was last asked for, so that each load is copied once.
    copied: Option<Url>,
    /// The saved copy shown because the page could not be reached.
    saved_copy: Option<crate::page_cache::SavedPage>,
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
    agent: assistant::AgentTab,
    policies: crate::policies::Policies,
    pane_backlog: Vec<crate::assistant::AssistantEvent>,
    page_cache: Option<crate::page_cache::PageCache>,
    copies: saved_copies::Copies,
}

fn rendering(error: impl std::fmt::Debug) -> BrowserError {
    BrowserError::Rendering(format!("{error:?}"))
}

impl Ui {
    pub(super) fn new(
        event_loop: &ActiveEventLoop,
        options: &WindowOptions,
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
        let choice = crate::assistant::ModelChoice {
            options: options.model.clone(),
            unavailable: options.model_unavailable.clone(),
            notes: options.notes.clone(),
        };
        let assistant = AssistantWorker::start(choice, options.profile.clone(), move || {
            servo::EventLoopWaker::wake(&assistant_waker)
        });
        let servo = ServoBuilder::default()
            .preferences(runtime::preferences())
            .event_loop_waker(Box::new(waker))
            .build();
        let delegate = Rc::new(WindowDelegate::default());
        let agent_content = runtime::agent_content(&servo);

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
            agent: assistant::AgentTab::default(),
            policies: options.policies.clone(),
            pane_backlog: Vec::new(),
            page_cache: options.page_cache.clone(),
            copies: saved_copies::Copies::default(),
        };
        ui.pane_backlog
            .extend(assistant::managed_event(&options.policies));
        let first = options.address.as_deref().or(crate::edition::START_PAGE);
        ui.open_tab(first);
        if first.is_none() {
            ui.focus_address();
        }
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

    /// A new tab at `address` (the start page when `None`), made the active one.
    fn open_tab(&mut self, address: Option<&str>) {
        let (url, failed_input) = match address {
            Some(input) => self.resolve(input),
            None => (Url::parse(&bridge::data_url(START_PAGE)).ok(), None),
        };
        let tab = self.new_tab(url, failed_input);
        self.add_tab(tab);
    }

    /// A tab on a surface of its own, loading `url`.
    fn new_tab(&self, url: Option<Url>, failed_input: Option<String>) -> Tab {
        let context = self.tab_context();
        let mut builder = WebViewBuilder::new(&self.servo, context.clone())
            .hidpi_scale_factor(self.scale())
            .delegate(self.delegate.clone())
            .user_content_manager(self.agent_content.clone());
        // The first URL goes in the builder: a load sent right after creation would be lost.
        if let Some(url) = url {
            builder = builder.url(url);
        }
        Tab {
            webview: builder.build(),
            context,
            failed_input,
            navigating: false,
            copied: None,
            saved_copy: None,
        }
    }

    fn tab_context(&self) -> Rc<OffscreenRenderingContext> {
        Rc::new(
            self.window_context
                .offscreen_context(self.layout().content.size()),
        )
    }

    fn add_tab(&mut self, tab: Tab) {
        self.tabs.push(tab);
        self.switch_to(self.tabs.len() - 1);
    }

    /// The URL for address-bar input: the page itself, or a local page saying why not.
    fn resolve(&self, input: &str) -> (Option<Url>, Option<String>) {
        match crate::address::parse_address_in_cwd(input) {
            Ok(url) => (Some(url), None),
            Err(error) => {
                tracing::info!(%error, "address not opened");
                (
                    Url::parse(&bridge::error_page(input, &error.to_string())).ok(),
                    Some(input.to_owned()),
                )
            }
        }
    }

    fn switch_to(&mut self, index: usize) {
        if index >= self.tabs.len() {
            return;
        }
        self.active = index;
        // The surface may have been sized for another window size while inactive.
        if let Some(webview) = self.active_webview() {
            webview.resize(self.layout().content.size());
        }
        self.window.request_redraw();
        self.set_focus(Focus::Content);
        self.refresh_chrome();
    }

    /// Close a tab; closing the last one closes the window, as users expect.
    fn close_tab(&mut self, index: usize, event_loop: &ActiveEventLoop) {
        if index >= self.tabs.len() {
            return;
        }
        self.tabs.remove(index);
        if self.tabs.is_empty() {
            event_loop.exit();
            return;
        }
        let next = if index < self.active {
            self.active - 1
        } else {
            self.active.min(self.tabs.len() - 1)
        };
        self.switch_to(next);
    }

    fn navigate(&mut self, input: &str) {
        let (url, failed_input) = self.resolve(input);
        let Some(url) = url else { return };
        let Some(tab) = self.tabs.get_mut(self.active) else {
            return;
        };
        tab.saved_copy = None;
        if !tab.navigating && tab.webview.load_status() == LoadStatus::Complete {
            tab.webview.load(url);
            tab.failed_input = failed_input;
            tab.navigating = true;
        } else {
            // Servo ignores loads while a navigation is pending; one that never answers would
            // wedge the tab, so a new address replaces the tab's webview instead.
            self.replace_active_tab(url, failed_input);
        }
        self.set_focus(Focus::Content);
        self.refresh_chrome();
    }

    /// A fresh webview for the active tab, loading `url` (its history is lost).
    fn replace_active_tab(&mut self, url: Url, failed_input: Option<String>) {
        let tab = self.new_tab(Some(url), failed_input);
        if let Some(slot) = self.tabs.get_mut(self.active) {
            *slot = tab;
        }
        self.switch_to(self.active);
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

    fn refresh_chrome(&self) {
        let tabs = self
            .tabs
            .iter()
            .map(|tab| TabState {
                title: tab.webview.page_title().unwrap_or_default(),
                url: displayed_url(tab),
                loading: tab.loading(),
            })
            .collect();
        let active = self.active_webview();
        let state = ChromeState {
            tabs,
            active: self.active,
            url: self
                .tabs
                .get(self.active)
                .map(displayed_url)
                .unwrap_or_default(),
            loading: self.tabs.get(self.active).is_some_and(Tab::loading),
            can_back: active.is_some_and(WebView::can_go_back),
            can_forward: active.is_some_and(WebView::can_go_forward),
            pane_open: self.pane_open,
            saved_copy: self
                .tabs
                .get(self.active)
                .and_then(|tab| tab.saved_copy.as_ref())
                .map(|saved| format!("Offline: the copy saved {}", saved.saved_at_utc())),
        };
        self.chrome
            .evaluate_javascript(state.render_script(), |_| {});
        let title = active
            .and_then(WebView::page_title)
            .filter(|title| !title.is_empty());
        self.window.set_title(&match title {
            Some(title) => format!("{title} — {}", crate::edition::NAME),
            None => crate::edition::NAME.to_owned(),
        });
    }

    fn shortcut(&mut self, shortcut: Shortcut, event_loop: &ActiveEventLoop) {
        let active = self.active_webview().cloned();
        match shortcut {
            Shortcut::FocusAddress => self.focus_address(),
            Shortcut::NewTab => {
                self.open_tab(None);
                self.focus_address();
            }
            Shortcut::CloseTab => self.close_tab(self.active, event_loop),
            Shortcut::NextTab => self.switch_to((self.active + 1) % self.tabs.len().max(1)),
            Shortcut::PreviousTab => {
                let count = self.tabs.len().max(1);
                self.switch_to((self.active + count - 1) % count);
            }
            Shortcut::Back => self.command(Command::Back, event_loop),
            Shortcut::Forward => self.command(Command::Forward, event_loop),
            Shortcut::Reload => self.command(Command::Reload, event_loop),
            Shortcut::Stop => self.command(Command::Stop, event_loop),
            Shortcut::ZoomIn | Shortcut::ZoomOut | Shortcut::ZoomReset => {
                if let Some(webview) = active {
                    let zoom = match shortcut {
                        Shortcut::ZoomIn => webview.page_zoom() * ZOOM_STEP,
                        Shortcut::ZoomOut => webview.page_zoom() / ZOOM_STEP,
                        _ => 1.0,
                    };
                    webview.set_page_zoom(zoom.clamp(0.3, 5.0));
                }
            }
            Shortcut::TogglePane => self.command(Command::TogglePane, event_loop),
        }
    }

    fn command(&mut self, command: Command, event_loop: &ActiveEventLoop) {
        tracing::debug!(?command, "command");
        let active = self.active_webview().cloned();
        match command {
            Command::Navigate { text } => self.navigate(&text),
            Command::Back => {
                if let Some(webview) = active.filter(WebView::can_go_back) {
                    webview.go_back(1);
                }
            }
            Command::Forward => {
                if let Some(webview) = active.filter(WebView::can_go_forward) {
                    webview.go_forward(1);
                }
            }
            Command::Reload => {
                // Reloading a saved copy tries the page itself again.
                let saved = self
                    .tabs
                    .get_mut(self.active)
                    .and_then(|tab| tab.saved_copy.take());
                match saved {
                    Some(saved) => self.navigate(&saved.url),
                    None => {
                        if let Some(tab) = self.tabs.get_mut(self.active) {
                            tab.copied = None;
                            tab.webview.reload();
                        }
                    }
                }
            }
            Command::Stop => {
                let pending = self.tabs.get(self.active).is_some_and(|tab| tab.navigating);
                if pending {
                    // No document yet and Servo cannot cancel: go back to the page on screen.
                    if let Some(url) = active.as_ref().and_then(WebView::url) {
                        self.replace_active_tab(url, None);
                    }
                } else if let Some(webview) =
                    active.filter(|w| w.load_status() != LoadStatus::Complete)
                {
                    webview.evaluate_javascript("window.stop()", |_| {});
                }
            }
            Command::NewTab => {
                self.open_tab(None);
                self.focus_address();
            }
            Command::CloseTab { index } => self.close_tab(index, event_loop),
            Command::SwitchTab { index } => self.switch_to(index),
            Command::TogglePane => {
                self.pane_open = !self.pane_open;
                self.resize_views();
                if self.pane_open {
                    self.set_focus(Focus::Pane);
                    // Keyboard first: the question field takes the keys at once.
                    self.pane.evaluate_javascript(
                        "window.clefAssistant && window.clefAssistant.focus()",
                        |_| {},
                    );
                } else {
                    self.set_focus(Focus::Content);
                }
            }
            Command::Summarize => self.read_tabs(assistant::Purpose::Summarize, false),
            Command::Ask { question, all_tabs } => {
                self.read_tabs(assistant::Purpose::Ask(question), all_tabs)
            }
            Command::Reader => self.read_tabs(assistant::Purpose::Reader, false),
            Command::StopAssistant => self.assistant.stop(),
            Command::Act { task } => self.start_task(task),
            Command::Approve { allow } => self.assistant.approve(allow),
            Command::Pause => self.assistant.pause(true),
            Command::Audit => self.open_audit(),
            Command::Resume => self.assistant.pause(false),
            Command::Cite { source, passage } => self.show_citation(source, passage),
            Command::FocusContent => self.set_focus(Focus::Content),
            Command::Answer {
                accept,
                value,
                selected,
            } => self.answer(accept, value, selected),
        }
        self.refresh_chrome();
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

    /// Which view is under a window point, and the point in that view's pixels.
    fn hit(&self, position: PhysicalPosition<f64>) -> Option<(Focus, DevicePoint)> {
        let areas = self.layout();
        let local = |area: &Area| {
            DevicePoint::new(
                (position.x - f64::from(area.x)) as f32,
                (position.y - f64::from(area.y)) as f32,
            )
        };
        if areas.chrome.contains(position.x, position.y) {
            return Some((Focus::Chrome, local(&areas.chrome)));
        }
        if let Some(pane) = areas
            .pane
            .filter(|pane| pane.contains(position.x, position.y))
        {
            return Some((Focus::Pane, local(&pane)));
        }
        areas
            .content
            .contains(position.x, position.y)
            .then(|| (Focus::Content, local(&areas.content)))
    }

    fn view(&self, focus: Focus) -> Option<&WebView> {
        match focus {
            Focus::Chrome => Some(&self.chrome),
            Focus::Pane => Some(&self.pane),
            Focus::Content => self.active_webview(),
        }
    }

    pub(super) fn window_event(&mut self, event_loop: &ActiveEventLoop, event: WindowEvent) {
        match event {
            WindowEvent::RedrawRequested => self.paint(),
            WindowEvent::Resized(size) => {
                self.window_context.resize(size);
                self.resize_views();
            }
            WindowEvent::ScaleFactorChanged { .. } => {
                let scale = self.scale();
                for webview in self
                    .tabs
                    .iter()
                    .map(|tab| &tab.webview)
                    .chain([&self.chrome, &self.pane])
                {
                    webview.set_hidpi_scale_factor(scale);
                }
                self.resize_views();
            }
            WindowEvent::ModifiersChanged(modifiers) => self.modifiers = modifiers.state(),
            WindowEvent::KeyboardInput { event, .. } => {
                if let Some(shortcut) = keymap::shortcut(&event, self.modifiers) {
                    // Escape is the page's own key unless a load is running.
                    let loading = self.tabs.get(self.active).is_some_and(Tab::loading);
                    if shortcut != Shortcut::Stop || (loading && self.focus == Focus::Content) {
                        self.shortcut(shortcut, event_loop);
                        return;
                    }
                }
                if let Some(webview) = self.view(self.focus) {
                    webview.notify_input_event(keymap::keyboard_event(&event, self.modifiers));
                }
            }
            WindowEvent::CursorMoved { position, .. } => {
                self.cursor = position;
                if let Some((focus, point)) = self.hit(position)
                    && let Some(webview) = self.view(focus)
                {
                    webview.notify_input_event(events::mouse_move(point));
                }
            }
            WindowEvent::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => {
                let Some((focus, point)) = self.hit(self.cursor) else {
                    return;
                };
                let answering_select = focus == Focus::Pane && self.select_pending();
                if state == ElementState::Pressed && focus != self.focus && !answering_select {
                    self.set_focus(focus);
                }
                let action = match state {
                    ElementState::Pressed => MouseButtonAction::Down,
                    ElementState::Released => MouseButtonAction::Up,
                };
                if let Some(webview) = self.view(focus) {
                    webview.notify_input_event(events::mouse_button(action, point));
                }
            }
            WindowEvent::MouseInput {
                state: ElementState::Pressed,
                button: MouseButton::Back,
                ..
            } => {
                self.command(Command::Back, event_loop);
            }
            WindowEvent::MouseInput {
                state: ElementState::Pressed,
                button: MouseButton::Forward,
                ..
            } => {
                self.command(Command::Forward, event_loop);
            }
            WindowEvent::MouseWheel { delta, .. } => {
                let Some((focus, point)) = self.hit(self.cursor) else {
                    return;
                };
                let (dx, dy) = match delta {
                    // A wheel notch scrolls about three lines of text.
                    MouseScrollDelta::LineDelta(x, y) => (f64::from(x) * 57.0, f64::from(y) * 57.0),
                    MouseScrollDelta::PixelDelta(delta) => (delta.x, delta.y),
                };
                if let Some(webview) = self.view(focus) {
                    webview.notify_input_event(events::wheel(point, -dx, -dy));
                }
            }
            _ => {}
        }
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
                    self.add_tab(Tab {
                        webview,
                        context,
                        failed_input: None,
                        navigating: false,
                        copied: None,
                        saved_copy: None,
                    });
                }
                Notice::Dialog(id, control) => self.ask(id, *control),
            }
        }
        self.take_copies();
        self.pump_assistant();
        if changed {
            self.refresh_chrome();
        }
    }

    /// A visible webview's new frame needs the window repainted. One that is not on screen (the
    /// closed pane, a background tab) is painted into its own surface only: Servo keeps
    /// announcing an unpainted frame, and repainting the window for each kept both cores busy.
    fn frame_ready(&self, id: WebViewId) {
        let visible = id == self.chrome.id()
            || (self.pane_open && id == self.pane.id())
            || self
                .active_webview()
                .is_some_and(|webview| webview.id() == id);
        if visible {
            self.window.request_redraw();
        } else if id == self.pane.id() {
            self.pane.paint();
        } else if let Some(tab) = self.tabs.iter().find(|tab| tab.webview.id() == id) {
            tab.webview.paint();
        }
    }

    fn console(&mut self, from: WebViewId, message: &str, event_loop: &ActiveEventLoop) {
        // Only Clef's own pages (chrome, pane) may command the browser; pages' logs are logs.
        if from != self.chrome.id() && from != self.pane.id() {
            tracing::debug!(%message, "page console");
            return;
        }
        match Command::from_console(message) {
            Some(command) => self.command(command, event_loop),
            None => tracing::debug!(%message, "chrome console"),
        }
    }

    fn paint(&self) {
        let areas = self.layout();
        let mut views = vec![(&self.chrome, &self.chrome_context, areas.chrome)];
        if let Some(tab) = self.tabs.get(self.active) {
            views.push((&tab.webview, &tab.context, areas.content));
        }
        if let Some(pane) = areas.pane {
            views.push((&self.pane, &self.pane_context, pane));
        }
        // Each webview renders into its own surface first; painting one leaves GL bound to
        // its surface, so the window's framebuffer is bound only afterwards, for the copies.
        for (webview, _, _) in &views {
            webview.paint();
        }
        if let Err(error) = self.window_context.make_current() {
            tracing::error!(?error, "cannot paint");
            return;
        }
        self.window_context.prepare_for_rendering();
        let gl = self.window_context.glow_gl_api();
        let window_height = self.window.inner_size().height as i32;
        for (_, context, area) in views {
            let Some(copy) = context.render_to_parent_callback() else {
                continue;
            };
            // GL's origin is the bottom-left corner.
            let bottom = window_height - area.y - area.height as i32;
            let size = Size2D::new(area.width as i32, area.height as i32);
            copy(&gl, Rect::new(Point2D::new(area.x, bottom), size));
        }
        self.window_context.present();
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

fn displayed_url(tab: &Tab) -> String {
    if let Some(saved) = &tab.saved_copy {
        return saved.url.clone();
    }
    match &tab.failed_input {
        Some(input) => input.clone(),
        None => tab
            .webview
            .url()
            .map(String::from)
            .filter(|url| !url.starts_with("data:"))
            .unwrap_or_default(),
    }
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
