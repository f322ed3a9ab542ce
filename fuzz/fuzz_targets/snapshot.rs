//! A page snapshot as the page script returns it (any JSON text), then everything the agent
//! derives from it: masking, the outline, field kinds, hints and the grammar.
#![no_main]

use clef_agent::act::{Task, candidates, changes, grammar, observe};
use clef_agent::page::{PageAccess, PageError};
use clef_agent::snapshot::Snapshotter;
use libfuzzer_sys::fuzz_target;

/// A page whose snapshot script returns the fuzzer's bytes.
struct Replay(String);

impl PageAccess for Replay {
    fn evaluate(&mut self, _script: &str) -> Result<serde_json::Value, PageError> {
        Ok(serde_json::Value::String(self.0.clone()))
    }

    fn url(&self) -> Option<String> {
        None
    }
}

fuzz_target!(|text: &str| {
    let Ok(snapshot) = Snapshotter::new().take(&mut Replay(text.to_owned())) else {
        return;
    };
    let task = Task::new("log in as 'alice' then search for « café »");
    let _ = observe::outline(&snapshot, &task, 300);
    let _ = changes::changes(&snapshot, &snapshot, &[]);
    let _ = candidates::field_kinds(&snapshot);
    let _ = grammar::open_grammar(&snapshot, true, &[], 2);
});
