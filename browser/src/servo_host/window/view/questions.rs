//! A page's dialogs (alert, confirm, prompt), `<select>` lists, colour and file pickers, asked
//! and answered in the pane.

use std::path::PathBuf;

use servo::{
    ColorPicker, ContextMenu, ContextMenuAction, ContextMenuItem, EmbedderControl, FilePicker,
    RgbColor, SelectElement, SelectElementOptionOrOptgroup, SimpleDialog, WebViewId,
};

use super::super::bridge::{Choice, DateField, Question};
use super::{Focus, Ui};

/// A page's dialog or `<select>` waiting for the user's answer in the pane. Dropping one
/// answers it with the safe default (cancel), so a replaced question never hangs the page.
pub(super) enum Pending {
    /// A date or time input of this tab (Servo 0.7 has no picker of its own for them).
    Date(WebViewId),
    /// Which of a site's saved logins to fill in this tab.
    Login(WebViewId, Vec<clef_profile::secrets::Secret>),
    Dialog(SimpleDialog),
    Select(SelectElement),
    Color(ColorPicker),
    File(FilePicker),
    /// A page's context menu: Servo's entries, then Clef's own.
    Menu(ContextMenu, Vec<MenuChoice>),
}

/// What a context menu entry does.
#[derive(Debug, Clone)]
pub(super) enum MenuChoice {
    Servo(ContextMenuAction),
    /// Ask the assistant about the text selected in the page.
    AskAboutSelection,
    /// Download what a link or an image points to.
    Save(url::Url),
}

/// The events a picked colour fires on its input, as the standard says (`input`, `change`).
const COLOUR_EVENTS_JS: &str = "(() => { const input = document.activeElement; \
    if (input && input.tagName === 'INPUT' && input.type === 'color') { \
      input.dispatchEvent(new Event('input', { bubbles: true })); \
      input.dispatchEvent(new Event('change', { bubbles: true })); } })()";

/// Read the page's selection for the pane's question field.
const SELECTION_JS: &str = "String(window.getSelection ? window.getSelection() : '').trim()";

const DATES_JS: &str = include_str!("../../../../../resources/ui/dates.js");
const DATE_PREFIX: &str = "clef-date:";

/// The page script that asks for Clef's date picker when a date or time input is clicked.
pub(super) fn date_script() -> &'static str {
    DATES_JS
}

impl Ui {
    /// A page's date or time input was clicked: Clef's picker in the pane. `true` when `message`
    /// was that request.
    pub(super) fn date_message(&mut self, from: WebViewId, message: &str) -> bool {
        let Some(body) = message.strip_prefix(DATE_PREFIX) else {
            return false;
        };
        let Ok(field) = serde_json::from_str::<DateField>(body) else {
            return true;
        };
        if !matches!(
            field.input_type.as_str(),
            "date" | "time" | "datetime-local" | "month" | "week"
        ) {
            return true;
        }
        let message = match field.input_type.as_str() {
            "time" => "Choose a time",
            "month" => "Choose a month",
            "week" => "Choose a week",
            _ => "Choose a date",
        };
        let question = Question {
            kind: "date",
            message: message.to_owned(),
            value: field.value.clone(),
            date: Some(field),
            ..Question::default()
        };
        self.pending = Some(Pending::Date(from));
        self.show_question(&question);
        true
    }

    /// Show Clef's own question in the pane (opened for it if closed), with the keyboard.
    pub(super) fn show_question(&mut self, question: &Question) {
        if !self.pane_open {
            self.pane_open = true;
            self.pane_opened_for_question = true;
            self.resize_views();
        }
        self.pane
            .evaluate_javascript(Question::render_script(Some(question)), |_| {});
        self.set_focus(Focus::Pane);
        self.refresh_chrome();
    }

