//! User scripts: per-site scripts from a folder of the profile (and one the organisation ships),
//! each with a Greasemonkey-style header (`// ==UserScript==`, `@name`, `@match`,
//! `@exclude-match`, `@run-at document-start|document-end`), wrapped so that it runs only on the
//! pages it matches. The browser installs the wrapped scripts in every tab.

mod pattern;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use pattern::MatchPattern;

/// When a script runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAt {
    /// Before the page's own scripts.
    DocumentStart,
    /// Once the document is parsed (the default, as in Greasemonkey and Tampermonkey).
    DocumentEnd,
}

#[derive(Debug, Clone)]
pub struct UserScript {
    pub name: String,
    pub path: PathBuf,
    pub matches: Vec<MatchPattern>,
    pub excludes: Vec<MatchPattern>,
    pub run_at: RunAt,
    /// Shipped by the organisation: always on, never toggled by the user.
    pub managed: bool,
    pub enabled: bool,
    source: String,
}

/// A folder of scripts and whether it is the organisation's.
#[derive(Debug, Clone)]
pub struct Folder {
    pub path: PathBuf,
    pub managed: bool,
}

/// Scripts found, and the files that could not be used (a sentence each).
#[derive(Debug, Default)]
pub struct Found {
    pub scripts: Vec<UserScript>,
    pub problems: Vec<String>,
}

/// The header's fields of `source`, or why it cannot be used.
pub fn parse(source: &str, path: &Path, managed: bool) -> Result<UserScript, String> {
    let file = path.display();
    let start = source
        .find("// ==UserScript==")
        .ok_or_else(|| format!("{file}: no // ==UserScript== header"))?;
    let end = source[start..]
        .find("// ==/UserScript==")
        .map(|at| start + at)
        .ok_or_else(|| format!("{file}: the header has no // ==/UserScript== end"))?;
    let mut name = None;
    let (mut matches, mut excludes) = (Vec::new(), Vec::new());
    let mut run_at = RunAt::DocumentEnd;
    for line in source[start..end].lines() {
        let Some(field) = line.trim().strip_prefix("//") else {
            continue;
        };
        let field = field.trim();
        let (key, value) = field.split_once(char::is_whitespace).unwrap_or((field, ""));
        let value = value.trim();
        match key {
            "@name" => name = Some(value.to_owned()),
            "@match" | "@include" => {
                matches.push(MatchPattern::parse(value).map_err(|why| format!("{file}: {why}"))?)
            }
            "@exclude-match" | "@exclude" => {
                excludes.push(MatchPattern::parse(value).map_err(|why| format!("{file}: {why}"))?)
            }
            "@run-at" => {
                run_at = match value {
                    "document-start" => RunAt::DocumentStart,
                    "document-end" | "document-idle" => RunAt::DocumentEnd,
                    other => return Err(format!("{file}: unknown @run-at {other:?}")),
                }
            }
            _ => {}
        }
    }
    let name = name
        .filter(|name| !name.is_empty())
        .or_else(|| {
            path.file_stem()
                .and_then(|stem| stem.to_str())
                .map(str::to_owned)
        })
        .ok_or_else(|| format!("{file}: no @name"))?;
    if matches.is_empty() {
        return Err(format!("{file}: no @match: say which pages it is for"));
    }
    Ok(UserScript {
        name,
        path: path.to_owned(),
        matches,
        excludes,
        run_at,
        managed,
        enabled: true,
        source: source.to_owned(),
    })
}

/// Every `*.user.js` in `folders`, in name order; the user's scripts named in `disabled` are
/// marked off (the organisation's cannot be).
pub fn load(folders: &[Folder], disabled: &HashSet<String>) -> Found {
    let mut found = Found::default();
    for folder in folders {
        let entries = match std::fs::read_dir(&folder.path) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                found
                    .problems
                    .push(format!("{}: {error}", folder.path.display()));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.to_string_lossy().ends_with(".user.js"))
            .collect();
        paths.sort();
        for path in paths {
            let source = match std::fs::read_to_string(&path) {
                Ok(source) => source,
                Err(error) => {
                    found.problems.push(format!("{}: {error}", path.display()));
                    continue;
                }
            };
            match parse(&source, &path, folder.managed) {
                Ok(mut script) => {
                    script.enabled = folder.managed || !disabled.contains(&script.name);
                    found.scripts.push(script);
                }
                Err(problem) => found.problems.push(problem),
            }
        }
    }
    found
}

