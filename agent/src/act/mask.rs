//! Secrets out of what the model reads. Whatever its `type`, a field whose kind is a secret
//! (password, card number, CVC, expiry, one-time code, IBAN) shows a placeholder instead of its
//! value, and any card number (Luhn-valid) or IBAN (ISO 7064 check) in the page's text or values
//! is replaced too — a confirmation page that repeats the card is as secret as the field.
//! Snapshots are masked as they are taken, so prompts, history lines and the audit never hold
//! the values.

use crate::forms::FieldKind;
use crate::snapshot::Snapshot;

use super::candidates::field_kinds;

const CARD: &str = "{{card_number}}";
const IBAN: &str = "{{iban}}";

/// The placeholder a secret field's value is shown as.
fn placeholder(kind: FieldKind) -> Option<&'static str> {
    Some(match kind {
        FieldKind::Password => "{{password}}",
        FieldKind::NewPassword => "{{new_password}}",
        FieldKind::CardNumber => CARD,
        FieldKind::CardCvc => "{{card_cvc}}",
        FieldKind::CardExpiry | FieldKind::CardExpiryMonth | FieldKind::CardExpiryYear => {
            "{{card_expiry}}"
        }
        FieldKind::OneTimeCode => "{{one_time_code}}",
        _ => return None,
    })
}

/// Whether a field's own attributes name it an IBAN (the word is the same in English and
/// French, and in the `name`s forms give such fields).
fn names_iban(node: &crate::snapshot::Node) -> bool {
    [
        &node.field_name,
        &node.field_id,
        &node.name,
        &node.autocomplete,
    ]
    .into_iter()
    .flatten()
    .any(|text| text.to_ascii_lowercase().contains("iban"))
}

/// Replace secrets in `snapshot` in place.
pub fn mask(snapshot: &mut Snapshot) {
    let kinds = field_kinds(snapshot);
    for node in &mut snapshot.nodes {
        let kind = node
            .id
            .and_then(|id| kinds.iter().find(|(field, _)| *field == id))
            .map(|(_, kind)| *kind);
        let secret = kind.and_then(placeholder).or_else(|| {
            (node.input_type.as_deref() == Some("password"))
                .then_some("{{password}}")
                .or_else(|| names_iban(node).then_some(IBAN))
        });
        if let Some(shown) = secret
            && let Some(value) = node.value.as_mut()
            && !value.is_empty()
        {
            *value = shown.to_owned();
        }
        for text in [
            &mut node.value,
            &mut node.name,
            &mut node.text,
            &mut node.context,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(masked) = mask_text(text) {
                *text = masked;
            }
        }
        for option in &mut node.options {
            if let Some(masked) = mask_text(option) {
                *option = masked;
            }
        }
    }
}

