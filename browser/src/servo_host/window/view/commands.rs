//! What a keyboard shortcut or a command from the chrome or the pane does.

use clef_profile::Transition;
use servo::{LoadStatus, WebView};
use winit::event_loop::ActiveEventLoop;

use super::super::bridge::Command;
use super::super::keymap::Shortcut;
use super::find::FindRequest;
use super::library::LibraryView;
use super::{Focus, Ui, ZOOM_STEP, assistant, open_private_window};

impl Ui {
    pub(super) fn shortcut(&mut self, shortcut: Shortcut, event_loop: &ActiveEventLoop) {
        let active = self.active_webview().cloned();
        match shortcut {
            Shortcut::FocusAddress => self.focus_address(),
            Shortcut::NewTab => {
                self.open_tab(None, Transition::Typed);
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
            Shortcut::History => self.open_library(LibraryView::History),
            Shortcut::Bookmarks => self.open_library(LibraryView::Bookmarks),
            Shortcut::ToggleBookmark => self.toggle_bookmark(),
            Shortcut::PrivateWindow => open_private_window(),
            Shortcut::ReopenTab => self.reopen_tab(),
            Shortcut::Find => self.open_find_bar(),
            Shortcut::FindNext => self.find(FindRequest::Step { forward: true }),
            Shortcut::FindPrevious => self.find(FindRequest::Step { forward: false }),
            Shortcut::FillLogin => self.fill_login(),
            Shortcut::Downloads => self.open_library(LibraryView::Downloads),
        }
    }

    pub(super) fn command(&mut self, command: Command, event_loop: &ActiveEventLoop) {
        tracing::debug!(?command, "command");
        let active = self.active_webview().cloned();
        match command {
            Command::Navigate { text } => self.navigate(&text, Transition::Typed),
            Command::Back => {
                if let Some(webview) = active.filter(WebView::can_go_back) {
                    self.next_transition(Transition::BackForward);
                    webview.go_back(1);
                }
            }
            Command::Forward => {
                if let Some(webview) = active.filter(WebView::can_go_forward) {
                    self.next_transition(Transition::BackForward);
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
                    Some(saved) => self.navigate(&saved.url, Transition::Reload),
                    None => {
                        if let Some(tab) = self.tabs.get_mut(self.active) {
                            tab.copied = None;
                            tab.transition = Some(Transition::Reload);
                            // A reload is a visit of its own.
                            tab.recorded = None;
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
                self.open_tab(None, Transition::Typed);
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
            Command::Ask {
                question,
                history: true,
                ..
            } => self.ask_memory(question),
            Command::Ask {
                question, all_tabs, ..
            } => self.read_tabs(assistant::Purpose::Ask(question), all_tabs),
            Command::ToggleBookmark => self.toggle_bookmark(),
            Command::OpenLibrary { view } => {
                let view = match view.as_str() {
                    "bookmarks" => LibraryView::Bookmarks,
                    "settings" => LibraryView::Settings,
                    _ => LibraryView::History,
                };
                self.open_library(view);
            }
            Command::RestoreSession => self.restore_crashed(),
            Command::DismissRestore => self.session.crashed = None,
            Command::OpenPrivate => open_private_window(),
            Command::Suggest { text } => self.suggest(&text),
            Command::Find { text, match_case } => self.find(FindRequest::Search {
                query: text,
                match_case,
            }),
            Command::FindStep { forward } => self.find(FindRequest::Step { forward }),
            Command::FindClose => {
                self.find(FindRequest::Clear);
                self.set_focus(Focus::Content);
            }
            Command::Reader => self.read_tabs(assistant::Purpose::Reader, false),
            Command::StopAssistant => self.assistant.stop(),
            Command::Act { task } => self.start_task(task),
            Command::Approve { allow, always } => self.assistant.approve(allow, always),
            Command::Pause => self.assistant.pause(true),
            Command::Audit => self.open_audit(),
            Command::Resume => self.assistant.pause(false),
            Command::PauseClients => self.pause_clients(true),
            Command::ResumeClients => self.pause_clients(false),
            Command::Cite { source, passage } => self.show_citation(source, passage),
            Command::FocusContent => self.set_focus(Focus::Content),
            Command::SaveLogin => self.answer_login_offer(true, false),
            Command::NeverSaveLogin => self.answer_login_offer(false, true),
            Command::DismissLogin => self.answer_login_offer(false, false),
            Command::FillLogin => self.fill_login(),
            Command::Answer {
                accept,
                value,
                selected,
            } => self.answer(accept, value, selected),
        }
        self.refresh_chrome();
    }
}
