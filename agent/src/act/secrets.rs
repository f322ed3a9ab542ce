//! Values the agent types but the model never sees: the profile (names, email, address, phone)
//! and secrets (passwords per site, card). The model writes placeholders such as `{{password}}`;
//! the browser swaps in the value at the moment it types.

use crate::forms::FieldKind;

/// Where values come from (the OS keyring and the profile, in the browser).
pub trait Vault {
    /// The value of `kind` for the site `origin`, if one is saved.
    fn value(&self, origin: &str, kind: FieldKind) -> Option<String>;
}

/// Every kind of saved data a placeholder can stand for.
pub const PLACEHOLDER_KINDS: &[FieldKind] = &[
    FieldKind::Username,
    FieldKind::Email,
    FieldKind::Password,
    FieldKind::NewPassword,
    FieldKind::GivenName,
    FieldKind::FamilyName,
    FieldKind::FullName,
    FieldKind::StreetAddress,
    FieldKind::City,
    FieldKind::PostalCode,
    FieldKind::Country,
    FieldKind::Phone,
    FieldKind::CardName,
    FieldKind::CardNumber,
    FieldKind::CardExpiry,
    FieldKind::CardCvc,
];

/// What a kind of saved data is called in messages ("password", "card number").
pub fn what(kind: FieldKind) -> String {
    kind.placeholder()
        .unwrap_or("{{data}}")
        .trim_matches(['{', '}'])
        .replace('_', " ")
}

/// The kind a placeholder stands for.
pub fn placeholder_kind(text: &str) -> Option<FieldKind> {
    PLACEHOLDER_KINDS
        .iter()
        .copied()
        .find(|kind| kind.placeholder() == Some(text))
}

/// `text` with its placeholders replaced, and each saved value that went in, with its kind.
pub struct Filled {
    pub text: String,
    pub values: Vec<(FieldKind, String)>,
}

/// Replace every placeholder in `text`; `Err` names the first one with no saved value.
pub fn fill(text: &str, origin: &str, vault: &dyn Vault) -> Result<Filled, String> {
    let mut out = String::new();
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let placeholder = &rest[start..start + end + 2];
        out.push_str(&rest[..start]);
        match placeholder_kind(placeholder) {
            Some(kind) => match vault.value(origin, kind) {
                Some(value) => {
                    out.push_str(&value);
                    values.push((kind, value));
                }
                None => return Err(format!("no saved {placeholder} for {origin}")),
            },
            None => out.push_str(placeholder),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(Filled { text: out, values })
}
