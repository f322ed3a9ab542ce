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
    /// The values the task put in quotes, which are surely values.
    pub quoted: Vec<String>,
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

/// Quote pairs a value may be written in. A straight apostrophe counts only where it stands
/// apart from words, so "don't" and "l'adresse" are not quotes.
const QUOTES: &[(char, char)] = &[('"', '"'), ('\'', '\''), ('“', '”'), ('«', '»'), ('‘', '’')];

/// The quoted spans of `text` as (start, end) byte ranges of their insides, in order.
fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let word_char = |index: usize| chars.get(index).is_some_and(|(_, c)| c.is_alphanumeric());
    let mut spans = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let (at, c) = chars[index];
        let Some(&(_, close)) = QUOTES.iter().find(|(open, _)| *open == c) else {
            index += 1;
            continue;
        };
        // An opening quote does not follow a letter ("l'", "don't").
        if index > 0 && word_char(index - 1) {
            index += 1;
            continue;
        }
        let closing = (index + 1..chars.len())
            .find(|&other| chars[other].1 == close && !(close == '\'' && word_char(other + 1)));
        match closing {
            Some(end) => {
                spans.push((at + c.len_utf8(), chars[end].0));
                index = end + 1;
            }
            None => index += 1,
        }
    }
    spans
}

impl Task {
    pub fn new(text: &str) -> Task {
        let mut values = Vec::new();
        // Quoted values first: they may hold spaces and lower-case words.
        let spans = quoted_spans(text);
        for &(start, end) in &spans {
            let value = text[start..end].trim();
            if !value.is_empty() {
                values.push(value.to_owned());
            }
        }
        let quoted = values.clone();
        // Runs of capitalized words, emails and numbers outside quotes.
        let unquoted: String = {
            let mut out = String::new();
            let mut last = 0;
            for &(start, end) in &spans {
                // The quote characters themselves go too: one character each side.
                let open = text[..start]
                    .char_indices()
                    .last()
                    .map_or(start, |(at, _)| at);
                out.push_str(&text[last..open]);
                out.push(' ');
                last = text[end..]
                    .chars()
                    .next()
                    .map_or(end, |close| end + close.len_utf8());
            }
            out.push_str(text.get(last..).unwrap_or(""));
            out
        };
        let mut run: Vec<&str> = Vec::new();
        let flush = |run: &mut Vec<&str>, values: &mut Vec<String>| {
            if !run.is_empty() {
                values.push(run.join(" "));
                run.clear();
            }
        };
        // A capital at the start of a sentence says nothing about a name: such a word counts
        // only as the start of a longer run ("Alice Martin signs up", not "Connectez-vous").
        let mut sentence_start = true;
        let mut run_from_sentence_start = false;
        for raw in unquoted.split_whitespace() {
            let word =
                raw.trim_matches(|c: char| matches!(c, ',' | ';' | '.' | '!' | '?' | '(' | ')'));
            let ends_clause = raw.ends_with(',') || raw.ends_with(';') || raw.ends_with('.');
            let starts_sentence =
                std::mem::replace(&mut sentence_start, raw.ends_with(['.', '!', '?', ':']));
            if !word.is_empty() && is_value_word(word) && !NOT_VALUES.contains(&word) {
                if run.is_empty() {
                    run_from_sentence_start = starts_sentence
                        && !word.contains('@')
                        && !word.chars().any(|c| c.is_ascii_digit());
                }
                run.push(word);
                if word.contains('@')
                    || word.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || ends_clause
                {
                    flush(&mut run, &mut values);
                }
            } else {
                if run_from_sentence_start && run.len() == 1 {
                    run.clear();
                }
                flush(&mut run, &mut values);
            }
        }
        if run_from_sentence_start && run.len() == 1 {
            run.clear();
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
            quoted,
            stop_before,
        }
    }

    /// The value the task gives for a field named `label`: the one written right after the
    /// label's words ("city Lyon", "email alice@example.com", "as alice").
    pub fn value_for(&self, label_words: &[String], kind: FieldKind) -> Option<String> {
        let tokens: Vec<&str> = self.text.split_whitespace().collect();
        let lowered: Vec<Vec<String>> = tokens.iter().map(|token| terms(token)).collect();
        for (index, token) in lowered.iter().enumerate() {
            // "l'identifiant" holds the label word "identifiant".
            if !token.iter().any(|part| label_words.contains(part)) {
                continue;
            }
            // The next value after the label word, within four words.
            for next in index + 1..(index + 5).min(tokens.len()) {
                let candidate = tokens[next].trim_matches(|c: char| {
                    matches!(
                        c,
                        ',' | ';' | '.' | '(' | ')' | '"' | '“' | '”' | '\'' | '«' | '»' | ':'
                    )
                });
                if let Some(value) = self
                    .values
                    .iter()
                    .find(|value| value.starts_with(candidate) && !candidate.is_empty())
                {
                    return Some(value.clone());
                }
                if lowered[next]
                    .iter()
                    .any(|word| matches!(word.as_str(), "and" | "then" | "et" | "puis"))
                {
                    break;
                }
            }
        }
        // "as alice": the username.
        // Found word by word in the original text: offsets from a lower-cased copy could cut
        // a character of the original in two.
        if kind == FieldKind::Username
            && let Some(at) = tokens
                .iter()
                .position(|token| token.eq_ignore_ascii_case("as"))
            && let Some(next) = tokens.get(at + 1)
        {
            let name = next
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
        let french = Task::new("Connectez-vous avec l'identifiant « alice » et mon mot de passe");
        assert_eq!(french.values, vec!["alice".to_owned()]);
        assert_eq!(
            french
                .value_for(&terms("Identifiant"), FieldKind::Username)
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

    #[test]
    fn apostrophes_inside_words_are_not_quotes() {
        let task = Task::new("don't click Save, and don't close the 'Draft' tab");
        assert_eq!(task.values, vec!["Draft".to_owned(), "Save".to_owned()]);
        let task = Task::new("Enter 'kanesha' as the username and log in");
        assert_eq!(task.values, vec!["kanesha".to_owned()]);
    }

    #[test]
    fn odd_unicode_does_not_panic() {
        for text in [
            "İ log in as élodie",
            "as",
            "'",
            "«",
            "«»",
            "ß as İİ",
            "\u{301}as x",
        ] {
            let task = Task::new(text);
            let _ = task.value_for(&terms("username"), FieldKind::Username);
        }
        let task = Task::new("İ log in as élodie");
        assert_eq!(
            task.value_for(&[], FieldKind::Username).as_deref(),
            Some("élodie")
        );
    }
}
