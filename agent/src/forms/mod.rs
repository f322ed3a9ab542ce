//! Form understanding: what each field asks for (username, email, password, new password, name
//! and address parts, phone, birthday, card details, search, other) and which button submits.
//!
//! Fields are described by plain [`Field`] records, filled either from the live page (the
//! snapshot script) or from HTML (html5ever, for the benchmark over the shared forms set), so
//! both go through the same rules.

mod classify;
pub mod dataset;
mod extract;
mod keywords;

pub use classify::{classify, classify_form, normalize, submit_score};
pub use extract::{Button, FormDocument, FormGroup, extract};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    Username,
    Email,
    Password,
    NewPassword,
    GivenName,
    AdditionalName,
    FamilyName,
    FullName,
    StreetAddress,
    AddressLine2,
    City,
    Region,
    PostalCode,
    Country,
    Phone,
    BirthDay,
    BirthMonth,
    BirthYear,
    Birthday,
    CardName,
    CardNumber,
    CardExpiry,
    CardExpiryMonth,
    CardExpiryYear,
    CardCvc,
    OneTimeCode,
    Search,
    Other,
}

impl FieldKind {
    /// The placeholder the model writes for this field's value; the browser types the real one.
    pub fn placeholder(self) -> Option<&'static str> {
        Some(match self {
            FieldKind::Username => "{{username}}",
            FieldKind::Email => "{{email}}",
            FieldKind::Password => "{{password}}",
            FieldKind::NewPassword => "{{new_password}}",
            FieldKind::GivenName => "{{given_name}}",
            FieldKind::FamilyName => "{{family_name}}",
            FieldKind::FullName => "{{full_name}}",
            FieldKind::StreetAddress => "{{street_address}}",
            FieldKind::City => "{{city}}",
            FieldKind::PostalCode => "{{postal_code}}",
            FieldKind::Country => "{{country}}",
            FieldKind::Phone => "{{phone}}",
            FieldKind::CardName => "{{card_name}}",
            FieldKind::CardNumber => "{{card_number}}",
            FieldKind::CardExpiry => "{{card_expiry}}",
            FieldKind::CardCvc => "{{card_cvc}}",
            _ => return None,
        })
    }

    /// Whether the value is a secret: never shown to the model, logged or audited.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            FieldKind::Password
                | FieldKind::NewPassword
                | FieldKind::CardNumber
                | FieldKind::CardCvc
                | FieldKind::CardExpiry
                | FieldKind::OneTimeCode
        )
    }
}

/// What the page says about one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// `input`, `select` or `textarea`.
    pub tag: String,
    #[serde(rename = "type")]
    pub input_type: String,
    pub name: String,
    pub id: String,
    pub autocomplete: String,
    pub placeholder: String,
    /// Text of the `<label>` elements, `aria-label` and `aria-labelledby`.
    pub label: String,
    pub title: String,
    pub class: String,
    /// Text just before the field, for pages that label with a bare `<div>` or `<span>`.
    pub nearby: String,
    pub max_length: Option<u32>,
    /// Option texts of a `<select>`.
    pub options: Vec<String>,
}
