//! Narrowing the choice before the model sees it: each element of the snapshot becomes at most
//! one concrete action (with its value already chosen from the task, the profile or a secret
//! placeholder), scored by how well it matches the task; the model then picks among a few.

use crate::forms::{self, Field, FieldKind};
use crate::question::terms;
use crate::snapshot::{Node, Snapshot};

use super::action::Action;
use super::task::Task;

#[derive(Debug, Clone)]
pub struct Candidate {
    pub action: Action,
    /// What the model reads: the action and the element's role and name.
    pub description: String,
    pub score: f64,
    /// Whether the step does something the task asked for (a value it gave, an element it
    /// named), as opposed to a generic next step (a submit button, a next page).
    pub on_task: bool,
}

/// What earlier steps did, so that finished or refused steps are not offered again.
#[derive(Debug, Clone, Default)]
pub struct Done {
    pub actions: Vec<(String, Action)>,
    pub refused: Vec<Action>,
    /// Some step so far did what the task asked for.
    pub on_task: bool,
    /// The last step was refused: the task is blocked unless another way appears.
    pub blocked: bool,
    /// Labels and values of what was typed, chosen and clicked, to see which of the task's
    /// values have been used.
    pub touched: Vec<String>,
}

impl Done {
    pub fn used_value(&self, value: &str) -> bool {
        let value = value.to_lowercase();
        self.touched
            .iter()
            .any(|text| text.to_lowercase().contains(&value))
    }

    fn already(&self, url: &str, action: &Action) -> bool {
        self.refused.contains(action)
            || self
                .actions
                .iter()
                .any(|(at, done)| at == url && done == action)
    }
}

/// The classifier's view of a snapshot node.
pub fn field_of(node: &Node) -> Field {
    Field {
        tag: match node.input_type.as_deref() {
            Some("textarea") => "textarea".into(),
            None if node.kind == "combobox" || node.kind == "listbox" => "select".into(),
            _ => "input".into(),
        },
        input_type: node.input_type.clone().unwrap_or_else(|| "text".into()),
        name: node.field_name.clone().unwrap_or_default(),
        id: node.field_id.clone().unwrap_or_default(),
        autocomplete: node.autocomplete.clone().unwrap_or_default(),
        placeholder: node.placeholder.clone().unwrap_or_default(),
        label: node.label().to_owned(),
        options: node.options.clone(),
        ..Field::default()
    }
}

/// The kinds of the snapshot's fields, classified together as one form.
pub fn field_kinds(snapshot: &Snapshot) -> Vec<(u64, FieldKind)> {
    let fields: Vec<(u64, Field)> = snapshot
        .nodes
        .iter()
        .filter(|node| {
            matches!(
                node.kind.as_str(),
                "textbox" | "searchbox" | "spinbutton" | "combobox" | "listbox"
            )
        })
        .filter_map(|node| node.id.map(|id| (id, field_of(node))))
        .collect();
    let submit = snapshot
        .nodes
        .iter()
        .filter(|node| node.submits)
        .map(|node| node.label().to_owned())
        .next()
        .unwrap_or_default();
    let plain: Vec<Field> = fields.iter().map(|(_, field)| field.clone()).collect();
    let kinds = forms::classify_form(&plain, &snapshot.title, &submit);
    fields.iter().map(|(id, _)| *id).zip(kinds).collect()
}

fn words_of(node: &Node) -> Vec<String> {
    let mut text = node.label().to_owned();
    // An element with no name is known by its picture, id, class and the text around it.
    let unnamed = [&node.icon, &node.id_hint, &node.class_hint, &node.context];
    let unnamed = unnamed
        .into_iter()
        .filter(|_| node.label().trim().is_empty());
    for extra in [&node.placeholder, &node.field_name, &node.field_id]
        .into_iter()
        .chain(unnamed)
        .flatten()
    {
        text.push(' ');
        text.push_str(extra);
    }
    terms(&forms::normalize(&text))
}

/// Words that ask for saved data in general ("fill in my details", « mes coordonnées »); a
/// bare "my" does not ("with my email" names the one field it wants).
const SAVED_WORDS: &[&str] = &[
    "saved",
    "profile",
    "details",
    "stored",
    "usual",
    "profil",
    "enregistré",
    "enregistrée",
    "enregistrées",
    "enregistrés",
    "coordonnées",
    "informations",
];

