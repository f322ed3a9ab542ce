//! Window events: keys (the browser's shortcuts first), the mouse and wheel routed to the view
//! under the cursor, resizes and scale changes.

use servo::{DevicePoint, MouseButtonAction, RenderingContext as _, WebView};
use winit::dpi::PhysicalPosition;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::ActiveEventLoop;

use super::{Command, Focus, Shortcut, Tab, Ui, keymap};
use crate::servo_host::events;
use crate::servo_host::window::layout::Area;

impl Ui {
    /// Which view is under a window point, and the point in that view's pixels.
    pub(super) fn hit(&self, position: PhysicalPosition<f64>) -> Option<(Focus, DevicePoint)> {
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

    pub(super) fn view(&self, focus: Focus) -> Option<&WebView> {
        match focus {
            Focus::Chrome => Some(&self.chrome),
            Focus::Pane => Some(&self.pane),
            Focus::Content => self.active_webview(),
        }
    }

    pub(in crate::servo_host::window) fn window_event(
        &mut self,
        event_loop: &ActiveEventLoop,
        event: WindowEvent,
    ) {
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
                state,
                button: MouseButton::Right,
                ..
            } => {
                // Only a page has a context menu; Clef's own views have none.
                let Some((Focus::Content, point)) = self.hit(self.cursor) else {
                    return;
                };
                let action = match state {
                    ElementState::Pressed => MouseButtonAction::Down,
                    ElementState::Released => MouseButtonAction::Up,
                };
                if let Some(webview) = self.view(Focus::Content) {
                    webview.notify_input_event(events::secondary_button(action, point));
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
}