/// `text` with card numbers and IBANs replaced, or `None` when it holds neither.
pub fn mask_text(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while !rest.is_empty() {
        match find_secret(rest) {
            Some((start, end, shown)) => {
                out.push_str(&rest[..start]);
                out.push_str(shown);
                rest = &rest[end..];
                changed = true;
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    changed.then_some(out)
}

/// The first card number or IBAN in `text`: its byte range and what replaces it.
fn find_secret(text: &str) -> Option<(usize, usize, &'static str)> {
    let starts = text
        .char_indices()
        .filter(|(index, ch)| {
            ch.is_ascii_alphanumeric()
                && !text[..*index]
                    .chars()
                    .next_back()
                    .is_some_and(|before| before.is_ascii_alphanumeric())
        })
        .map(|(index, _)| index);
    for start in starts {
        let run = secret_run(&text[start..]);
        // The longest prefix of the run that checks out (a card number followed by a year).
        for end in run.iter().rev() {
            let candidate = &text[start..start + end];
            let compact: String = candidate
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            if is_card_number(&compact) && issued_by_a_network(&compact) {
                return Some((start, start + end, CARD));
            }
            if is_iban(&compact) {
                return Some((start, start + end, IBAN));
            }
        }
    }
    None
}

/// Byte lengths at which a run of letters and digits grouped by single spaces or dashes
/// ends a group (candidate ends), from `text`'s start.
fn secret_run(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut previous_separator = false;
    let mut length = 0;
    for (index, ch) in text.char_indices() {
        if ch.is_ascii_alphanumeric() {
            previous_separator = false;
            length = index + ch.len_utf8();
        } else if (ch == ' ' || ch == '-' || ch == '\u{a0}') && !previous_separator {
            ends.push(length);
            previous_separator = true;
        } else {
            break;
        }
        if length > 64 {
            break;
        }
    }
    if !previous_separator {
        ends.push(length);
    }
    ends.dedup();
    ends
}

/// 13 to 19 digits passing the Luhn check.
fn is_card_number(compact: &str) -> bool {
    if !(13..=19).contains(&compact.len()) || !compact.bytes().all(|byte| byte.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = compact
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0');
            if position % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether the number starts as cards of the networks do (Visa 4; Mastercard 51–55 and
/// 2221–2720; Amex 34, 37; Diners 30, 36, 38, 39; Discover, UnionPay, Maestro 6; JCB 35). One
/// random 16-digit number in ten passes the Luhn check: the prefix keeps order and tracking
/// numbers in text readable.
fn issued_by_a_network(compact: &str) -> bool {
    let prefix = |digits: usize| compact.get(..digits).and_then(|p| p.parse::<u32>().ok());
    matches!(compact.as_bytes().first(), Some(b'4' | b'6'))
        || prefix(2).is_some_and(|p| matches!(p, 30 | 34..=39 | 51..=55))
        || prefix(4).is_some_and(|p| (2221..=2720).contains(&p))
}

/// A country code, two check digits and 11 to 30 letters or digits, passing ISO 7064 mod 97.
fn is_iban(compact: &str) -> bool {
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes
            .iter()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
    {
        return false;
    }
    let rearranged = bytes[4..].iter().chain(&bytes[..4]);
    let mut remainder = 0u32;
    for byte in rearranged {
        let value = if byte.is_ascii_digit() {
            u32::from(byte - b'0')
        } else {
            u32::from(byte - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Node;

    fn field(id: u64, name: &str, autocomplete: Option<&str>, value: &str) -> Node {
        Node {
            kind: "textbox".into(),
            id: Some(id),
            name: Some(name.into()),
            input_type: Some("text".into()),
            autocomplete: autocomplete.map(str::to_owned),
            value: Some(value.into()),
            ..Node::default()
        }
    }

    #[test]
    fn secret_fields_show_placeholders_whatever_their_type() {
        let mut snapshot = Snapshot {
            url: "http://127.0.0.1/pay".into(),
            title: "Payment".into(),
            viewport: [800.0, 600.0],
            scroll: [0.0, 0.0],
            nodes: vec![
                field(1, "Card number", Some("cc-number"), "4111 1111 1111 1111"),
                field(2, "Security code", Some("cc-csc"), "737"),
                field(3, "Verification code", Some("one-time-code"), "482913"),
                field(4, "Name on card", Some("cc-name"), "Élodie Martin"),
                field(5, "IBAN", None, "FR14 2004 1010 0505 0001 3M02 606"),
                Node {
                    kind: "paragraph".into(),
                    text: Some("Paid with 5555-5555-5555-4444 on 12/27.".into()),
                    ..Node::default()
                },
            ],
        };
        mask(&mut snapshot);
        let values: Vec<_> = snapshot.nodes.iter().map(|n| n.value.clone()).collect();
        assert_eq!(values[0].as_deref(), Some("{{card_number}}"));
        assert_eq!(values[1].as_deref(), Some("{{card_cvc}}"));
        assert_eq!(values[2].as_deref(), Some("{{one_time_code}}"));
        assert_eq!(values[3].as_deref(), Some("Élodie Martin"));
        assert_eq!(values[4].as_deref(), Some("{{iban}}"));
        assert_eq!(
            snapshot.nodes[5].text.as_deref(),
            Some("Paid with {{card_number}} on 12/27.")
        );
    }

    #[test]
    fn only_numbers_that_check_out_are_masked() {
        // Not Luhn-valid, an order number, a phone number, a Luhn-valid number no card network
        // issues: kept.
        for kept in [
            "Tracking 1000 0000 0000 0008",
            "Order 1234 5678 9012 3456",
            "+33 6 12 34 56 78",
            "ISBN 978-2-07-036822-8",
            "FR00 0000 0000 0000",
        ] {
            assert_eq!(mask_text(kept), None, "{kept}");
        }
        assert_eq!(
            mask_text("IBAN: GB82 WEST 1234 5698 7654 32, merci").as_deref(),
            Some("IBAN: {{iban}}, merci")
        );
        assert_eq!(
            mask_text("carte 4111111111111111").as_deref(),
            Some("carte {{card_number}}")
        );
        // Multi-byte text around a number keeps its characters whole.
        assert_eq!(
            mask_text("ça — 4111 1111 1111 1111 ✓").as_deref(),
            Some("ça — {{card_number}} ✓")
        );
    }
}