    /// Show a page's dialog or `<select>` in the pane and wait for the user.
    pub(super) fn ask(&mut self, from: WebViewId, control: EmbedderControl) {
        let question = match &control {
            EmbedderControl::SimpleDialog(dialog) => {
                let (kind, message, value) = match dialog {
                    SimpleDialog::Alert(alert) => ("alert", alert.message(), ""),
                    SimpleDialog::Confirm(confirm) => ("confirm", confirm.message(), ""),
                    SimpleDialog::Prompt(prompt) => {
                        ("prompt", prompt.message(), prompt.current_value())
                    }
                };
                Question {
                    kind,
                    message: message.to_owned(),
                    value: value.to_owned(),
                    options: Vec::new(),
                    multiple: false,
                    ..Question::default()
                }
            }
            EmbedderControl::SelectElement(select) => Question {
                kind: "select",
                message: String::new(),
                value: String::new(),
                options: choices(select),
                multiple: false,
                ..Question::default()
            },
            EmbedderControl::ColorPicker(picker) => Question {
                kind: "color",
                message: "Choose a colour".to_owned(),
                value: picker.current_color().map(hex).unwrap_or_default(),
                options: Vec::new(),
                multiple: false,
                ..Question::default()
            },
            EmbedderControl::FilePicker(picker) => {
                let filters: Vec<String> = picker
                    .filter_patterns()
                    .iter()
                    .map(|filter| filter.0.clone())
                    .collect();
                Question {
                    kind: "file",
                    message: if filters.is_empty() {
                        "Give the page a file: its full path".to_owned()
                    } else {
                        format!(
                            "Give the page a file ({}): its full path",
                            filters.join(", ")
                        )
                    },
                    value: String::new(),
                    options: Vec::new(),
                    multiple: picker.allow_select_multiple(),
                    ..Question::default()
                }
            }
            EmbedderControl::ContextMenu(menu) => {
                let mut options = Vec::new();
                for item in menu.items() {
                    if let ContextMenuItem::Item { label, enabled, .. } = item {
                        options.push(Choice {
                            id: options.len(),
                            label: label.clone(),
                            disabled: !enabled,
                            group: None,
                        });
                    }
                }
                for (label, _) in saves(menu) {
                    options.push(Choice {
                        id: options.len(),
                        label: label.to_owned(),
                        disabled: false,
                        group: None,
                    });
                }
                options.push(Choice {
                    id: options.len(),
                    label: "Ask the assistant about the selection".to_owned(),
                    disabled: false,
                    group: None,
                });
                let about = menu
                    .element_info()
                    .link_url
                    .as_ref()
                    .or(menu.element_info().image_url.as_ref())
                    .map(|url| url.to_string())
                    .unwrap_or_default();
                Question {
                    kind: "menu",
                    message: about,
                    value: String::new(),
                    options,
                    multiple: false,
                    ..Question::default()
                }
            }
            // Input methods are cancelled by dropping.
            _ => return,
        };
        tracing::info!(?from, kind = question.kind, "page asks the user");
        self.pending = match control {
            EmbedderControl::SimpleDialog(dialog) => Some(Pending::Dialog(dialog)),
            EmbedderControl::SelectElement(select) => Some(Pending::Select(select)),
            EmbedderControl::ColorPicker(picker) => Some(Pending::Color(picker)),
            EmbedderControl::FilePicker(picker) => Some(Pending::File(picker)),
            EmbedderControl::ContextMenu(menu) => {
                let mut choices: Vec<MenuChoice> = menu
                    .items()
                    .iter()
                    .filter_map(|item| match item {
                        ContextMenuItem::Item { action, .. } => Some(MenuChoice::Servo(*action)),
                        ContextMenuItem::Separator => None,
                    })
                    .collect();
                choices.extend(
                    saves(&menu)
                        .into_iter()
                        .map(|(_, url)| MenuChoice::Save(url)),
                );
                choices.push(MenuChoice::AskAboutSelection);
                Some(Pending::Menu(menu, choices))
            }
            _ => None,
        };
        if !self.pane_open {
            self.pane_open = true;
            self.pane_opened_for_question = true;
            self.resize_views();
        }
        self.pane
            .evaluate_javascript(Question::render_script(Some(&question)), |_| {});
        // A dialog takes the keyboard. A `<select>` or picker must keep the page focused, or
        // the page closes it and drops the answer: a picker's keys go to the pane while Servo
        // still sees the page focused.
        if matches!(self.pending, Some(Pending::Color(_) | Pending::File(_))) {
            self.focus = Focus::Pane;
        } else if !self.select_pending() {
            self.set_focus(Focus::Pane);
        }
        self.refresh_chrome();
    }

