//! Real input events for Servo's input path (not synthetic JS events).

use servo::{
    DevicePoint, InputEvent, Key, KeyState, KeyboardEvent, MouseButton, MouseButtonAction,
    MouseButtonEvent, MouseMoveEvent, NamedKey as ServoKey, WheelDelta, WheelEvent, WheelMode,
};

use crate::keys::NamedKey;

pub(crate) fn mouse_move(point: DevicePoint) -> InputEvent {
    InputEvent::MouseMove(MouseMoveEvent::new(point.into()))
}

pub(crate) fn mouse_button(action: MouseButtonAction, point: DevicePoint) -> InputEvent {
    InputEvent::MouseButton(MouseButtonEvent::new(
        action,
        MouseButton::Primary,
        point.into(),
    ))
}

/// The secondary (right) button: a page's context menu.
pub(crate) fn secondary_button(action: MouseButtonAction, point: DevicePoint) -> InputEvent {
    InputEvent::MouseButton(MouseButtonEvent::new(
        action,
        MouseButton::Secondary,
        point.into(),
    ))
}

/// A primary-button click: move there, press, release.
pub(crate) fn click(point: DevicePoint) -> [InputEvent; 3] {
    [
        mouse_move(point),
        mouse_button(MouseButtonAction::Down, point),
        mouse_button(MouseButtonAction::Up, point),
    ]
}

pub(crate) fn wheel(point: DevicePoint, dx: f64, dy: f64) -> InputEvent {
    // Servo's delta: positive reveals content above/left, the opposite of "scroll down".
    let delta = WheelDelta {
        x: -dx,
        y: -dy,
        z: 0.0,
        mode: WheelMode::DeltaPixel,
    };
    InputEvent::Wheel(WheelEvent::new(delta, point.into()))
}

/// Key down and up for one key.
pub(crate) fn key_press(key: Key) -> [InputEvent; 2] {
    [
        InputEvent::Keyboard(KeyboardEvent::from_state_and_key(
            KeyState::Down,
            key.clone(),
        )),
        InputEvent::Keyboard(KeyboardEvent::from_state_and_key(KeyState::Up, key)),
    ]
}

/// Key events that type `text`, one character at a time; newlines press Enter.
pub(crate) fn typing(text: &str) -> Vec<InputEvent> {
    text.chars()
        .flat_map(|c| match c {
            '\n' => key_press(Key::Named(ServoKey::Enter)),
            '\t' => key_press(Key::Named(ServoKey::Tab)),
            c => key_press(Key::Character(c.to_string())),
        })
        .collect()
}

pub(crate) fn servo_key(key: NamedKey) -> Key {
    match key {
        NamedKey::Enter => Key::Named(ServoKey::Enter),
        NamedKey::Tab => Key::Named(ServoKey::Tab),
        NamedKey::Backspace => Key::Named(ServoKey::Backspace),
        NamedKey::Delete => Key::Named(ServoKey::Delete),
        NamedKey::Escape => Key::Named(ServoKey::Escape),
        NamedKey::Space => Key::Character(" ".to_owned()),
        NamedKey::ArrowUp => Key::Named(ServoKey::ArrowUp),
        NamedKey::ArrowDown => Key::Named(ServoKey::ArrowDown),
        NamedKey::ArrowLeft => Key::Named(ServoKey::ArrowLeft),
        NamedKey::ArrowRight => Key::Named(ServoKey::ArrowRight),
        NamedKey::Home => Key::Named(ServoKey::Home),
        NamedKey::End => Key::Named(ServoKey::End),
        NamedKey::PageUp => Key::Named(ServoKey::PageUp),
        NamedKey::PageDown => Key::Named(ServoKey::PageDown),
    }
}

/// Answer a page's dialog nobody can: alert acknowledged, confirm and prompt refused. Its
/// message.
pub(crate) fn answer_safely(dialog: servo::SimpleDialog) -> String {
    use servo::SimpleDialog;
    match dialog {
        SimpleDialog::Alert(alert) => {
            let message = alert.message().to_owned();
            alert.confirm();
            message
        }
        SimpleDialog::Confirm(confirm) => {
            let message = confirm.message().to_owned();
            confirm.dismiss();
            message
        }
        SimpleDialog::Prompt(prompt) => {
            let message = prompt.message().to_owned();
            prompt.dismiss();
            message
        }
    }
}
