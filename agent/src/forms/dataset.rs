//! Scoring the classifier on the shared forms set (287 real forms with hand labels). The labels
//! are read, then every `data-manual-*` attribute (and the autofill annotations some pages carry
//! from other browsers) is removed from the document before the classifier sees it.

use std::collections::HashMap;
use std::path::Path;

use crate::dom::{Document, ROOT};

use super::{FieldKind, classify_form, extract};

/// Whether our kind counts as right for a hand label.
pub fn agrees(label: &str, kind: FieldKind) -> bool {
    use FieldKind::*;
    match label {
        "username OR emailAddress" => matches!(kind, Username | Email),
        "username" => kind == Username,
        "emailAddress" => kind == Email,
        // An unqualified "password" was not told apart by the labellers: either kind is right.
        "password" => matches!(kind, Password | NewPassword),
        "password.current" => kind == Password,
        "password.new" => kind == NewPassword,
        "firstName" => kind == GivenName,
        "middleName" => kind == AdditionalName,
        "lastName" => kind == FamilyName,
        "fullName" => kind == FullName,
        "addressStreet" => kind == StreetAddress,
        "addressStreet2" => kind == AddressLine2,
        "addressCity" => kind == City,
        "addressProvince" => kind == Region,
        "addressPostalCode" => kind == PostalCode,
        "addressCountryCode" => kind == Country,
        "phone" => kind == Phone,
        "cardNumber" => kind == CardNumber,
        "cardSecurityCode" => kind == CardCvc,
        "cardName" => kind == CardName,
        "expiration" => kind == CardExpiry,
        "expirationMonth" => kind == CardExpiryMonth,
        "expirationYear" => kind == CardExpiryYear,
        "birthday" => kind == Birthday,
        "birthdayDay" => kind == BirthDay,
        "birthdayMonth" => kind == BirthMonth,
        "birthdayYear" => kind == BirthYear,
        "totp" => kind == OneTimeCode,
        // "unknown" counts as other; search boxes are one kind of other.
        _ => matches!(kind, Other | Search),
    }
}

#[derive(Debug, Clone, Default)]
pub struct FileScore {
    pub fields: usize,
    pub correct: usize,
    /// Fields the set's authors expected a good classifier to miss, and how many we got right.
    pub expected_failures: usize,
    pub expected_failures_correct: usize,
    pub submits_labelled: usize,
    pub submits_predicted: usize,
    pub submits_correct: usize,
    pub mistakes: Vec<String>,
}

fn strip_answer_key(doc: &mut Document) {
    for node in &mut doc.nodes {
        node.attrs.retain(|(name, _)| {
            !(name.starts_with("data-manual-")
                || name.starts_with("autofill-")
                || name.starts_with("data-ddg-"))
        });
    }
}

/// Score one file of the set; `expected_failures` are the labels its entry names.
pub fn score_file(path: &Path, expected_failures: &[String]) -> std::io::Result<FileScore> {
    let html = std::fs::read_to_string(path)?;
    let mut doc = Document::parse(&html);
    let mut labels: HashMap<usize, String> = HashMap::new();
    let mut submits: Vec<usize> = Vec::new();
    for node in doc.descendants(ROOT) {
        if let Some(label) = doc.attr(node, "data-manual-scoring") {
            labels.insert(node, label.to_string());
        }
        if doc.attr(node, "data-manual-submit").is_some() {
            submits.push(node);
        }
    }
    strip_answer_key(&mut doc);
    let forms = extract(&doc);
    let mut score = FileScore {
        submits_labelled: submits.len(),
        ..FileScore::default()
    };
    for group in &forms.groups {
        let fields: Vec<_> = group
            .fields
            .iter()
            .map(|(_, field)| field.clone())
            .collect();
        let submit = group
            .submit_button()
            .map(|button| button.text.clone())
            .unwrap_or_default();
        let kinds = classify_form(&fields, &group.text, &submit);
        for ((node, field), kind) in group.fields.iter().zip(kinds) {
            let Some(label) = labels.get(node) else {
                continue;
            };
            let right = agrees(label, kind);
            score.fields += 1;
            score.correct += usize::from(right);
            let expected_failure = expected_failures.iter().any(|failure| failure == label);
            if expected_failure {
                score.expected_failures += 1;
                score.expected_failures_correct += usize::from(right);
            }
            if !right {
                score.mistakes.push(format!(
                    "{}: {label} -> {kind:?} (name={:?} id={:?} label={:?} placeholder={:?} nearby={:?})",
                    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    field.name,
                    field.id,
                    field.label,
                    field.placeholder,
                    field.nearby
                ));
            }
        }
        // The best-scoring button submits the form. Only forms under test (with labelled
        // fields) count: other forms on the page have no answer key for their buttons.
        if !group
            .fields
            .iter()
            .any(|(node, _)| labels.contains_key(node))
        {
            continue;
        }
        if let Some(button) = group.submit_button() {
            score.submits_predicted += 1;
            score.submits_correct += usize::from(submits.contains(&button.node));
        }
    }
    Ok(score)
}

/// The set's index: file names and the labels expected to fail.
#[derive(Debug, serde::Deserialize)]
pub struct Entry {
    pub html: String,
    #[serde(default, rename = "expectedFailures")]
    pub expected_failures: Vec<String>,
}

pub fn index(root: &Path) -> std::io::Result<Vec<Entry>> {
    let text = std::fs::read_to_string(root.join("index.json"))?;
    serde_json::from_str(&text).map_err(std::io::Error::other)
}