    /// The user's answer from the pane, handed to the waiting dialog or `<select>`.
    pub(super) fn answer(&mut self, accept: bool, value: Option<String>, selected: Vec<usize>) {
        let mut about_selection = false;
        match self.pending.take() {
            Some(Pending::Dialog(SimpleDialog::Alert(alert))) => alert.confirm(),
            Some(Pending::Dialog(SimpleDialog::Confirm(confirm))) if accept => confirm.confirm(),
            Some(Pending::Dialog(SimpleDialog::Confirm(confirm))) => confirm.dismiss(),
            Some(Pending::Dialog(SimpleDialog::Prompt(mut prompt))) if accept => {
                prompt.set_current_value(value.as_deref().unwrap_or_default());
                prompt.confirm();
            }
            Some(Pending::Dialog(SimpleDialog::Prompt(prompt))) => prompt.dismiss(),
            Some(Pending::Select(mut select)) if accept => {
                select.select(selected);
                select.submit();
            }
            Some(Pending::Color(mut picker)) if accept => {
                if let Some(color) = value.as_deref().and_then(parse_hex) {
                    picker.select(Some(color));
                }
                picker.submit();
                // Servo 0.7 sets the value and fires no event; pages listen for them.
                if let Some(webview) = self.active_webview() {
                    webview.evaluate_javascript(COLOUR_EVENTS_JS, |_| {});
                }
            }
            Some(Pending::File(mut picker)) if accept => {
                // Only files that exist, named by the user: the page gets their content.
                let (found, missing): (Vec<PathBuf>, Vec<PathBuf>) = value
                    .as_deref()
                    .unwrap_or_default()
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(PathBuf::from)
                    .partition(|path| path.is_absolute() && path.is_file());
                if !missing.is_empty() {
                    let names: Vec<String> = missing
                        .iter()
                        .map(|path| path.display().to_string())
                        .collect();
                    self.pane_event(&crate::assistant::AssistantEvent::Error {
                        message: format!(
                            "Not given to the page (no such file, or not a full path): {}",
                            names.join(", ")
                        ),
                    });
                }
                let keep = if picker.allow_select_multiple() {
                    found.len()
                } else {
                    found.len().min(1)
                };
                if keep == 0 {
                    picker.dismiss();
                } else {
                    picker.select(&found[..keep]);
                    picker.submit();
                }
            }
            Some(Pending::File(picker)) => picker.dismiss(),
            Some(Pending::Menu(menu, choices)) => {
                let chosen = selected
                    .first()
                    .and_then(|index| choices.get(*index))
                    .filter(|_| accept);
                match chosen {
                    Some(MenuChoice::Servo(action)) => menu.select(*action),
                    Some(MenuChoice::Save(url)) => {
                        let url = url.clone();
                        menu.dismiss();
                        let referrer = self
                            .active_webview()
                            .and_then(|view| view.url())
                            .map(String::from);
                        self.download(url, None, referrer);
                    }
                    Some(MenuChoice::AskAboutSelection) => {
                        menu.dismiss();
                        about_selection = true;
                    }
                    None => menu.dismiss(),
                }
            }
            Some(Pending::Date(id)) if accept => {
                // The value goes back through the page script that asked, which fires the
                // input's `input` and `change` events as typing would.
                let literal = serde_json::to_string(&value.unwrap_or_default())
                    .unwrap_or_else(|_| "\"\"".to_owned());
                if let Some(tab) = self.tabs.iter().find(|tab| tab.webview.id() == id) {
                    tab.webview.evaluate_javascript(
                        format!("window.__clefSetDate && window.__clefSetDate({literal})"),
                        |_| {},
                    );
                }
            }
            Some(Pending::Login(tab, logins)) if accept => {
                if let Some(login) = selected.first().and_then(|index| logins.get(*index)) {
                    self.fill_chosen(tab, login);
                }
            }
            Some(
                Pending::Select(_) | Pending::Color(_) | Pending::Date(_) | Pending::Login(..),
            )
            | None => {}
        }
        self.pane
            .evaluate_javascript(Question::render_script(None), |_| {});
        if about_selection {
            // The pane stays open, its question field ready.
            self.pane_opened_for_question = false;
            self.ask_about_selection();
            return;
        }
        if std::mem::take(&mut self.pane_opened_for_question) {
            self.pane_open = false;
            self.resize_views();
        }
        self.set_focus(Focus::Content);
    }

