//! The password manager in the window: after the user signs in by hand, offer to save the login
//! (never in a private window, never for a site the user or the organisation excluded); fill a
//! saved login on the user's request (Ctrl+Shift+L, or the key in the address bar); the
//! passwords page of the library (unlock, list, reveal, edit, delete, import, export).

use std::collections::HashMap;

use clef_profile::secrets::{PassphraseNeed, Secret, Secrets, StoreChoice, origin_of};
use serde::Deserialize;
use serde_json::json;
use servo::{WebView, WebViewId};

use super::super::bridge::{Choice, Question};
use super::library::LibraryView;
use super::{Focus, Ui};
use crate::servo_host::js;

const LOGINS_JS: &str = include_str!("../../../../../resources/ui/logins.js");
const FILL_LOGIN_JS: &str = include_str!("../../../../../resources/ui/fill_login.js");
const LOGIN_PREFIX: &str = "clef-login:";

/// The page script that reports logins the user sends (added to a profile window's pages).
pub(super) fn capture_script() -> &'static str {
    LOGINS_JS
}

#[derive(Deserialize)]
struct Reported {
    origin: String,
    username: String,
    password: String,
    /// The form's other password fields (a change form's current password).
    #[serde(default)]
    others: Vec<String>,
}

/// A login the chrome offers to save.
pub(in crate::servo_host::window) struct LoginOffer {
    origin: String,
    username: String,
    password: String,
    /// The site has this user name saved with another password.
    update: bool,
}

pub(in crate::servo_host::window) struct PasswordManager {
    profile_dir: std::path::PathBuf,
    choice: StoreChoice,
    settings: crate::config::Passwords,
    /// Whether this window saves logins (a private window never does).
    saving: bool,
    /// Opened on first use: the desktop's keyring may prompt or be slow to answer.
    secrets: Option<Result<Secrets, String>>,
    pub(super) offer: Option<LoginOffer>,
    /// A login to save once the user has unlocked (or created) the passwords file.
    pub(super) waiting: Option<LoginOffer>,
    /// The address the offer was made on: the keyboard goes to the offer once the tab shows
    /// another page.
    focus_after: Option<url::Url>,
    /// The login whose password the passwords page shows.
    pub(super) revealed: Option<(String, String)>,
    /// User name of the newest saved login per origin, for the key in the address bar.
    known: HashMap<String, Option<String>>,
}

impl PasswordManager {
    pub(super) fn new(options: &super::super::WindowOptions) -> Self {
        Self {
            profile_dir: options.secrets.profile_dir.clone(),
            choice: options.secrets.store,
            settings: options.passwords.clone(),
            saving: options.storage.is_some(),
            secrets: None,
            offer: None,
            waiting: None,
            revealed: None,
            focus_after: None,
            known: HashMap::new(),
        }
    }

    pub(super) fn store(&mut self) -> Result<&mut Secrets, String> {
        let opened = self.secrets.get_or_insert_with(|| {
            Secrets::open(&self.profile_dir, self.choice).map_err(|error| error.to_string())
        });
        opened.as_mut().map_err(|error| error.clone())
    }

    /// The user name shown on the key for `url`'s site, if a login is saved there.
    pub(super) fn saved_login(&mut self, url: &str) -> Option<String> {
        let origin = origin_of(url)?;
        if let Some(known) = self.known.get(&origin) {
            return known.clone();
        }
        let store = self.store().ok()?;
        if !store.unlocked() {
            return None;
        }
        let newest = store
            .logins(&origin)
            .ok()?
            .into_iter()
            .max_by_key(|login| login.created)
            .map(|login| login.username);
        let label = newest.map(|name| {
            if name.is_empty() {
                "saved login".to_owned()
            } else {
                name
            }
        });
        self.known.insert(origin, label.clone());
        label
    }

    pub(super) fn changed(&mut self) {
        self.known.clear();
    }

    /// The chrome's offer text, and whether it is an update.
    pub(super) fn offer_text(&self) -> Option<String> {
        let offer = self.offer.as_ref()?;
        let host = url::Url::parse(&offer.origin)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| offer.origin.clone());
        let who = if offer.username.is_empty() {
            String::new()
        } else {
            format!(" for {}", offer.username)
        };
        Some(if offer.update {
            format!("Update the saved password{who} on {host}?")
        } else {
            format!("Save the password{who} on {host}?")
        })
    }
}

