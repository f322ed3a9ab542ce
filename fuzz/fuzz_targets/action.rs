//! The model's reply (any text) parsed as an action against a small page.
#![no_main]

use clef_agent::act::reply;
use clef_agent::snapshot::{Node, Snapshot};
use libfuzzer_sys::fuzz_target;

fn page() -> Snapshot {
    let node = |id: u64, kind: &str, name: &str| Node {
        kind: kind.into(),
        id: Some(id),
        name: Some(name.into()),
        ..Node::default()
    };
    let mut select = node(3, "combobox", "Country");
    select.options = vec!["France".into(), "Deutschland".into()];
    Snapshot {
        url: "http://127.0.0.1:8000/".into(),
        title: "Form".into(),
        viewport: [800.0, 600.0],
        scroll: [0.0, 0.0],
        nodes: vec![
            node(1, "textbox", "Email"),
            node(2, "button", "Send"),
            select,
        ],
    }
}

fuzz_target!(|text: &str| {
    let snapshot = page();
    if let Ok((action, _reason)) = reply::parse(text, &snapshot) {
        // What parses must print and parse back to the same action.
        let again = reply::parse(&reply::to_json(&action), &snapshot);
        assert_eq!(again.map(|(action, _)| action), Ok(action));
    }
});
