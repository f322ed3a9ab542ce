//! The user scripts this profile runs: the organisation's folder (`UserScripts.Path`), then the
//! user's own (`$XDG_DATA_HOME/clef/userscripts`, unless the policy turns them off), less those
//! the user switched off (`$XDG_CONFIG_HOME/clef/userscripts-disabled`, a name a line).

use std::collections::HashSet;
use std::path::PathBuf;

use clef_extensions::userscripts::{self, Folder, Found};
use clef_policy::Policies;

/// Where the user puts their scripts.
pub fn user_folder() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("clef").join("userscripts"))
}

fn disabled_file() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("clef").join("userscripts-disabled"))
}

fn disabled() -> HashSet<String> {
    disabled_file()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every script of the profile, on or off, and the files that could not be used.
pub fn found(policies: &Policies) -> Found {
    let mut folders = Vec::new();
    if let Some(path) = policies.managed_user_scripts() {
        folders.push(Folder {
            path: path.to_path_buf(),
            managed: true,
        });
    }
    if policies.user_scripts_allowed()
        && let Some(path) = user_folder()
    {
        folders.push(Folder {
            path,
            managed: false,
        });
    }
    userscripts::load(&folders, &disabled())
}

/// Switch the user's script `name` on or off (the organisation's cannot be).
pub fn set_enabled(policies: &Policies, name: &str, enabled: bool) -> Result<(), String> {
    let found = found(policies);
    // The user's own script of that name first: an organisation's of the same name is not it.
    let named = |managed: bool| {
        found
            .scripts
            .iter()
            .find(|script| script.name == name && script.managed == managed)
    };
    let Some(script) = named(false).or_else(|| named(true)) else {
        return Err(format!(
            "no user script named {name:?} (see `clef scripts list`)"
        ));
    };
    if script.managed {
        return Err(format!(
            "{name:?} is your organisation's: it cannot be switched off"
        ));
    }
    let path = disabled_file().ok_or("no config folder ($XDG_CONFIG_HOME or $HOME)")?;
    let mut names = disabled();
    if enabled {
        names.remove(name);
    } else {
        names.insert(name.to_owned());
    }
    let mut lines: Vec<String> = names.into_iter().collect();
    lines.sort();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| error.to_string())?;
    }
    std::fs::write(&path, lines.join("\n") + "\n")
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}
