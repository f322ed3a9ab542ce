//! Keyboard: the browser's shortcuts, and winit keys translated for Servo.

use servo::{Code, InputEvent, Key, KeyState, KeyboardEvent, Location, Modifiers, NamedKey};
use winit::event::{ElementState, KeyEvent};
use winit::keyboard::{Key as WinitKey, ModifiersState, NamedKey as WinitNamed};

/// What a key press means to the browser itself, before the page sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shortcut {
    FocusAddress,
    NewTab,
    CloseTab,
    NextTab,
    PreviousTab,
    Back,
    Forward,
    Reload,
    Stop,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    TogglePane,
    History,
    Bookmarks,
    ToggleBookmark,
    PrivateWindow,
    /// Reopen the tabs a crash closed (while offered), else the last tab closed.
    ReopenTab,
    Find,
    FindNext,
    FindPrevious,
    /// Fill the saved login of the page's site.
    FillLogin,
    /// The downloads list.
    Downloads,
}

pub(super) fn shortcut(event: &KeyEvent, modifiers: ModifiersState) -> Option<Shortcut> {
    if event.state != ElementState::Pressed {
        return None;
    }
    let ctrl = modifiers.control_key();
    let shift = modifiers.shift_key();
    let alt = modifiers.alt_key();
    let shortcut = match &event.logical_key {
        WinitKey::Named(WinitNamed::F5) => Shortcut::Reload,
        WinitKey::Named(WinitNamed::F3) if shift => Shortcut::FindPrevious,
        WinitKey::Named(WinitNamed::F3) => Shortcut::FindNext,
        WinitKey::Named(WinitNamed::Escape) => Shortcut::Stop,
        WinitKey::Named(WinitNamed::ArrowLeft) if alt => Shortcut::Back,
        WinitKey::Named(WinitNamed::ArrowRight) if alt => Shortcut::Forward,
        WinitKey::Named(WinitNamed::Tab) if ctrl && shift => Shortcut::PreviousTab,
        WinitKey::Named(WinitNamed::Tab) if ctrl => Shortcut::NextTab,
        WinitKey::Character(text) if ctrl => match text.to_lowercase().as_str() {
            "l" if shift => Shortcut::FillLogin,
            "y" if shift => Shortcut::Downloads,
            "l" => Shortcut::FocusAddress,
            "t" if shift => Shortcut::ReopenTab,
            "t" => Shortcut::NewTab,
            "w" => Shortcut::CloseTab,
            "r" => Shortcut::Reload,
            "a" if shift => Shortcut::TogglePane,
            "p" if shift => Shortcut::PrivateWindow,
            "o" if shift => Shortcut::Bookmarks,
            "h" => Shortcut::History,
            "f" => Shortcut::Find,
            "g" if shift => Shortcut::FindPrevious,
            "g" => Shortcut::FindNext,
            "d" => Shortcut::ToggleBookmark,
            "+" | "=" => Shortcut::ZoomIn,
            "-" | "_" => Shortcut::ZoomOut,
            "0" => Shortcut::ZoomReset,
            _ => return None,
        },
        _ => return None,
    };
    Some(shortcut)
}

/// The Servo keyboard event for a winit key event.
pub(super) fn keyboard_event(event: &KeyEvent, modifiers: ModifiersState) -> InputEvent {
    let state = match event.state {
        ElementState::Pressed => KeyState::Down,
        ElementState::Released => KeyState::Up,
    };
    let key = match &event.logical_key {
        WinitKey::Character(text) => Key::Character(text.to_string()),
        WinitKey::Named(named) => named_key(*named),
        _ => Key::Named(NamedKey::Unidentified),
    };
    let mut servo_modifiers = Modifiers::empty();
    servo_modifiers.set(Modifiers::CONTROL, modifiers.control_key());
    servo_modifiers.set(Modifiers::SHIFT, modifiers.shift_key());
    servo_modifiers.set(Modifiers::ALT, modifiers.alt_key());
    servo_modifiers.set(Modifiers::META, modifiers.super_key());
    InputEvent::Keyboard(KeyboardEvent::new_without_event(
        state,
        key,
        Code::Unidentified,
        Location::Standard,
        servo_modifiers,
        event.repeat,
        false,
    ))
}

fn named_key(named: WinitNamed) -> Key {
    let key = match named {
        WinitNamed::Space => return Key::Character(" ".to_owned()),
        WinitNamed::Enter => NamedKey::Enter,
        WinitNamed::Tab => NamedKey::Tab,
        WinitNamed::Backspace => NamedKey::Backspace,
        WinitNamed::Delete => NamedKey::Delete,
        WinitNamed::Escape => NamedKey::Escape,
        WinitNamed::ArrowUp => NamedKey::ArrowUp,
        WinitNamed::ArrowDown => NamedKey::ArrowDown,
        WinitNamed::ArrowLeft => NamedKey::ArrowLeft,
        WinitNamed::ArrowRight => NamedKey::ArrowRight,
        WinitNamed::Home => NamedKey::Home,
        WinitNamed::End => NamedKey::End,
        WinitNamed::PageUp => NamedKey::PageUp,
        WinitNamed::PageDown => NamedKey::PageDown,
        WinitNamed::Shift => NamedKey::Shift,
        WinitNamed::Control => NamedKey::Control,
        WinitNamed::Alt => NamedKey::Alt,
        WinitNamed::Insert => NamedKey::Insert,
        _ => NamedKey::Unidentified,
    };
    Key::Named(key)
}
