//! Clef's own pages in a tab: the history (Ctrl+H), the bookmarks and the settings. They are
//! one page (`resources/ui/library.html`) rendered from state the window sends, and they command
//! the window like the chrome does — only while the tab still shows that page.

use serde::Serialize;
use serde_json::json;
use servo::WebViewId;
use url::Url;

use super::{Ui, bridge};
use crate::servo_host::window::bridge::{LibraryCommand, SettingsForm};
use clef_profile::Transition;

const LIBRARY_HTML: &str = include_str!("../../../../../resources/ui/library.html");
/// How long the settings page reuses its scan of the model stores.
const MODELS_FOUND_FOR: std::time::Duration = std::time::Duration::from_secs(60);
/// Visits the history page lists at most.
const HISTORY_SHOWN: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(in crate::servo_host::window) enum LibraryView {
    History,
    Bookmarks,
    Settings,
    Passwords,
    Downloads,
}

impl LibraryView {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "history" => Some(Self::History),
            "bookmarks" => Some(Self::Bookmarks),
            "settings" => Some(Self::Settings),
            "passwords" => Some(Self::Passwords),
            "downloads" => Some(Self::Downloads),
            _ => None,
        }
    }
}

impl Ui {
    /// Show `view` in the library tab, opening one if none is open.
    pub(super) fn open_library(&mut self, view: LibraryView) {
        if view == LibraryView::Settings {
            self.models_found = None;
        }
        if let Some(index) = self
            .tabs
            .iter()
            .position(|tab| tab.shows_library().is_some())
        {
            if let Some((shown, _)) = &mut self.tabs[index].library {
                *shown = view;
            }
            self.switch_to(index);
            self.render_library(index);
            return;
        }
        let Ok(url) = Url::parse(&bridge::data_url(LIBRARY_HTML)) else {
            return;
        };
        let mut tab = self.new_tab(Some(url.clone()), None);
        tab.library = Some((view, url));
        self.add_tab(tab);
    }

    /// Send the library tab at `index` what its view shows.
    pub(super) fn render_library(&mut self, index: usize) {
        let Some(tab) = self.tabs.get(index) else {
            return;
        };
        let Some(view) = tab.shows_library() else {
            return;
        };
        let state = self.library_state(view);
        let Some(tab) = self.tabs.get(index) else {
            return;
        };
        let json = serde_json::to_string(&state).unwrap_or_else(|_| "null".to_owned());
        tab.webview.evaluate_javascript(
            format!("window.clefLibrary && window.clefLibrary({json})"),
            |_| {},
        );
    }

