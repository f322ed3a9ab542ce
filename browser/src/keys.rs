//! Named keys that scripts and the agent can press, independent of Servo's key types.

use std::str::FromStr;

/// A non-character key. Characters are typed with `Page::type_text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedKey {
    Enter,
    Tab,
    Backspace,
    Delete,
    Escape,
    Space,
    ArrowUp,
    ArrowDown,
    ArrowLeft,
    ArrowRight,
    Home,
    End,
    PageUp,
    PageDown,
}

impl FromStr for NamedKey {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let key = match name.to_ascii_lowercase().as_str() {
            "enter" | "return" => Self::Enter,
            "tab" => Self::Tab,
            "backspace" => Self::Backspace,
            "delete" | "del" => Self::Delete,
            "escape" | "esc" => Self::Escape,
            "space" | " " => Self::Space,
            "arrowup" | "up" => Self::ArrowUp,
            "arrowdown" | "down" => Self::ArrowDown,
            "arrowleft" | "left" => Self::ArrowLeft,
            "arrowright" | "right" => Self::ArrowRight,
            "home" => Self::Home,
            "end" => Self::End,
            "pageup" => Self::PageUp,
            "pagedown" => Self::PageDown,
            _ => return Err(format!("unknown key {name:?}")),
        };
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_names_case_insensitively() {
        assert_eq!("Enter".parse(), Ok(NamedKey::Enter));
        assert_eq!("ESC".parse(), Ok(NamedKey::Escape));
        assert_eq!("ArrowDown".parse(), Ok(NamedKey::ArrowDown));
        assert!("Hyper".parse::<NamedKey>().is_err());
    }
}
