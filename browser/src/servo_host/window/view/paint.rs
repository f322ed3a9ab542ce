//! Painting: each visible webview renders into its own surface, then is copied into its area
//! of the window; and what the chrome strip and the window's title show.

use euclid::{Point2D, Rect, Size2D};
use servo::{RenderingContext as _, WebView, WebViewId};

use super::tabs::Tab;
use super::{ChromeState, TabState, Ui};

impl Ui {
    /// A visible webview's new frame needs the window repainted. One that is not on screen (the
    /// closed pane, a background tab) is painted into its own surface only: Servo keeps
    /// announcing an unpainted frame, and repainting the window for each kept both cores busy.
    pub(super) fn frame_ready(&self, id: WebViewId) {
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

    pub(super) fn paint(&self) {
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

    pub(super) fn refresh_chrome(&self) {
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
            private: self.profile.is_none(),
            bookmarked: self.active_bookmark().is_some(),
            can_bookmark: self.places.is_some()
                && active
                    .and_then(WebView::url)
                    .is_some_and(|url| clef_profile::keeps_scheme(url.scheme())),
            restore_offer: self
                .session
                .crashed
                .as_ref()
                .map(|session| session.windows.iter().map(|window| window.tabs.len()).sum()),
            login_offer: self.passwords.offer_text(),
            saved_login: self
                .tabs
                .get(self.active)
                .and_then(|tab| tab.saved_login.clone()),
            download: self.download_bar(),
        };
        self.chrome
            .evaluate_javascript(state.render_script(), |_| {});
        let title = active
            .and_then(WebView::page_title)
            .filter(|title| !title.is_empty());
        let name = if self.profile.is_none() {
            format!("{} (private)", crate::edition::NAME)
        } else {
            crate::edition::NAME.to_owned()
        };
        self.window.set_title(&match title {
            Some(title) => format!("{title} — {name}"),
            None => name,
        });
    }
}

fn displayed_url(tab: &Tab) -> String {
    if let Some(saved) = &tab.saved_copy {
        return saved.url.clone();
    }
    if let Some(view) = tab.shows_library() {
        return format!(
            "clef:{}",
            serde_json::to_value(view)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
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
