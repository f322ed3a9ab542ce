//! The rules: the `autocomplete` attribute when it names a kind, then the input type, then the
//! words of the field's label, placeholder, name and id, then its class and the text beside it.

use super::keywords::{self as words, kind_words};
use super::{Field, FieldKind};

/// Lower-case words: camelCase split, punctuation to spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && previous_lower {
            out.push(' ');
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_alphanumeric() || c == '\'' {
            out.extend(c.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether normalized `text` mentions `keyword`: as whole words, or run together for long ones.
fn mentions(text: &str, keyword: &str) -> bool {
    let keyword = normalize(keyword);
    if keyword.is_empty() || text.is_empty() {
        return false;
    }
    if format!(" {text} ").contains(&format!(" {keyword} ")) {
        return true;
    }
    let compact_keyword: String = keyword.chars().filter(|c| *c != ' ').collect();
    if compact_keyword.chars().count() < 5 {
        return false;
    }
    let compact_text: String = text.chars().filter(|c| *c != ' ').collect();
    compact_text.contains(&compact_keyword)
}

fn mentions_any(text: &str, keywords: &[&str]) -> bool {
    keywords.iter().any(|keyword| mentions(text, keyword))
}

fn from_autocomplete(autocomplete: &str) -> Option<FieldKind> {
    // The last token names the field; earlier ones are sections ("shipping", "billing").
    let token = autocomplete.split_whitespace().last()?.to_lowercase();
    Some(match token.as_str() {
        "username" => FieldKind::Username,
        "email" => FieldKind::Email,
        "current-password" => FieldKind::Password,
        "new-password" => FieldKind::NewPassword,
        "name" => FieldKind::FullName,
        "given-name" => FieldKind::GivenName,
        "additional-name" => FieldKind::AdditionalName,
        "family-name" => FieldKind::FamilyName,
        "street-address" | "address-line1" => FieldKind::StreetAddress,
        "address-line2" | "address-line3" => FieldKind::AddressLine2,
        "address-level2" => FieldKind::City,
        "address-level1" => FieldKind::Region,
        "postal-code" => FieldKind::PostalCode,
        "country" | "country-name" => FieldKind::Country,
        "tel" | "tel-national" | "tel-local" => FieldKind::Phone,
        "bday" => FieldKind::Birthday,
        "bday-day" => FieldKind::BirthDay,
        "bday-month" => FieldKind::BirthMonth,
        "bday-year" => FieldKind::BirthYear,
        "cc-name" => FieldKind::CardName,
        "cc-number" => FieldKind::CardNumber,
        "cc-exp" => FieldKind::CardExpiry,
        "cc-exp-month" => FieldKind::CardExpiryMonth,
        "cc-exp-year" => FieldKind::CardExpiryYear,
        "cc-csc" => FieldKind::CardCvc,
        "one-time-code" => FieldKind::OneTimeCode,
        _ => return None,
    })
}

/// Which part of a date a field holds, from its words or its options.
enum DatePart {
    Day,
    Month,
    Year,
    Whole,
}

fn date_part(text: &str, field: &Field) -> DatePart {
    let options: Vec<String> = field
        .options
        .iter()
        .map(|option| option.trim().to_lowercase())
        .collect();
    let numeric =
        |option: &String| option.chars().all(|c| c.is_ascii_digit()) && !option.is_empty();
    if options
        .iter()
        .any(|option| option.len() == 4 && numeric(option))
        || options
            .iter()
            .any(|o| o.len() == 2 && numeric(o) && o.as_str() > "31")
    {
        return DatePart::Year;
    }
    if options.iter().any(|option| {
        option.starts_with("jan")
            || option.starts_with("feb")
            || option.starts_with("janv")
            || option.starts_with("ene")
    }) {
        return DatePart::Month;
    }
    if options.len() >= 28 && options.len() <= 33 {
        return DatePart::Day;
    }
    if options.len() >= 12
        && options.len() <= 14
        && options.iter().filter(|o| numeric(o)).count() >= 12
    {
        return DatePart::Month;
    }
    if mentions_any(text, words::MONTH) {
        DatePart::Month
    } else if mentions_any(text, words::YEAR) {
        DatePart::Year
    } else if mentions_any(text, words::DAY) {
        DatePart::Day
    } else {
        DatePart::Whole
    }
}

fn looks_like_countries(options: &[String]) -> bool {
    let known = [
        "france",
        "germany",
        "united states",
        "canada",
        "japan",
        "spain",
        "italy",
        "brazil",
        "india",
        "mexico",
        "afghanistan",
        "albania",
    ];
    options
        .iter()
        .filter(|option| {
            known
                .iter()
                .any(|country| option.to_lowercase().contains(country))
        })
        .count()
        >= 3
}

fn looks_like_regions(options: &[String]) -> bool {
    let known = [
        "alabama",
        "alaska",
        "california",
        "texas",
        "ontario",
        "quebec",
        "new york",
        "florida",
        "bayern",
        "jalisco",
    ];
    options
        .iter()
        .filter(|option| {
            known
                .iter()
                .any(|region| option.to_lowercase().contains(region))
        })
        .count()
        >= 2
}

/// The kind of one field, from its own words (no form context).
pub fn classify(field: &Field) -> FieldKind {
    classify_in(field, false)
}

fn classify_in(field: &Field, signup: bool) -> FieldKind {
    let input_type = field.input_type.to_lowercase();
    if let Some(kind) = from_autocomplete(&field.autocomplete) {
        // Pages mark login passwords "new-password" to stop browsers saving them; the form decides.
        if !matches!(kind, FieldKind::NewPassword | FieldKind::Password) {
            return kind;
        }
    }
    let strong = normalize(
        &[
            field.label.as_str(),
            &field.placeholder,
            &field.name,
            &field.id,
            &field.title,
        ]
        .join(" "),
    );
    let class = normalize(&field.class);
    let nearby = normalize(&field.nearby);
    let all = format!("{strong} {class} {nearby}");

    if input_type == "password" {
        if mentions_any(&strong, words::CARD_CVC)
            && mentions_any(&all, &["card", "cvc", "cvv", "csc"])
        {
            return FieldKind::CardCvc;
        }
        if mentions_any(&strong, words::ONE_TIME_CODE) {
            return FieldKind::OneTimeCode;
        }
        if mentions_any(
            &strong,
            &[
                "pin",
                "gift",
                "giftcard",
                "digit",
                "code",
                "ssn",
                "social security",
                "answer",
                "tin",
            ],
        ) {
            return FieldKind::Other;
        }
        if mentions_any(&strong, words::CURRENT_PASSWORD) {
            return FieldKind::Password;
        }
        if field.autocomplete.contains("new-password")
            || mentions_any(&strong, words::NEW_PASSWORD)
            || signup
        {
            return FieldKind::NewPassword;
        }
        return FieldKind::Password;
    }
    if matches!(
        input_type.as_str(),
        "checkbox" | "radio" | "submit" | "button" | "hidden" | "file" | "image" | "reset"
    ) {
        return FieldKind::Other;
    }
    if input_type == "search" {
        return FieldKind::Search;
    }
    if input_type == "email" {
        return FieldKind::Email;
    }
    if field.tag == "select" {
        if looks_like_countries(&field.options) {
            return FieldKind::Country;
        }
        if looks_like_regions(&field.options) {
            return FieldKind::Region;
        }
    }
    for source in [&strong, &class, &nearby] {
        if let Some(kind) = kind_from_words(source, &all, field) {
            return kind;
        }
        // Words that say "not one of ours" stop the search at the strongest source.
        if mentions_any(source, words::OTHER) {
            return FieldKind::Other;
        }
    }
    if input_type == "tel" {
        return FieldKind::Phone;
    }
    if input_type == "date" {
        return FieldKind::Other;
    }
    FieldKind::Other
}

fn kind_from_words(source: &str, all: &str, field: &Field) -> Option<FieldKind> {
    if source.is_empty() {
        return None;
    }
    if mentions_any(source, words::OTHER) {
        return None;
    }
    let card = mentions_any(
        all,
        &[
            "card", "credit", "cc", "payment", "karte", "carte", "tarjeta", "cartão",
        ],
    );
    if mentions_any(source, words::ONE_TIME_CODE) {
        return Some(FieldKind::OneTimeCode);
    }
    if mentions_any(source, words::CARD_CVC)
        && (card || mentions_any(source, &["cvc", "cvv", "csc", "cvn"]))
    {
        return Some(FieldKind::CardCvc);
    }
    if mentions_any(source, words::EXPIRY) {
        return Some(match date_part(source, field) {
            DatePart::Month => FieldKind::CardExpiryMonth,
            DatePart::Year => FieldKind::CardExpiryYear,
            _ => FieldKind::CardExpiry,
        });
    }
    if mentions_any(source, words::BIRTH) {
        return Some(match date_part(source, field) {
            DatePart::Day => FieldKind::BirthDay,
            DatePart::Month => FieldKind::BirthMonth,
            DatePart::Year => FieldKind::BirthYear,
            DatePart::Whole => FieldKind::Birthday,
        });
    }
    if card && mentions_any(source, &["month", "mm"]) && !mentions_any(all, words::BIRTH) {
        return Some(FieldKind::CardExpiryMonth);
    }
    if card && mentions_any(source, &["year", "yy", "yyyy"]) && !mentions_any(all, words::BIRTH) {
        return Some(FieldKind::CardExpiryYear);
    }
    // "Email or username": either is right; the email word wins unless "user" comes first.
    if mentions_any(source, words::EMAIL) {
        return Some(FieldKind::Email);
    }
    if mentions_any(
        source,
        &[
            "full name",
            "fullname",
            "your name",
            "first and last name",
            "name and surname",
        ],
    ) {
        return Some(FieldKind::FullName);
    }
    if mentions_any(source, words::ADDITIONAL_NAME) {
        return Some(FieldKind::AdditionalName);
    }
    if mentions_any(source, words::GIVEN_NAME)
        && !mentions_any(source, &["company", "street", "card"])
    {
        return Some(FieldKind::GivenName);
    }
    if mentions_any(source, words::FAMILY_NAME)
        && !mentions_any(source, &["company", "street", "card", "user"])
    {
        return Some(FieldKind::FamilyName);
    }
    for (kind, keywords) in kind_words() {
        if mentions_any(source, keywords) {
            return Some(kind);
        }
    }
    None
}

/// The kinds of a form's fields together: a form asking for a password twice, or saying it
/// signs the user up, wants a new password; a lone text field before the password is the
/// username.
pub fn classify_form(fields: &[Field], form_text: &str, submit_text: &str) -> Vec<FieldKind> {
    let text = normalize(form_text);
    let submit = normalize(submit_text);
    let passwords = fields
        .iter()
        .filter(|field| field.input_type.eq_ignore_ascii_case("password"))
        .count();
    let signup_words = [
        "sign up",
        "signup",
        "register",
        "create account",
        "create an account",
        "join",
        "registration",
        "inscription",
        "registrieren",
        "regístrate",
        "create your",
        "get started",
    ];
    let login_words = [
        "sign in",
        "signin",
        "log in",
        "login",
        "log on",
        "connexion",
        "anmelden",
        "iniciar sesión",
        "entrar",
        "forgot",
    ];
    // The submit button says best what a form does; the form's words break a tie (login forms
    // link to "sign up", sign-up forms to "log in", so neither alone decides).
    let count = |text: &str, keywords: &[&str]| {
        keywords
            .iter()
            .filter(|keyword| mentions(text, keyword))
            .count()
    };
    let signup_score = 3 * count(&submit, &signup_words) + count(&text, &signup_words);
    let login_score = 3 * count(&submit, &login_words) + count(&text, &login_words);
    let signup = passwords >= 2 || signup_score > login_score;
    let mut kinds: Vec<FieldKind> = fields
        .iter()
        .map(|field| classify_in(field, signup))
        .collect();
    // A change-password form: the first password is the current one.
    if (passwords >= 3 || (passwords == 2 && mentions_any(&text, words::CURRENT_PASSWORD)))
        && let Some(first) = fields
            .iter()
            .position(|field| field.input_type.eq_ignore_ascii_case("password"))
        && !mentions_any(&normalize(&fields[first].name), words::NEW_PASSWORD)
    {
        kinds[first] = FieldKind::Password;
    }
    // A login form asks for the account's identifier just before the password, whatever it is
    // called (an email address, a phone number, a card number at a bank).
    if !signup && passwords >= 1 {
        let first_password = fields
            .iter()
            .position(|field| field.input_type.eq_ignore_ascii_case("password"))
            .unwrap_or(0);
        let identifier = (0..first_password).rev().find(|&index| {
            let kind = fields[index].input_type.to_lowercase();
            fields[index].tag == "input"
                && matches!(kind.as_str(), "text" | "email" | "tel" | "number")
        });
        if let Some(identifier) = identifier
            && kinds[identifier] != FieldKind::Search
            && kinds[identifier] != FieldKind::Other
        {
            kinds[identifier] = FieldKind::Username;
        }
    }
    // The text field just before the first password, when nothing else names it.
    if let Some(password) = fields
        .iter()
        .position(|field| field.input_type.eq_ignore_ascii_case("password"))
        && let Some(before) = (0..password).rev().find(|&index| {
            let kind = fields[index].input_type.to_lowercase();
            matches!(kind.as_str(), "text" | "" | "tel" | "email") && fields[index].tag == "input"
        })
        && kinds[before] == FieldKind::Other
        && kinds
            .iter()
            .all(|kind| *kind != FieldKind::Username && *kind != FieldKind::Email)
    {
        kinds[before] = FieldKind::Username;
    }
    kinds
}

/// How much a button looks like the one that submits its form (higher is likelier; ≤ 0 never).
pub fn submit_score(text: &str, input_type: &str, in_form_with_fields: bool) -> f64 {
    let text = normalize(text);
    let mut score = 0.0;
    if mentions_any(&text, words::NOT_SUBMIT) {
        score -= 3.0;
    }
    if mentions_any(&text, words::SUBMIT) {
        score += 2.0;
    }
    match input_type {
        "submit" | "image" => score += 2.0,
        "button" => score += 0.0,
        "reset" => score -= 5.0,
        _ => {}
    }
    if in_form_with_fields {
        score += 1.0;
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(input_type: &str, name: &str, label: &str) -> Field {
        Field {
            tag: "input".into(),
            input_type: input_type.into(),
            name: name.into(),
            label: label.into(),
            ..Field::default()
        }
    }

    #[test]
    fn words_and_types_decide() {
        assert_eq!(
            classify(&field("text", "firstName", "")),
            FieldKind::GivenName
        );
        assert_eq!(
            classify(&field("text", "", "Nachname")),
            FieldKind::FamilyName
        );
        assert_eq!(classify(&field("email", "x", "")), FieldKind::Email);
        assert_eq!(classify(&field("text", "zip", "")), FieldKind::PostalCode);
        assert_eq!(classify(&field("tel", "mobile", "")), FieldKind::Phone);
        assert_eq!(
            classify(&field("text", "cc-number", "")),
            FieldKind::CardNumber
        );
        assert_eq!(classify(&field("text", "captcha", "")), FieldKind::Other);
        assert_eq!(classify(&field("search", "q", "")), FieldKind::Search);
    }

    #[test]
    fn the_form_decides_new_passwords_and_usernames() {
        let login = [field("text", "ident", ""), field("password", "pw", "")];
        assert_eq!(
            classify_form(&login, "Welcome back", "Log in"),
            vec![FieldKind::Username, FieldKind::Password]
        );
        let signup = [
            field("email", "e", ""),
            field("password", "p1", ""),
            field("password", "p2", ""),
        ];
        assert_eq!(
            classify_form(&signup, "Join us", "Create account"),
            vec![
                FieldKind::Email,
                FieldKind::NewPassword,
                FieldKind::NewPassword
            ]
        );
    }

    #[test]
    fn submit_buttons_score_above_others() {
        assert!(
            submit_score("Sign in", "submit", true)
                > submit_score("Forgot password?", "button", true)
        );
        assert!(submit_score("Reset", "reset", true) <= 0.0);
    }
}