/// Whether the task asks for saved data of `kind` in the field `node`: a secret where the
/// field asks for one, a profile value where the task names the field or asks for saved data in
/// general. Anything else is left for the user: a task that says "subscribe with my email"
/// does not give away the phone number.
pub fn task_wants_saved(task: &Task, node: &Node, kind: FieldKind) -> bool {
    wants_saved(task, &words_of(node), kind)
}

/// `task_wants_saved` for a field whose words are already gathered.
fn wants_saved(task: &Task, words: &[String], kind: FieldKind) -> bool {
    kind.is_secret() || mentions(&task.text, SAVED_WORDS) || task.overlap(words) > 0
}
const DISMISS: &[&str] = &[
    "dismiss",
    "close",
    "accept",
    "ok",
    "got it",
    "no thanks",
    "agree",
    "continue",
];
const SUBMIT: &[&str] = &[
    "submit", "sign in", "log in", "login", "search", "continue", "next", "send", "save",
    "register", "sign up", "go", "create", "confirm", "apply", "book",
];
const ORDINALS: &[(&str, usize)] = &[
    ("first", 1),
    ("1st", 1),
    ("second", 2),
    ("2nd", 2),
    ("third", 3),
    ("3rd", 3),
    ("fourth", 4),
    ("4th", 4),
    ("fifth", 5),
    ("5th", 5),
    ("sixth", 6),
    ("6th", 6),
];

fn mentions(text: &str, phrases: &[&str]) -> bool {
    // Words only: "coordonnées," and "(saved)" count.
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let text = format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    phrases
        .iter()
        .any(|phrase| text.contains(&format!(" {phrase} ")))
}

/// The value to type into a field of `kind` labelled by `words`, if the task or profile gives one.
fn value_for(
    task: &Task,
    words: &[String],
    kind: FieldKind,
    has_saved: &dyn Fn(FieldKind) -> bool,
) -> Option<(String, f64)> {
    if let Some(value) = task.value_for(words, kind) {
        return Some((value, 3.0));
    }
    let placeholder = kind.placeholder()?;
    (wants_saved(task, words, kind) && has_saved(kind)).then(|| (placeholder.to_owned(), 2.0))
}

