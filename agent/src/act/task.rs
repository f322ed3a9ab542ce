//! Reading a task in plain words: which words matter, which values it gives, what it forbids.

use crate::forms::FieldKind;
use crate::question::terms;

/// A task, read once.
#[derive(Debug, Clone, Default)]
pub struct Task {
    pub text: String,
    /// Content words, stemmed.
    pub words: Vec<String>,
    /// Values the task gives: quoted text, emails, numbers and dates, capitalized names.
    pub values: Vec<String>,
    /// The task asks to stop before this kind of step ("stop before paying").
    pub stop_before: Vec<String>,
}

fn is_value_word(word: &str) -> bool {
    let first = word.chars().next().unwrap_or(' ');
    word.contains('@') || first.is_ascii_digit() || first.is_uppercase()
}

const NOT_VALUES: &[&str] = &[
    "I", "My", "The", "A", "An", "Log", "Sign", "Then", "And", "Please", "Fill", "Type", "Choose",
    "Select", "Check", "Tick", "Click", "Open", "Go", "Find", "Search", "Submit", "Press", "Stop",
    "Enter",
];

impl Task {
    pub fn new(text: &str) -> Task {
        let mut values = Vec::new();
        // Quoted values first: they may hold spaces and lower-case words.
        for quote in ['"', '\'', '“'] {
            let close = if quote == '“' { '”' } else { quote };
            let mut rest = text;
            while let Some(start) = rest.find(quote) {
                let after = &rest[start + quote.len_utf8()..];
                let Some(end) = after.find(close) else { break };
                let value = after[..end].trim();
                if !value.is_empty() {
                    values.push(value.to_owned());
                }
                rest = &after[end + close.len_utf8()..];
            }
        }
        // Runs of capitalized words, emails and numbers outside quotes.
        let unquoted: String = {
            let mut out = String::new();
            let mut inside = false;
            for c in text.chars() {
                if c == '"' || c == '“' || c == '”' {
                    inside = !inside;
                    out.push(' ');
                } else if !inside {
                    out.push(c);
                }
            }
            out
        };
        let mut run: Vec<&str> = Vec::new();
        let flush = |run: &mut Vec<&str>, values: &mut Vec<String>| {
            if !run.is_empty() {
                values.push(run.join(" "));
                run.clear();
            }
        };
        for raw in unquoted.split_whitespace() {
            let word =
                raw.trim_matches(|c: char| matches!(c, ',' | ';' | '.' | '!' | '?' | '(' | ')'));
            let ends_clause = raw.ends_with(',') || raw.ends_with(';') || raw.ends_with('.');
            if !word.is_empty() && is_value_word(word) && !NOT_VALUES.contains(&word) {
                run.push(word);
                if word.contains('@')
                    || word.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || ends_clause
                {
                    flush(&mut run, &mut values);
                }
            } else {
                flush(&mut run, &mut values);
            }
        }
        flush(&mut run, &mut values);
        values.dedup();
        let lower = text.to_lowercase();
        let mut stop_before = Vec::new();
        for marker in ["stop before ", "do not ", "don't ", "without "] {
            if let Some(at) = lower.find(marker) {
                let rest: String = lower[at + marker.len()..]
                    .split([',', '.', ';'])
                    .next()
                    .unwrap_or("")
                    .to_owned();
                stop_before.extend(terms(&rest));
            }
        }
        Task {
            text: text.to_owned(),
            words: terms(text),
            values,
            stop_before,
        }
    }

    /// The value the task gives for a field named `label`: the one written right after the
    /// label's words ("city Lyon", "email alice@example.com", "as alice").
    pub fn value_for(&self, label_words: &[String], kind: FieldKind) -> Option<String> {
        let lower = self.text.to_lowercase();
        let tokens: Vec<&str> = self.text.split_whitespace().collect();
        let lowered: Vec<String> = tokens.iter().map(|token| terms(token).join(" ")).collect();
        for (index, token) in lowered.iter().enumerate() {
            if token.is_empty() || !label_words.iter().any(|word| word == token) {
                continue;
            }
            // The next value after the label word, within four words.
            for next in index + 1..(index + 5).min(tokens.len()) {
                let candidate = tokens[next].trim_matches(|c: char| {
                    matches!(c, ',' | ';' | '.' | '(' | ')' | '"' | '“' | '”' | '\'')
                });
                if let Some(value) = self
                    .values
                    .iter()
                    .find(|value| value.starts_with(candidate) && !candidate.is_empty())
                {
                    return Some(value.clone());
                }
                if matches!(lowered[next].as_str(), "and" | "then") {
                    break;
                }
            }
        }
        // "as alice": the username.
        if kind == FieldKind::Username
            && let Some(at) = lower.find(" as ")
        {
            let name: String = self.text[at + 4..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches(|c: char| {
                    !c.is_alphanumeric() && c != '@' && c != '.' && c != '_' && c != '-'
                })
                .to_owned();
            if !name.is_empty() {
                return Some(name);
            }
        }
        if kind == FieldKind::Email {
            return self
                .values
                .iter()
                .find(|value| value.contains('@'))
                .cloned();
        }
        None
    }

    /// How many of `words` the task mentions.
    pub fn overlap(&self, words: &[String]) -> usize {
        words
            .iter()
            .filter(|word| self.words.contains(word))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_labels() {
        let task = Task::new(
            "Sign up with name \"Alice Martin\", email alice@example.com, city Lyon and tick the newsletter box",
        );
        assert!(
            task.values.contains(&"Alice Martin".to_owned()),
            "{:?}",
            task.values
        );
        assert!(
            task.values.contains(&"alice@example.com".to_owned()),
            "{:?}",
            task.values
        );
        assert!(
            task.values.contains(&"Lyon".to_owned()),
            "{:?}",
            task.values
        );
        assert_eq!(
            task.value_for(&terms("City"), FieldKind::City).as_deref(),
            Some("Lyon")
        );
        assert_eq!(
            task.value_for(&terms("Your name"), FieldKind::FullName)
                .as_deref(),
            Some("Alice Martin")
        );
        let login = Task::new("log in as alice with my saved password");
        assert_eq!(
            login
                .value_for(&terms("Username"), FieldKind::Username)
                .as_deref(),
            Some("alice")
        );
        let stop = Task::new("find the cheapest flight to Lyon on 12 March and stop before paying");
        assert!(
            stop.stop_before.iter().any(|word| word.starts_with("pay")),
            "{:?}",
            stop.stop_before
        );
    }
}
