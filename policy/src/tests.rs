//! What the policy file says, and what it allows.

use std::path::Path;

use crate::*;

fn parse(text: &str) -> Policies {
    Policies::parse(Path::new("/etc/clef/policies.json"), text)
}

#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../docs/policies.md");
    let example = doc
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/policies.md has a JSON example");
    let policies = parse(example);
    assert!(policies.problems.is_empty(), "{:?}", policies.problems);
    assert_eq!(policies.turned_off(), vec![Feature::FormFilling]);
    assert_eq!(policies.access("intranet.example.org"), Access::Full);
    assert_eq!(policies.access("www.example.org"), Access::ReadOnly);
    assert_eq!(policies.access("elsewhere.test"), Access::Ask);
    // It names a model, which this machine does not have.
    assert!(matches!(
        policies.choose_model(None),
        Err(PolicyError::ModelMissing(..))
    ));
}

#[test]
fn a_named_model_binds_the_choice() {
    let model = std::env::temp_dir().join(format!("clef-policy-model-{}.gguf", std::process::id()));
    std::fs::write(&model, b"GGUF").unwrap();
    let text = format!(
        r#"{{"policies": {{"Models": {{"Path": {:?}}}}}}}"#,
        model.display().to_string()
    );
    let policies = parse(&text);
    assert!(policies.problems.is_empty(), "{:?}", policies.problems);
    assert_eq!(policies.choose_model(None), Ok(Some(model.clone())));
    assert_eq!(
        policies.choose_model(Some(model.clone())),
        Ok(Some(model.clone()))
    );
    assert!(matches!(
        policies.choose_model(Some(PathBuf::from("/other.gguf"))),
        Err(PolicyError::Locked(_))
    ));
    std::fs::remove_file(&model).unwrap();
    assert!(matches!(
        policies.choose_model(None),
        Err(PolicyError::ModelMissing(..))
    ));
    // A relative path is a bad value: reported, and no model is allowed.
    let bad = parse(r#"{"policies": {"Models": {"Path": "models/x.gguf"}}}"#);
    assert_eq!(bad.problems.len(), 1);
    let hash = |_: &Path| Ok("0".repeat(64));
    assert!(bad.check_model(Path::new("/any.gguf"), hash).is_err());
    // Without a named model the user's choice stands.
    assert_eq!(
        parse(r#"{"policies": {}}"#).choose_model(Some(PathBuf::from("/mine.gguf"))),
        Ok(Some(PathBuf::from("/mine.gguf")))
    );
}

#[test]
fn long_bad_values_are_cut_by_characters() {
    // A byte cut at 60 would fall inside "é" here.
    let value = format!("\"{}é long value\"", "a".repeat(58));
    let policies = parse(&format!(
        r#"{{"policies": {{"Agent": {{"MaxSteps": {value}}}}}}}"#
    ));
    assert_eq!(policies.problems.len(), 1);
    assert!(policies.problems[0].contains("…"));
}

#[test]
fn the_step_limit_binds_requests_and_lowers_the_default() {
    let policies = parse(r#"{"policies": {"Agent": {"MaxSteps": 15}}}"#);
    assert_eq!(policies.default_max_steps(20), 15);
    assert_eq!(policies.max_steps(10), Ok(10));
    assert!(matches!(
        policies.max_steps(30),
        Err(PolicyError::Locked(_))
    ));
    assert_eq!(parse(r#"{"policies": {}}"#).default_max_steps(20), 20);
}

#[test]
fn copies_of_pages_can_be_turned_off() {
    assert!(parse(r#"{"policies": {}}"#).page_cache_enabled());
    let off = parse(r#"{"policies": {"PageCache": {"Enabled": false}}}"#);
    assert!(off.problems.is_empty());
    assert!(!off.page_cache_enabled());
    assert!(!parse("not json").page_cache_enabled());
    let bad = parse(r#"{"policies": {"PageCache": {"Enabled": "no"}}}"#);
    assert_eq!(bad.problems.len(), 1);
    assert!(!bad.page_cache_enabled());
}

#[test]
fn turned_off_lists_the_features_refused() {
    let policies = parse(r#"{"policies": {"Features": {"Summary": false, "FormFilling": false}}}"#);
    assert_eq!(
        policies.turned_off(),
        vec![Feature::Summary, Feature::FormFilling]
    );
    let off = parse(r#"{"policies": {"Assistant": {"Enabled": false}}}"#);
    assert_eq!(off.turned_off(), Feature::ALL.to_vec());
    // The wrong shape restricts too, and is reported.
    let misshapen = parse(r#"{"policies": {"Assistant": false}}"#);
    assert_eq!(misshapen.turned_off(), Feature::ALL.to_vec());
    assert_eq!(misshapen.problems.len(), 1);
    assert!(parse(r#"{"policies": {}}"#).turned_off().is_empty());
}

#[test]
fn no_file_means_nothing_is_managed() {
    let policies = Policies::load_from(Path::new("/no/such/policies.json"));
    assert!(!policies.managed());
    assert_eq!(policies.check_feature(Feature::AgentActions), Ok(()));
    assert_eq!(policies.access("example.org"), Access::Full);
}

#[test]
fn a_malformed_file_fails_closed_and_says_why() {
    let policies = parse("{ \"policies\": { ");
    assert!(policies.check_assistant().is_err());
    assert_eq!(policies.access("example.org"), Access::NoAccess);
    assert!(!policies.users_may_approve());
    assert!(
        policies.problems[0].contains("not valid JSON"),
        "{:?}",
        policies.problems
    );
}

#[test]
fn unknown_keys_and_bad_values_are_reported_and_restrict() {
    let policies = parse(
        r#"{"policies": {"Features": {"Summary": "yes", "Telepathy": true},
            "DomainAccess": {"bank.example": "sometimes"}, "Agent": {"MaxSteps": -3},
            "Colour": "blue"}}"#,
    );
    let problems = policies.problems.join("\n");
    for expected in [
        "Features.Summary",
        "Features.Telepathy",
        "DomainAccess.bank.example",
        "Agent.MaxSteps",
        "\"Colour\"",
    ] {
        assert!(problems.contains(expected), "{problems}");
    }
    assert!(policies.check_feature(Feature::Summary).is_err());
    assert_eq!(policies.access("bank.example"), Access::NoAccess);
    assert_eq!(policies.max_steps(1), Ok(1));
}

#[test]
fn the_most_specific_domain_rule_wins() {
    let policies = parse(
        r#"{"policies": {"DomainAccess": {"*": "ask", "*.example.org": "read-only",
            "*.shop.example.org": "full", "admin.shop.example.org": "no-access"}}}"#,
    );
    assert_eq!(policies.access("news.org"), Access::Ask);
    assert_eq!(policies.access("www.example.org"), Access::ReadOnly);
    assert_eq!(policies.access("cart.shop.example.org"), Access::Full);
    assert_eq!(policies.access("admin.shop.example.org"), Access::NoAccess);
    assert!(
        policies
            .check_site("https://www.example.org/a", true)
            .is_err()
    );
    assert!(
        policies
            .check_site("https://www.example.org/a", false)
            .is_ok()
    );
}

#[test]
fn limits_cannot_be_raised_from_the_command_line() {
    let policies =
        parse(r#"{"policies": {"Agent": {"MaxSteps": 5, "UsersMayApproveRiskyActions": false}}}"#);
    assert_eq!(policies.max_steps(3), Ok(3));
    assert!(policies.max_steps(20).is_err());
    assert!(!policies.users_may_approve());
}

#[test]
fn site_rules_bind_every_site_a_task_touches() {
    use clef_agent::act::SiteRule;
    let policies = parse(
        r#"{"policies": {"DomainAccess": {"bank.example": "no-access", "shop.example": "ask"}}}"#,
    );
    let origins = |extra: &str| vec!["http://start.example".to_owned(), extra.to_owned()];
    // An extra allowed site the organisation forbids refuses the task before it starts.
    assert!(
        policies
            .agent_policy(
                "http://start.example/",
                origins("http://bank.example"),
                Vec::new(),
                false
            )
            .is_err()
    );
    let policy = policies
        .agent_policy(
            "http://start.example/",
            origins("http://shop.example"),
            Vec::new(),
            false,
        )
        .unwrap();
    // A redirect hop or page on a forbidden site, asked later by the engine's checks.
    assert!(matches!(
        policy.site_rules.rule("http://bank.example/login"),
        SiteRule::Refused(_)
    ));
    assert_eq!(
        policy.site_rules.rule("http://shop.example/cart"),
        SiteRule::Ask
    );
    assert_eq!(
        policy.site_rules.rule("http://start.example/"),
        SiteRule::Full
    );
}

#[test]
fn mcp_server_and_evaluate_are_managed() {
    let none = parse(r#"{"policies": {}}"#);
    assert!(none.check_mcp().is_ok());
    assert_eq!(none.mcp_evaluate(), None);
    let off = parse(r#"{"policies": {"Mcp": {"Enabled": false, "Evaluate": true}}}"#);
    assert!(off.check_mcp().is_err());
    assert_eq!(off.mcp_evaluate(), Some(true));
    assert!(none.mcp_tools_allowed() && off.mcp_tools_allowed());
    let no_tools = parse(r#"{"policies": {"Mcp": {"Tools": false}}}"#);
    assert!(!no_tools.mcp_tools_allowed() && no_tools.check_mcp().is_ok());
    let bad = parse(r#"{"policies": {"Mcp": {"Evaluate": "yes", "Tools": 1}}}"#);
    assert_eq!(bad.mcp_evaluate(), Some(false));
    assert!(
        !bad.mcp_tools_allowed(),
        "a value that is no boolean reads as off"
    );
    assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
    let closed = parse("{not json");
    assert!(closed.check_mcp().is_err());
    assert_eq!(closed.mcp_evaluate(), Some(false));
}

#[test]
fn user_scripts_are_managed() {
    let none = parse(r#"{"policies": {}}"#);
    assert!(none.user_scripts_allowed() && none.managed_user_scripts().is_none());
    let off = parse(
        r#"{"policies": {"UserScripts": {"Enabled": false, "Path": "/etc/clef/userscripts"}}}"#,
    );
    assert!(!off.user_scripts_allowed());
    assert_eq!(
        off.managed_user_scripts(),
        Some(std::path::Path::new("/etc/clef/userscripts"))
    );
    let bad = parse(r#"{"policies": {"UserScripts": {"Path": "relative"}}}"#);
    assert!(bad.managed_user_scripts().is_none() && bad.problems.len() == 1);
    assert!(!parse("{broken").user_scripts_allowed());
}

#[test]
fn history_and_memory_are_managed() {
    let none = parse(r#"{"policies": {}}"#);
    assert_eq!((none.history(), none.memory()), (None, None));
    let memory_off = parse(r#"{"policies": {"History": {"Memory": false}}}"#);
    assert_eq!(
        (memory_off.history(), memory_off.memory()),
        (None, Some(false))
    );
    let all_off = parse(r#"{"policies": {"History": {"Enabled": false, "Memory": true}}}"#);
    assert_eq!(all_off.memory(), Some(false), "no memory without history");
    let bad = parse(r#"{"policies": {"History": {"Memory": "no", "Other": 1}}}"#);
    assert_eq!(bad.memory(), Some(false));
    assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
    assert_eq!(parse("{broken").history(), Some(false));
}

#[test]
fn reading_rules_refuse_only_what_may_not_be_read() {
    use clef_agent::act::{SiteRule, SiteRules};
    let policies = parse(
        r#"{"policies": {"DomainAccess": {"ro.example": "read-only", "no.example": "no-access"}}}"#,
    );
    let reading = crate::ReadingRules(policies.clone());
    assert_eq!(reading.rule("https://ro.example/a"), SiteRule::Full);
    assert!(matches!(
        reading.rule("https://no.example/"),
        SiteRule::Refused(_)
    ));
    assert!(matches!(
        policies.rule("https://ro.example/a"),
        SiteRule::Refused(_)
    ));
}

#[test]
fn password_manager_and_downloads_policies() {
    let policies = Policies::parse(
        Path::new("/etc/clef/policies.json"),
        r#"{"policies": {
            "PasswordManager": {"Enabled": true, "ExcludedSites": ["bank.example"]},
            "Downloads": {"BlockedTypes": [".EXE", "application/x-msdownload", "video/*"]}
        }}"#,
    );
    assert!(policies.problems.is_empty(), "{:?}", policies.problems);
    assert!(policies.passwords_allowed("shop.example").is_ok());
    assert!(policies.passwords_allowed("bank.example").is_err());
    assert!(policies.passwords_allowed("www.Bank.example").is_err());
    assert!(policies.passwords_allowed("notbank.example").is_ok());
    assert!(
        policies
            .download_allowed("report.pdf", "application/pdf")
            .is_ok()
    );
    assert!(
        policies
            .download_allowed("setup.exe", "application/octet-stream")
            .is_err()
    );
    assert!(
        policies
            .download_allowed("x.bin", "application/x-msdownload")
            .is_err()
    );
    assert!(policies.download_allowed("clip.mp4", "video/mp4").is_err());

    let off = Policies::parse(
        Path::new("/etc/clef/policies.json"),
        r#"{"policies": {"PasswordManager": {"Enabled": false}, "Downloads": {"Enabled": false}}}"#,
    );
    assert!(off.passwords_allowed("shop.example").is_err());
    assert!(off.download_allowed("a.txt", "text/plain").is_err());
    assert!(
        Policies::default()
            .download_allowed("a.zip", "application/zip")
            .is_ok()
    );
}