/// Ranked candidate actions for the next step.
pub fn candidates(
    snapshot: &Snapshot,
    task: &Task,
    done: &Done,
    has_saved: &dyn Fn(FieldKind) -> bool,
) -> Vec<Candidate> {
    let kinds = field_kinds(snapshot);
    let kind_of = |id: u64| {
        kinds
            .iter()
            .find(|(node, _)| *node == id)
            .map(|(_, kind)| *kind)
            .unwrap_or(FieldKind::Other)
    };
    let dialog_open = snapshot.nodes.iter().any(|node| node.in_dialog);
    let mut fills = Vec::new();
    let mut clicks = Vec::new();
    for node in &snapshot.nodes {
        let Some(id) = node.id else { continue };
        if node.disabled {
            continue;
        }
        let words = words_of(node);
        let overlap = task.overlap(&words) as f64;
        let name = format!("{} \"{}\"", node.kind, node.label());
        let candidate = |action: Action, score: f64| Candidate {
            description: action.describe(&name),
            action,
            score,
            on_task: overlap > 0.0,
        };
        match node.kind.as_str() {
            "textbox" | "searchbox" | "spinbutton" => {
                let kind = kind_of(id);
                // A quoted value no field's label claims may go into an empty field: the page
                // decides nothing here, so every such field is an equal candidate.
                let unclaimed = || {
                    let empty = node.value.as_deref().is_none_or(str::is_empty);
                    task.quoted
                        .iter()
                        .find(|value| empty && !done.used_value(value))
                        .map(|value| (value.clone(), 1.0))
                };
                let Some((value, strength)) =
                    value_for(task, &words, kind, has_saved).or_else(unclaimed)
                else {
                    continue;
                };
                let filled = node.value.as_deref().is_some_and(|current| {
                    current == value || (value.starts_with("{{") && !current.is_empty())
                });
                let action = Action::Type {
                    element: id,
                    text: value,
                };
                if !filled && !done.already(&snapshot.url, &action) {
                    let mut fill = candidate(action, 3.0 + overlap + strength);
                    fill.on_task = true;
                    fills.push(fill);
                }
            }
            "combobox" | "listbox" => {
                // A value the task gives wins over an option that merely shares a word.
                let current = node.value.as_deref().unwrap_or("");
                if task
                    .values
                    .iter()
                    .any(|value| value.eq_ignore_ascii_case(current))
                {
                    continue;
                }
                let placeholder = |option: &String| {
                    let lower = option.to_lowercase();
                    lower.is_empty()
                        || lower.starts_with("choose")
                        || lower.starts_with("select")
                        || lower.starts_with("--")
                        || lower.starts_with("please")
                };
                let wanted = node
                    .options
                    .iter()
                    .filter(|option| option.as_str() != current)
                    .find(|option| {
                        task.values
                            .iter()
                            .any(|value| value.eq_ignore_ascii_case(option))
                    })
                    .or_else(|| {
                        node.options
                            .iter()
                            .filter(|option| option.as_str() != current && !placeholder(option))
                            .find(|option| {
                                let option_words = terms(option);
                                !option_words.is_empty()
                                    && option_words.iter().all(|word| task.words.contains(word))
                            })
                    });
                if let Some(option) = wanted {
                    let action = Action::Select {
                        element: id,
                        option: option.clone(),
                    };
                    if node.value.as_deref() != Some(option.as_str())
                        && !done.already(&snapshot.url, &action)
                    {
                        let mut fill = candidate(action, 5.0 + overlap);
                        fill.on_task = true;
                        fills.push(fill);
                    }
                }
            }
            "checkbox" | "radio" | "switch" => {
                // A radio counts only by the words that set it apart from its group ("premium"
                // in "Premium plan" beside "Basic plan"), and only the best of the group.
                let overlap = if node.kind == "radio" {
                    let group: Vec<&Node> = snapshot
                        .nodes
                        .iter()
                        .filter(|other| {
                            other.kind == "radio" && other.field_name == node.field_name
                        })
                        .collect();
                    let distinct = |radio: &Node| -> f64 {
                        let shared = |word: &String| {
                            group.iter().all(|other| words_of(other).contains(word))
                        };
                        task.overlap(
                            &words_of(radio)
                                .into_iter()
                                .filter(|word| !shared(word))
                                .collect::<Vec<_>>(),
                        ) as f64
                    };
                    let mine = distinct(node);
                    if group
                        .iter()
                        .any(|other| other.id != node.id && distinct(other) >= mine)
                    {
                        0.0
                    } else {
                        mine
                    }
                } else {
                    overlap
                };
                if overlap == 0.0 {
                    continue;
                }
                let negated = mentions(&task.text, &["untick", "uncheck", "no", "not", "without"])
                    && words.iter().any(|word| {
                        let lower = task.text.to_lowercase();
                        ["untick ", "uncheck ", "no ", "not ", "without "]
                            .iter()
                            .any(|neg| {
                                lower.contains(&format!("{neg}{word}"))
                                    || lower.contains(&format!("{neg}the {word}"))
                            })
                    });
                let wanted = !negated;
                let action = Action::Check {
                    element: id,
                    checked: wanted,
                };
                if node.checked != Some(wanted) && !done.already(&snapshot.url, &action) {
                    fills.push(candidate(action, 4.0 + 2.0 * overlap));
                }
            }
            "button" | "link" | "tab" | "menuitem" | "clickable" => {
                let action = Action::Click { element: id };
                if done.already(&snapshot.url, &action) {
                    continue;
                }
                let label = node.label().to_lowercase();
                if task
                    .stop_before
                    .iter()
                    .any(|word| terms(&label).contains(word))
                    || (!task.stop_before.is_empty()
                        && mentions(&label, &["pay", "buy", "purchase", "place order"]))
                {
                    // The user asked to stop before this step.
                    continue;
                }
                let mut score = 2.0 * overlap;
                // The task names this element by its very label ("click the \"No\" button").
                let shown = if node.label().trim().is_empty() {
                    node.icon.as_deref().unwrap_or_default()
                } else {
                    node.label()
                };
                if !shown.trim().is_empty()
                    && task
                        .quoted
                        .iter()
                        .any(|value| value.trim().eq_ignore_ascii_case(shown.trim()))
                {
                    score += 6.0;
                }
                if node.submits || mentions(&label, SUBMIT) {
                    score += 1.0;
                }
                if dialog_open && node.in_dialog && mentions(&label, DISMISS) {
                    score += 6.0;
                }
                clicks.push((node, candidate(action, score)));
            }
            _ => {}
        }
    }
    // Once nothing is left to fill, the form's submit button is the next step.
    if fills.is_empty() {
        for (node, candidate) in &mut clicks {
            if node.submits {
                candidate.score += 3.0;
            }
        }
    }
    // "Open the second result": the n-th link with a title-like name.
    if let Some((_, n)) = ORDINALS
        .iter()
        .find(|(word, _)| mentions(&task.text, &[word]))
        && task.words.iter().any(|word| {
            word.starts_with("result") || word.starts_with("link") || word.starts_with("item")
        })
    {
        {
            let results: Vec<usize> = clicks
                .iter()
                .enumerate()
                .filter(|(_, (node, _))| {
                    node.kind == "link" && node.label().split_whitespace().count() >= 2
                })
                .map(|(index, _)| index)
                .collect();
            if let Some(&index) = results.get(n - 1) {
                clicks[index].1.score += 8.0;
                clicks[index].1.on_task = true;
            }
        }
    }
    // Nothing on this page matches the task: the next page of a list may.
    let best_overlap = clicks
        .iter()
        .map(|(_, candidate)| candidate.score)
        .fold(0.0, f64::max);
    if fills.is_empty() && best_overlap < 2.0 {
        for (node, candidate) in &mut clicks {
            if mentions(
                &node.label().to_lowercase(),
                &["next", "next page", "more results", "older", "more"],
            ) {
                candidate.score += 1.5;
            }
        }
    }
    let mut all: Vec<Candidate> = fills;
    all.extend(
        clicks
            .into_iter()
            .map(|(_, candidate)| candidate)
            .filter(|candidate| candidate.score > 0.0),
    );
    let stop_button_present = !task.stop_before.is_empty()
        && snapshot.nodes.iter().any(|node| {
            mentions(
                &node.label().to_lowercase(),
                &["pay", "buy", "purchase", "place order"],
            )
        });
    let nothing_to_fill = all.iter().all(|candidate| {
        !matches!(
            candidate.action,
            Action::Type { .. } | Action::Select { .. } | Action::Check { .. }
        )
    });
    let nothing_on_task = all.iter().all(|candidate| !candidate.on_task);
    let done_score = if stop_button_present && nothing_to_fill {
        9.0
    } else if done.on_task
        && !done.blocked
        && nothing_to_fill
        && task.values.iter().all(|value| done.used_value(value))
        && all.iter().all(|candidate| candidate.score < 4.0)
    {
        3.5
    } else {
        0.5
    };
    all.push(Candidate {
        description: "done: the task is complete".into(),
        action: Action::Done {
            summary: "the task is complete".into(),
        },
        score: done_score,
        on_task: false,
    });
    // A step the task needed was refused and nothing is left to fill: the task cannot finish.
    if let Some(refused) = done.refused.last().filter(|_| done.blocked)
        && nothing_to_fill
    {
        all.push(Candidate {
            description: "give up: a step the task needs was refused".into(),
            action: Action::Fail {
                reason: format!("a step the task needs was refused ({refused:?})"),
            },
            score: 4.5,
            on_task: false,
        });
    }
    // Nothing here matches the task and nothing done so far did: say so rather than wander.
    if nothing_on_task && !done.on_task && !done.actions.is_empty() {
        all.push(Candidate {
            description: "give up: nothing on this page matches the task".into(),
            action: Action::Fail {
                reason: format!("nothing on {} matches the task", snapshot.url),
            },
            score: 3.0,
            on_task: false,
        });
    }
    all.sort_by(|a, b| b.score.total_cmp(&a.score));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{node, snapshot};

    #[test]
    fn an_unnamed_icon_is_known_by_its_picture_and_its_row() {
        let icon = |id: u64, picture: &str, row: &str| {
            let mut icon = node("clickable", Some(id), "");
            icon.name = None;
            icon.icon = Some(picture.into());
            icon.context = Some(row.into());
            icon
        };
        let page = snapshot(vec![
            icon(1, "delete", "Andria lunch on Friday"),
            icon(2, "archive", "Andria lunch on Friday"),
            icon(3, "delete", "Deva quarterly report"),
            icon(4, "archive", "Deva quarterly report"),
        ]);
        let task = Task::new("Archive the mail from Deva");
        let found = candidates(&page, &task, &Done::default(), &|_| false);
        let best = found.first().map(|candidate| candidate.action.clone());
        assert_eq!(best, Some(Action::Click { element: 4 }), "{found:?}");
    }
}