impl Ui {
    /// A login a page reported as sent by the user; `true` when `message` was one (it is never
    /// logged: it holds a password).
    pub(super) fn login_message(&mut self, from: WebViewId, message: &str) -> bool {
        let Some(body) = message.strip_prefix(LOGIN_PREFIX) else {
            return false;
        };
        let Ok(reported) = serde_json::from_str::<Reported>(body) else {
            return true;
        };
        // Filed under the tab's own origin: the page's word for its origin is not trusted.
        let Some(tab) = self.tabs.iter().find(|tab| tab.webview.id() == from) else {
            return true;
        };
        let Some(origin) = tab.webview.url().and_then(|url| origin_of(url.as_str())) else {
            return true;
        };
        // A task the agent drives is not the user signing in by hand.
        let driven = self.delegate.is_driven(from);
        if origin != reported.origin || reported.password.is_empty() || driven {
            return true;
        }
        self.offer_login(
            origin,
            reported.username,
            reported.password,
            &reported.others,
        );
        true
    }

    fn offer_login(
        &mut self,
        origin: String,
        mut username: String,
        password: String,
        others: &[String],
    ) {
        let manager = &mut self.passwords;
        if !manager.saving || !manager.settings.offer_to_save {
            return;
        }
        let Some(host) = url::Url::parse(&origin)
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
        else {
            return;
        };
        let never = manager.settings.never_save.iter().any(|site| {
            let site = site.trim().trim_start_matches("*.").to_ascii_lowercase();
            host == site || host.ends_with(&format!(".{site}"))
        });
        if never || self.policies.passwords_allowed(&host).is_err() {
            return;
        }
        // Already saved as it is: nothing to offer. The same user with another password: an
        // update. A locked file store still offers (saving asks for the passphrase).
        let saved = match manager.store() {
            Ok(store) if store.unlocked() => store.logins(&origin).unwrap_or_default(),
            Ok(_) => Vec::new(),
            Err(error) => {
                tracing::warn!(%error, "no password store: no offer to save");
                return;
            }
        };
        // A password change names no user: the login whose password the form also held (the
        // current one) is the one that changes.
        if username.is_empty()
            && let Some(login) = saved.iter().find(|login| others.contains(&login.value))
        {
            username = login.username.clone();
        }
        if saved
            .iter()
            .any(|login| login.username == username && login.value == password)
        {
            return;
        }
        let update = saved.iter().any(|login| login.username == username);
        manager.offer = Some(LoginOffer {
            origin,
            username,
            password,
            update,
        });
        // The keyboard goes to the offer once the sign-in's page has loaded: taken now, it
        // would stop the Enter that is sending the form.
        self.passwords.focus_after = self.active_webview().and_then(WebView::url);
        self.refresh_chrome();
    }

    /// As other browsers' prompts do, the offer takes the keyboard (Enter saves, Esc leaves)
    /// when the page after the sign-in has loaded.
    pub(super) fn focus_login_offer(&mut self) {
        let Some(sent_from) = &self.passwords.focus_after else {
            return;
        };
        let arrived = self.tabs.get(self.active).is_some_and(|tab| {
            tab.webview.load_status() == servo::LoadStatus::Complete
                && tab.webview.url().as_ref() != Some(sent_from)
        });
        if !arrived || self.passwords.offer.is_none() {
            return;
        }
        self.passwords.focus_after = None;
        self.set_focus(Focus::Chrome);
        self.chrome
            .evaluate_javascript("window.clefFocusOffer && window.clefFocusOffer()", |_| {});
    }

    /// The chrome's answer to the offer: save, never for this site, or not now.
    pub(super) fn answer_login_offer(&mut self, save: bool, never: bool) {
        self.passwords.focus_after = None;
        let Some(offer) = self.passwords.offer.take() else {
            return;
        };
        self.set_focus(Focus::Content);
        if never {
            if let Ok(url) = url::Url::parse(&offer.origin)
                && let Some(host) = url.host_str()
            {
                self.passwords.settings.never_save.push(host.to_owned());
                let sites = self.passwords.settings.never_save.clone();
                let written = crate::config::Config::default_path()
                    .ok_or_else(|| "no config folder".to_owned())
                    .and_then(|path| {
                        crate::config::set_values(
                            &path,
                            "passwords",
                            &[(
                                "never_save",
                                toml_edit::value(toml_edit::Array::from_iter(sites)),
                            )],
                        )
                        .map_err(|error| error.to_string())
                    });
                if let Err(error) = written {
                    tracing::warn!(%error, "the never-save list was not written");
                }
            }
            return;
        }
        if save {
            self.save_login(offer);
            self.refresh_login_keys();
        }
    }