    fn library_state(&mut self, view: LibraryView) -> serde_json::Value {
        let private = self.places.is_none();
        let mut state = json!({ "view": view, "private": private });
        // Downloads and passwords do not need the profile's database.
        match view {
            LibraryView::Downloads => {
                state["private"] = json!(false);
                state["downloads"] = json!(self.downloads.list());
                state["download_dir"] = json!(self.downloads.dir().display().to_string());
                return state;
            }
            LibraryView::Passwords if !private => {
                state["passwords"] = self.passwords_state();
                return state;
            }
            _ => {}
        }
        let Some(places) = &self.places else {
            return state;
        };
        let store = places.store();
        match view {
            LibraryView::History => {
                let visits = store
                    .history(&self.library_query, HISTORY_SHOWN)
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, "history not read");
                        Vec::new()
                    });
                let entries: Vec<_> = visits
                    .iter()
                    .map(|visit| {
                        json!({
                            "url": visit.url,
                            "title": visit.title,
                            "when": crate::places::read_on(visit.last_visit),
                            "time": visit.last_visit,
                            "visits": visit.visit_count,
                            "how": visit.transition,
                        })
                    })
                    .collect();
                state["query"] = json!(self.library_query);
                state["entries"] = json!(entries);
                state["history"] = json!(places.keeps_history());
                state["memory"] = json!(places.keeps_memory());
                state["remembered"] = json!(store.remembered_pages().unwrap_or(0));
            }
            LibraryView::Bookmarks => {
                state["bookmarks"] = json!(store.bookmarks().unwrap_or_default());
            }
            LibraryView::Passwords | LibraryView::Downloads => {}
            LibraryView::Settings => {
                let config = crate::config::Config::load_default().unwrap_or_default();
                let managed_model = self.policies.managed_model().is_some();
                state["settings"] = json!({
                    "history": config.privacy.history,
                    "memory": config.privacy.memory,
                    "restore_session": config.privacy.restore_session,
                    "memory_exclude": config.privacy.memory_exclude,
                    "model_path": config.model.path.map(|path| path.display().to_string()),
                    "threads": config.model.threads,
                    "gpu_layers": config.model.gpu_layers,
                    "context": config.model.context,
                });
                state["managed"] = json!({
                    "history": self.policies.history().is_some(),
                    "memory": self.policies.memory().is_some(),
                    "model": managed_model,
                    "source": self.policies.source.as_ref().map(|source| source.display().to_string()),
                });
                // The stores are scanned (and allow-listed models hashed) when the page opens,
                // not on every render its commands cause.
                let fresh = self
                    .models_found
                    .as_ref()
                    .is_some_and(|(when, _)| when.elapsed() < MODELS_FOUND_FOR);
                if !fresh {
                    self.models_found =
                        Some((std::time::Instant::now(), found_models(&self.policies)));
                }
                let models = self.models_found.as_ref().map(|(_, models)| models.clone());
                state["models"] = json!(models.unwrap_or_default());
                state["profile"] =
                    json!(self.profile.as_ref().map(|p| p.dir().display().to_string()));
                state["config"] = json!(
                    crate::config::Config::default_path().map(|path| path.display().to_string())
                );
            }
        }
        state
    }

    /// A command from a tab: accepted only from a tab that shows the library page.
    pub(super) fn library_console(&mut self, from: WebViewId, message: &str) -> bool {
        let Some(index) = self.tabs.iter().position(|tab| tab.webview.id() == from) else {
            return false;
        };
        let Some(view) = self.tabs[index].shows_library() else {
            return false;
        };
        // Before the other commands: these carry passwords and are never logged whole.
        if let Some(command) = super::passwords_page::PasswordCommand::from_console(message) {
            tracing::debug!(?command, "passwords command");
            let said = self.password_command(command);
            self.render_library(index);
            if let Some(message) = said {
                self.library_said(index, &message);
            }
            return true;
        }
        if let Some(command) = super::downloads::DownloadCommand::from_console(message) {
            self.download_command(command);
            self.render_library(index);
            return true;
        }
        let Some(command) = LibraryCommand::from_console(message) else {
            tracing::debug!("library console: not a command");
            return true;
        };
        tracing::debug!(?command, "library command");
        let mut view = view;
        let mut said = None;
        match command {
            LibraryCommand::Show { view: next } => {
                if let Some(next) = LibraryView::parse(&next) {
                    view = next;
                }
            }
            LibraryCommand::SearchHistory { query } => self.library_query = query,
            LibraryCommand::Open { url } => {
                let transition = if view == LibraryView::Bookmarks {
                    Transition::Bookmark
                } else {
                    Transition::Link
                };
                self.open_tab(Some(&url), transition);
                return true;
            }
            command => said = self.change_places(command),
        }
        if let Some(tab) = self.tabs.get_mut(index)
            && let Some((shown, _)) = &mut tab.library
        {
            *shown = view;
        }
        self.render_library(index);
        if let Some(message) = said {
            self.library_said(index, &message);
        }
        true
    }

    fn library_said(&self, index: usize, message: &str) {
        if let Some(tab) = self.tabs.get(index) {
            let literal = serde_json::to_string(message).unwrap_or_default();
            tab.webview.evaluate_javascript(
                format!("window.clefLibrarySaid && window.clefLibrarySaid({literal})"),
                |_| {},
            );
        }
    }

    /// Commands that change what the profile holds; returns what to tell the user.
    fn change_places(&mut self, command: LibraryCommand) -> Option<String> {
        if let LibraryCommand::SaveSettings { settings } = command {
            return Some(self.save_settings(&settings));
        }
        if let LibraryCommand::ClearSiteData = command {
            return Some(self.clear_site_data());
        }
        let places = self.places.as_ref()?;
        let store = places.store();
        let now = clef_profile::now();
        let result = match command {
            LibraryCommand::DeleteVisit { url } => {
                // The page's saved copy goes with its history entry.
                if let (Some(cache), Ok(parsed)) = (&self.page_cache, url::Url::parse(&url)) {
                    cache.forget(&parsed);
                }
                store.delete_page(&url).map(|_| None)
            }
            LibraryCommand::ClearHistory { since } => {
                let since = match since.as_str() {
                    "hour" => now - 3_600,
                    "day" => now - 86_400,
                    _ => 0,
                };
                if let Some(cache) = &self.page_cache {
                    cache.forget_since(u64::try_from(since).unwrap_or(0));
                }
                store.clear_since(since).map(|pages| {
                    Some(format!(
                        "{pages} pages forgotten, with what memory kept of them."
                    ))
                })
            }
            LibraryCommand::RemoveBookmark { id } => store.remove_bookmark(id).map(|_| None),
            LibraryCommand::MoveBookmark { id, parent } => {
                store.move_bookmark(id, parent).map(|_| None)
            }
            LibraryCommand::AddFolder { title } => store
                .add_bookmark(&clef_profile::NewBookmark {
                    parent: None,
                    kind: clef_profile::BookmarkKind::Folder,
                    title,
                    url: None,
                    added: now,
                })
                .map(|_| None),
            LibraryCommand::ImportBookmarks { path } => {
                return Some(
                    match crate::places::import_bookmarks(store, path.as_ref()) {
                        Ok(report) => report,
                        Err(error) => error,
                    },
                );
            }
            LibraryCommand::ExportBookmarks { path } => {
                return Some(
                    match crate::places::export_bookmarks(store, path.as_ref()) {
                        Ok(report) => report,
                        Err(error) => error,
                    },
                );
            }
            _ => Ok(None),
        };
        let said = result.unwrap_or_else(|error| Some(error.to_string()));
        self.refresh_chrome();
        said
    }

    fn save_settings(&mut self, settings: &SettingsForm) -> String {
        let Some(path) = crate::config::Config::default_path() else {
            return "No config folder ($XDG_CONFIG_HOME or $HOME): settings not saved.".to_owned();
        };
        let model_before = crate::config::Config::load_default()
            .ok()
            .and_then(|config| config.model.path);
        let list = |items: &[String]| {
            let mut array = toml_edit::Array::new();
            for item in items
                .iter()
                .map(|item| item.trim())
                .filter(|item| !item.is_empty())
            {
                array.push(item);
            }
            toml_edit::value(array)
        };
        let mut privacy = vec![
            ("history", toml_edit::value(settings.history)),
            ("memory", toml_edit::value(settings.memory)),
            (
                "restore_session",
                toml_edit::value(settings.restore_session),
            ),
            ("memory_exclude", list(&settings.memory_exclude)),
        ];
        // What the organisation sets stays as it is.
        if self.policies.history().is_some() {
            privacy.retain(|(key, _)| *key != "history");
        }
        if self.policies.memory().is_some() {
            privacy.retain(|(key, _)| *key != "memory");
        }
        let mut model = Vec::new();
        if self.policies.managed_model().is_none() {
            let path_text = settings.model_path.trim();
            if !path_text.is_empty() {
                model.push(("path", toml_edit::value(path_text)));
            }
        }
        for (key, value) in [
            ("threads", settings.threads.map(i64::from)),
            ("gpu_layers", settings.gpu_layers.map(i64::from)),
            ("context", settings.context.map(i64::from)),
        ] {
            if let Some(value) = value {
                model.push((key, toml_edit::value(value)));
            }
        }
        let saved = crate::config::set_values(&path, "privacy", &privacy)
            .and_then(|()| crate::config::set_values(&path, "model", &model));
        if let Err(error) = saved {
            return format!("Not saved: {error}");
        }
        let chosen = settings.model_path.trim();
        let switched = if !chosen.is_empty()
            && model_before.as_deref() != Some(std::path::Path::new(chosen))
            && self.policies.managed_model().is_none()
        {
            match crate::assistant::options_for(std::path::Path::new(chosen), &self.policies) {
                Ok(options) => {
                    self.assistant
                        .submit(crate::assistant::AssistantJob::UseModel { options });
                    " The assistant is loading the model you chose (the pane says when it is ready)."
                        .to_owned()
                }
                Err(why) => format!(" The model was not loaded: {why}"),
            }
        } else {
            String::new()
        };
        format!(
            "Saved in {}. History and memory settings apply from the next start.{switched}",
            path.display()
        )
    }

    fn clear_site_data(&mut self) -> String {
        let manager = self.servo.site_data_manager();
        let sites: Vec<String> = [
            servo::StorageType::Cookies,
            servo::StorageType::Local,
            servo::StorageType::Session,
        ]
        .into_iter()
        .flat_map(|kind| manager.site_data(kind))
        .map(|site| site.name().to_owned())
        .collect();
        let names: Vec<&str> = sites.iter().map(String::as_str).collect();
        manager.clear_cookies(None);
        manager.clear_site_data(&names, servo::StorageType::Local);
        manager.clear_site_data(&names, servo::StorageType::Session);
        if let Some(cookies) = &mut self.cookies {
            cookies.flush(&self.servo);
        }
        format!("Cookies and site data of {} sites cleared.", names.len())
    }
}

/// The models on this machine for the settings page's picker: what each is, whether it fits
/// and whether the organisation allows it (by its pinned path or allow-list).
fn found_models(policies: &crate::policies::Policies) -> Vec<serde_json::Value> {
    let home = dirs::home_dir().unwrap_or_default();
    let found = crate::model_discovery::discover(&home, &|name| std::env::var_os(name));
    let memory = crate::model_discovery::available_memory();
    found
        .models
        .iter()
        .map(|model| {
            let allowed = policies
                .choose_model(Some(model.path.clone()))
                .is_ok_and(|chosen| chosen.as_deref() == Some(model.path.as_path()))
                && crate::policies::check_model(policies, &model.path).is_ok();
            json!({
                "label": model.label,
                "source": model.source,
                "path": model.path.display().to_string(),
                "size": format!("{:.1} GB", model.size as f64 / 1e9),
                "fits": memory.is_none_or(|memory| crate::model_discovery::fits(model.size, memory)),
                "allowed": allowed,
            })
        })
        .collect()
}