impl UserScript {
    /// Whether it runs on `url`.
    pub fn runs_on(&self, url: &url::Url) -> bool {
        self.enabled
            && self.matches.iter().any(|pattern| pattern.matches(url))
            && !self.excludes.iter().any(|pattern| pattern.matches(url))
    }

    /// The script as installed in every page: it tests the page's address against its patterns
    /// first, waits for the document to be parsed if it runs at document end, and an error in
    /// it stays in it (logged to the console, never stopping the page or the other scripts).
    pub fn wrapped(&self) -> String {
        let regexes = |patterns: &[MatchPattern]| -> String {
            let sources: Vec<String> = patterns.iter().map(MatchPattern::regex).collect();
            serde_json::to_string(&sources).unwrap_or_else(|_| "[]".to_owned())
        };
        let name = serde_json::to_string(&self.name).unwrap_or_else(|_| "\"script\"".to_owned());
        let at_end = self.run_at == RunAt::DocumentEnd;
        format!(
            "(() => {{\n\
             const href = String(location.href).split('#')[0];\n\
             const test = (list) => list.some((source) => new RegExp(source).test(href));\n\
             if (!test({matches}) || test({excludes})) return;\n\
             const run = () => {{ try {{\n{source}\n}} catch (error) {{ console.error('user script ' + {name} + ': ' + error); }} }};\n\
             if ({at_end} && document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run, {{ once: true }});\n\
             else run();\n\
             }})();",
            matches = regexes(&self.matches),
            excludes = regexes(&self.excludes),
            source = self.source,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "// ==UserScript==\n// @name        Bigger text\n// @match       https://*.example.org/*\n// @exclude-match https://example.org/admin/*\n// @run-at      document-start\n// ==/UserScript==\ndocument.documentElement.style.fontSize = '120%';\n";

    #[test]
    fn the_header_says_where_and_when() {
        let script = parse(SCRIPT, Path::new("/s/big.user.js"), false).unwrap();
        assert_eq!(script.name, "Bigger text");
        assert_eq!(script.run_at, RunAt::DocumentStart);
        let url = |text: &str| url::Url::parse(text).unwrap();
        assert!(script.runs_on(&url("https://www.example.org/page")));
        assert!(!script.runs_on(&url("https://example.org/admin/users")));
        assert!(!script.runs_on(&url("https://example.com/")));
        let wrapped = script.wrapped();
        assert!(wrapped.contains("fontSize") && wrapped.contains("new RegExp"));
    }

    #[test]
    fn scripts_without_a_header_or_a_match_are_refused_with_a_reason() {
        let path = Path::new("/s/x.user.js");
        assert!(
            parse("alert(1)", path, false)
                .unwrap_err()
                .contains("header")
        );
        let no_match = "// ==UserScript==\n// @name x\n// ==/UserScript==\n";
        assert!(parse(no_match, path, false).unwrap_err().contains("@match"));
        let bad = "// ==UserScript==\n// @match example.org\n// ==/UserScript==\n";
        assert!(parse(bad, path, false).is_err());
    }

    #[test]
    fn the_user_disables_their_own_scripts_not_the_organisations() {
        let dir = std::env::temp_dir().join(format!("clef-userscripts-{}", std::process::id()));
        let (mine, theirs) = (dir.join("mine"), dir.join("theirs"));
        std::fs::create_dir_all(&mine).unwrap();
        std::fs::create_dir_all(&theirs).unwrap();
        std::fs::write(mine.join("big.user.js"), SCRIPT).unwrap();
        std::fs::write(theirs.join("big.user.js"), SCRIPT).unwrap();
        std::fs::write(mine.join("broken.user.js"), "oops").unwrap();
        std::fs::write(mine.join("notes.txt"), "not a script").unwrap();
        let disabled = HashSet::from(["Bigger text".to_owned()]);
        let found = load(
            &[
                Folder {
                    path: theirs,
                    managed: true,
                },
                Folder {
                    path: mine,
                    managed: false,
                },
                Folder {
                    path: dir.join("missing"),
                    managed: false,
                },
            ],
            &disabled,
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.scripts.len(), 2);
        assert!(found.scripts[0].managed && found.scripts[0].enabled);
        assert!(!found.scripts[1].managed && !found.scripts[1].enabled);
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
    }
}