    pub(super) fn save_login(&mut self, offer: LoginOffer) {
        let manager = &mut self.passwords;
        let store = match manager.store() {
            Ok(store) => store,
            Err(error) => {
                self.say(format!("The login was not saved: {error}"));
                return;
            }
        };
        if store.needs_passphrase().is_some() {
            // Saved once the passwords page has the passphrase.
            manager.waiting = Some(offer);
            self.open_library(LibraryView::Passwords);
            return;
        }
        let result = store.save(Secret::login(
            &offer.origin,
            &offer.username,
            &offer.password,
        ));
        manager.changed();
        match result {
            Ok(()) => tracing::info!(origin = offer.origin, "login saved"),
            Err(error) => self.say(format!("The login was not saved: {error}")),
        }
    }

    /// Fill the newest saved login of the active page's site.
    pub(super) fn fill_login(&mut self) {
        let Some(webview) = self.active_webview().cloned() else {
            return;
        };
        // A tab a task or an MCP client drives: what the user types there by hand from the
        // store would be the driver's to read.
        if self.delegate.is_driven(webview.id()) {
            self.say(
                "A task or an MCP client drives this tab: fill the login in another tab."
                    .to_owned(),
            );
            return;
        }
        let Some(origin) = webview.url().and_then(|url| origin_of(url.as_str())) else {
            return;
        };
        let host = url::Url::parse(&origin)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        if let Err(error) = self.policies.passwords_allowed(&host) {
            self.say(error.to_string());
            return;
        }
        let login = match self.passwords.store() {
            Ok(store) if store.needs_passphrase() == Some(PassphraseNeed::Unlock) => {
                self.open_library(LibraryView::Passwords);
                return;
            }
            Ok(store) => store.logins(&origin).map_err(|error| error.to_string()),
            Err(error) => Err(error),
        };
        let mut logins = match login {
            Ok(logins) if logins.is_empty() => {
                self.say(format!("No login is saved for {host}."));
                return;
            }
            Ok(logins) => logins,
            Err(error) => {
                self.say(error);
                return;
            }
        };
        // Several accounts on one site: the user picks one in the pane, newest first.
        logins.sort_by_key(|login| std::cmp::Reverse(login.created));
        if logins.len() > 1 {
            self.choose_login(webview.id(), &host, logins);
            return;
        }
        self.fill_with(&webview, &logins[0]);
    }

    /// Ask in the pane which of the site's logins to fill.
    fn choose_login(&mut self, tab: WebViewId, host: &str, logins: Vec<Secret>) {
        let options = logins
            .iter()
            .enumerate()
            .map(|(id, login)| Choice {
                id,
                label: if login.username.is_empty() {
                    "(no user name)".to_owned()
                } else {
                    login.username.clone()
                },
                disabled: false,
                group: None,
            })
            .collect();
        let question = Question {
            kind: "select",
            message: format!("Fill which login on {host}?"),
            options,
            ..Question::default()
        };
        self.pending = Some(super::questions::Pending::Login(tab, logins));
        self.show_question(&question);
    }

    /// Fill `login` into the page of `webview` (the user chose it).
    pub(super) fn fill_chosen(&mut self, tab: WebViewId, login: &Secret) {
        if let Some(webview) = self
            .tabs
            .iter()
            .find(|candidate| candidate.webview.id() == tab)
            .map(|tab| tab.webview.clone())
        {
            self.fill_with(&webview, login);
        }
    }

    fn fill_with(&self, webview: &WebView, login: &Secret) {
        let fields = json!({ "username": login.username, "password": login.value });
        let script = FILL_LOGIN_JS.replace("__CLEF_LOGIN__", &fields.to_string());
        let later = self.later.clone();
        let chrome = self.chrome.clone();
        webview.evaluate_javascript(script, move |result| {
            let answer = result.map(js::to_json).unwrap_or_default();
            if answer.get("filled").and_then(serde_json::Value::as_bool) != Some(true) {
                let why = answer
                    .get("why")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("the login could not be filled")
                    .to_owned();
                let literal = serde_json::to_string(&why).unwrap_or_default();
                later.borrow_mut().push((
                    chrome,
                    format!("window.clefSay && window.clefSay({literal})"),
                ));
            }
        });
    }

    /// The key in the address bar follows what is saved.
    pub(super) fn refresh_login_keys(&mut self) {
        for tab in &mut self.tabs {
            tab.saved_login = tab
                .webview
                .url()
                .and_then(|url| self.passwords.saved_login(url.as_str()));
        }
        self.refresh_chrome();
    }

    /// A short message in the chrome.
    pub(super) fn say(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(%message, "said");
        let literal = serde_json::to_string(&message).unwrap_or_default();
        self.chrome.evaluate_javascript(
            format!("window.clefSay && window.clefSay({literal})"),
            |_| {},
        );
    }
}
