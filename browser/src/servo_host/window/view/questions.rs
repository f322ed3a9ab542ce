//! A page's dialogs (alert, confirm, prompt) and `<select>` lists, asked and answered in the pane.

use servo::{
    EmbedderControl, SelectElement, SelectElementOptionOrOptgroup, SimpleDialog, WebViewId,
};

use super::super::bridge::{Choice, Question};
use super::{Focus, Ui};

/// A page's dialog or `<select>` waiting for the user's answer in the pane. Dropping one
/// answers it with the safe default (cancel), so a replaced question never hangs the page.
pub(super) enum Pending {
    Dialog(SimpleDialog),
    Select(SelectElement),
}

impl Ui {
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
                }
            }
            EmbedderControl::SelectElement(select) => Question {
                kind: "select",
                message: String::new(),
                value: String::new(),
                options: choices(select),
            },
            // Other controls (colour and file pickers, context menus) are cancelled by dropping.
            _ => return,
        };
        tracing::info!(?from, kind = question.kind, "page asks the user");
        self.pending = match control {
            EmbedderControl::SimpleDialog(dialog) => Some(Pending::Dialog(dialog)),
            EmbedderControl::SelectElement(select) => Some(Pending::Select(select)),
            _ => None,
        };
        if !self.pane_open {
            self.pane_open = true;
            self.pane_opened_for_question = true;
            self.resize_views();
        }
        self.pane
            .evaluate_javascript(Question::render_script(Some(&question)), |_| {});
        // A dialog takes the keyboard; a `<select>` must keep the page focused, or the page
        // closes it and drops the answer.
        if !self.select_pending() {
            self.set_focus(Focus::Pane);
        }
        self.refresh_chrome();
    }

    /// The user's answer from the pane, handed to the waiting dialog or `<select>`.
    pub(super) fn answer(&mut self, accept: bool, value: Option<String>, selected: Vec<usize>) {
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
            Some(Pending::Select(_)) | None => {}
        }
        self.pane
            .evaluate_javascript(Question::render_script(None), |_| {});
        if std::mem::take(&mut self.pane_opened_for_question) {
            self.pane_open = false;
            self.resize_views();
        }
        self.set_focus(Focus::Content);
    }

    pub(super) fn select_pending(&self) -> bool {
        matches!(self.pending, Some(Pending::Select(_)))
    }
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
