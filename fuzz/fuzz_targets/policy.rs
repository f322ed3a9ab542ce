//! The policy loader on any text (an administrator's typo, a truncated file, hostile JSON),
//! then every question the browser asks of the result.
#![no_main]

use std::path::Path;

use clef_policy::{Feature, Policies};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let policies = Policies::parse(Path::new("/etc/clef/policies.json"), text);
    let _ = policies.turned_off();
    for feature in Feature::ALL {
        let _ = policies.check_feature(feature);
    }
    let _ = policies.check_site("https://intranet.example.org/page", true);
    let _ = policies.max_steps(20);
    let _ = policies.choose_model(None);
    let _ = policies.agent_policy(
        "https://example.org/",
        vec!["https://example.org".to_owned()],
        Vec::new(),
        false,
    );
});