    /// A `<select>`, picker or context menu waits: the page keeps Servo's focus while the pane
    /// answers.
    pub(super) fn select_pending(&self) -> bool {
        matches!(
            self.pending,
            Some(Pending::Select(_) | Pending::Color(_) | Pending::File(_) | Pending::Menu(..))
        )
    }

    /// The page's selected text goes into the pane's question field, to ask about.
    fn ask_about_selection(&mut self) {
        let Some(webview) = self.active_webview() else {
            return;
        };
        let pane = self.pane.clone();
        let later = self.later.clone();
        webview.evaluate_javascript(SELECTION_JS, move |result| {
            let selection = match result {
                Ok(servo::JSValue::String(text)) => text,
                _ => String::new(),
            };
            let literal = serde_json::to_string(&selection).unwrap_or_else(|_| "\"\"".to_owned());
            later.borrow_mut().push((
                pane,
                format!("window.clefAssistant && window.clefAssistant.about({literal})"),
            ));
        });
        self.pane_open = true;
        self.resize_views();
        self.set_focus(Focus::Pane);
    }
}

/// `#rrggbb`, as `<input type=color>` writes colours.
/// Clef's own "save" entries of a context menu: the image, the link's target.
fn saves(menu: &ContextMenu) -> Vec<(&'static str, url::Url)> {
    let info = menu.element_info();
    let mut saves = Vec::new();
    for (label, url) in [
        ("Save image", &info.image_url),
        ("Save linked file", &info.link_url),
    ] {
        if let Some(url) = url
            .as_ref()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
        {
            saves.push((label, url.clone()));
        }
    }
    saves
}

fn hex(color: RgbColor) -> String {
    format!("#{:02x}{:02x}{:02x}", color.red, color.green, color.blue)
}

/// A colour the user typed or picked: `#rrggbb` (or `rrggbb`).
fn parse_hex(text: &str) -> Option<RgbColor> {
    let digits = text.trim().trim_start_matches('#');
    if digits.len() != 6 || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(digits.get(at..at + 2)?, 16).ok();
    Some(RgbColor {
        red: channel(0)?,
        green: channel(2)?,
        blue: channel(4)?,
    })
}

/// The options of a `<select>`, flattened in document order (Servo answers by that index),
/// each group's label on its first option.
fn choices(select: &SelectElement) -> Vec<Choice> {
    let mut choices = Vec::new();
    let mut push = |option: &servo::SelectElementOption, group: Option<String>| {
        choices.push(Choice {
            id: choices.len(),
            label: option.label.clone(),
            disabled: option.is_disabled,
            group,
        });
    };
    for entry in select.options() {
        match entry {
            SelectElementOptionOrOptgroup::Option(option) => push(option, None),
            SelectElementOptionOrOptgroup::Optgroup { label, options } => {
                for (index, option) in options.iter().enumerate() {
                    push(option, (index == 0).then(|| label.clone()));
                }
            }
        }
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_round_trip_as_hex() {
        let color = parse_hex(" #1A2b3C ").unwrap();
        assert_eq!((color.red, color.green, color.blue), (0x1a, 0x2b, 0x3c));
        assert_eq!(hex(color), "#1a2b3c");
        assert!(parse_hex("#12345").is_none() && parse_hex("zzzzzz").is_none());
    }
}
