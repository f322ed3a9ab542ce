//! `clef scripts`: the profile's user scripts, listed and switched on or off.

#[derive(clap::Subcommand)]
pub enum ScriptsCommand {
    /// Every user script: name, pages, when it runs, on or off, whose it is.
    List,
    /// Switch one of your user scripts on.
    Enable { name: String },
    /// Switch one of your user scripts off.
    Disable { name: String },
}

pub fn scripts(command: &ScriptsCommand) -> anyhow::Result<()> {
    use clef_browser::user_scripts;
    let policies = clef_browser::policies::load();
    crate::policy_notes(&policies);
    match command {
        ScriptsCommand::List => {
            let found = user_scripts::found(&policies);
            if let Some(folder) = user_scripts::user_folder() {
                println!("your scripts: {} (*.user.js)", folder.display());
            }
            if !policies.user_scripts_allowed() {
                println!("your organisation's policy turns your own scripts off");
            }
            for script in &found.scripts {
                let patterns: Vec<&str> = script.matches.iter().map(|p| p.as_str()).collect();
                println!(
                    "{} {}  [{}]  {}  {}{}",
                    if script.enabled { "on " } else { "off" },
                    script.name,
                    patterns.join(" "),
                    match script.run_at {
                        clef_extensions::userscripts::RunAt::DocumentStart => "document-start",
                        clef_extensions::userscripts::RunAt::DocumentEnd => "document-end",
                    },
                    script.path.display(),
                    if script.managed { "  (managed)" } else { "" }
                );
            }
            for problem in &found.problems {
                println!("not used: {problem}");
            }
            Ok(())
        }
        ScriptsCommand::Enable { name } => {
            user_scripts::set_enabled(&policies, name, true).map_err(anyhow::Error::msg)
        }
        ScriptsCommand::Disable { name } => {
            user_scripts::set_enabled(&policies, name, false).map_err(anyhow::Error::msg)
        }
    }
}
