//! The privileged bridge between the chrome page and the embedder: commands in, state out.

use serde::{Deserialize, Serialize};

/// Console messages from the chrome view that start with this are commands.
pub(super) const COMMAND_PREFIX: &str = "clef:";

#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub(super) enum Command {
    Navigate {
        text: String,
    },
    Back,
    Forward,
    Reload,
    Stop,
    NewTab,
    CloseTab {
        index: usize,
    },
    SwitchTab {
        index: usize,
    },
    TogglePane,
    FocusContent,
    /// Summarize the active tab.
    Summarize,
    /// A question about the active tab, about every open tab, or about pages read before
    /// (`history`: the local memory).
    Ask {
        question: String,
        #[serde(default)]
        all_tabs: bool,
        #[serde(default)]
        history: bool,
    },
    /// The star: bookmark the active page or remove its bookmark.
    ToggleBookmark,
    /// Open Clef's history, bookmarks or settings page.
    OpenLibrary {
        view: String,
    },
    /// Reopen the tabs of the run that crashed, or leave them.
    RestoreSession,
    DismissRestore,
    /// A private window (its own process, nothing written to disk).
    OpenPrivate,
    /// Find `text` in the active page (Ctrl+F), step to the next or previous match, or close.
    Find {
        text: String,
        #[serde(default)]
        match_case: bool,
    },
    FindStep {
        forward: bool,
    },
    FindClose,
    /// What the user types in the address bar, for suggestions.
    Suggest {
        text: String,
    },
    /// The answer to "Save the password?": save, never for this site, or not now.
    SaveLogin,
    NeverSaveLogin,
    DismissLogin,
    /// Fill the saved login of the active page's site.
    FillLogin,
    /// Stop the assistant's generation.
    StopAssistant,
    /// Show the passage a point cites.
    Cite {
        source: usize,
        passage: usize,
    },
    /// Open the active tab's article in reader view.
    Reader,
    /// Carry out a task on the active tab.
    Act {
        task: String,
    },
    /// The user's answer to a risky step of a task (`always`: for a tool, from now on).
    Approve {
        allow: bool,
        #[serde(default)]
        always: bool,
    },
    /// Open the agent's audit log in a tab.
    Audit,
    /// Pause a task (the user takes over) or let it go on.
    Pause,
    Resume,
    /// Pause the MCP clients driving the window (the user takes over) or let them go on.
    PauseClients,
    ResumeClients,
    /// The user's answer to a page's dialog or `<select>`, from the pane.
    Answer {
        accept: bool,
        #[serde(default)]
        value: Option<String>,
        #[serde(default)]
        selected: Vec<usize>,
    },
}

impl Command {
    /// Parse a console message; anything not a well-formed command is ignored.
    pub fn from_console(message: &str) -> Option<Self> {
        serde_json::from_str(message.strip_prefix(COMMAND_PREFIX)?).ok()
    }
}

/// Commands from Clef's library page (history, bookmarks, settings) in a tab.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub(super) enum LibraryCommand {
    Show {
        view: String,
    },
    SearchHistory {
        query: String,
    },
    DeleteVisit {
        url: String,
    },
    /// `hour`, `day` or `all`.
    ClearHistory {
        since: String,
    },
    Open {
        url: String,
    },
    RemoveBookmark {
        id: i64,
    },
    MoveBookmark {
        id: i64,
        parent: Option<i64>,
    },
    AddFolder {
        title: String,
    },
    ImportBookmarks {
        path: String,
    },
    ExportBookmarks {
        path: String,
    },
    SaveSettings {
        settings: SettingsForm,
    },
    ClearSiteData,
}

impl LibraryCommand {
    pub fn from_console(message: &str) -> Option<Self> {
        serde_json::from_str(message.strip_prefix(COMMAND_PREFIX)?).ok()
    }
}

/// The settings page's form.
#[derive(Debug, Deserialize, PartialEq)]
pub(super) struct SettingsForm {
    pub history: bool,
    pub memory: bool,
    pub restore_session: bool,
    #[serde(default)]
    pub memory_exclude: Vec<String>,
    #[serde(default)]
    pub model_path: String,
    pub threads: Option<i32>,
    pub gpu_layers: Option<u32>,
    pub context: Option<u32>,
}

/// An address-bar suggestion, as the chrome shows it.
#[derive(Debug, Serialize)]
pub(super) struct SuggestionState {
    pub url: String,
    pub title: String,
    pub bookmarked: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct TabState {
    pub title: String,
    pub url: String,
    pub loading: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChromeState {
    pub tabs: Vec<TabState>,
    pub active: usize,
    pub url: String,
    pub loading: bool,
    pub can_back: bool,
    pub can_forward: bool,
    pub pane_open: bool,
    /// Set when the active tab shows a saved copy instead of the unreachable page.
    pub saved_copy: Option<String>,
    /// A private window: marked, and nothing it does is kept.
    pub private: bool,
    /// The active page has a bookmark (the star is filled).
    pub bookmarked: bool,
    /// Whether the active page can be bookmarked (a web page or file, not in a private window).
    pub can_bookmark: bool,
    /// The last run crashed: offer its tabs.
    pub restore_offer: Option<usize>,
    /// "Save the password for … on …?" after the user signed in by hand.
    pub login_offer: Option<String>,
    /// The user name of the login saved for the active page's site (the key fills it).
    pub saved_login: Option<String>,
    /// The newest download.
    pub download: Option<super::view::DownloadBar>,
}

impl ChromeState {
    /// The script that hands this state to the chrome page.
    pub fn render_script(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned());
        format!("window.clefRender && window.clefRender({json})")
    }
}

/// A page's question for the pane to show (`kind`: alert, confirm, prompt, select, color, file,
/// menu or date).
#[derive(Debug, Default, Serialize)]
pub(super) struct Question {
    pub kind: &'static str,
    pub message: String,
    pub value: String,
    pub options: Vec<Choice>,
    /// A file picker that takes several files.
    pub multiple: bool,
    /// A date picker: the input's type (date, time, datetime-local, month, week) and bounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<DateField>,
}

/// What a page's date or time input allows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct DateField {
    #[serde(rename = "type")]
    pub input_type: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Choice {
    pub id: usize,
    pub label: String,
    pub disabled: bool,
    /// The optgroup this option opens, if it is the first of one.
    pub group: Option<String>,
}

impl Question {
    pub fn render_script(question: Option<&Self>) -> String {
        let json = serde_json::to_string(&question).unwrap_or_else(|_| "null".to_owned());
        format!("window.clefAsk && window.clefAsk({json})")
    }
}

/// A `data:` URL for an embedded page, so the UI needs no files at run time.
pub(super) fn data_url(html: &str) -> String {
    let mut url = String::from("data:text/html;charset=utf-8,");
    for byte in html.bytes() {
        if byte.is_ascii_alphanumeric() || b" -_.~".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// A local page explaining why an address could not be opened.
pub(super) fn error_page(input: &str, message: &str) -> String {
    let escape = crate::assistant::escape_html;
    data_url(&format!(
        "<!doctype html><meta charset=utf-8><title>Cannot open {input}</title>\
         <body style=\"font:16px sans-serif;margin:3em;color:#222\">\
         <h1 style=\"font-size:22px\">Clef cannot open this address</h1>\
         <p><code>{input}</code></p><p>{message}</p>\
         <p style=\"color:#666\">Type a URL (https://…), a host name (example.org) or a file path \
         (/home/…). Clef never sends what you type to a search engine.</p>",
        input = escape(input),
        message = escape(message),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_ignores_everything_else() {
        assert_eq!(
            Command::from_console(r#"clef:{"cmd":"navigate","text":"example.org"}"#),
            Some(Command::Navigate {
                text: "example.org".to_owned()
            })
        );
        assert_eq!(
            Command::from_console(r#"clef:{"cmd":"close_tab","index":2}"#),
            Some(Command::CloseTab { index: 2 })
        );
        assert_eq!(
            Command::from_console(r#"clef:{"cmd":"answer","accept":true,"selected":[3]}"#),
            Some(Command::Answer {
                accept: true,
                value: None,
                selected: vec![3]
            })
        );
        assert_eq!(Command::from_console(r#"{"cmd":"back"}"#), None);
        assert_eq!(
            LibraryCommand::from_console(r#"clef:{"cmd":"clear_history","since":"hour"}"#),
            Some(LibraryCommand::ClearHistory {
                since: "hour".to_owned()
            })
        );
        assert_eq!(
            LibraryCommand::from_console(r#"clef:{"cmd":"navigate","text":"x"}"#),
            None
        );
        assert_eq!(Command::from_console(r#"clef:{"cmd":"format_disk"}"#), None);
    }

    #[test]
    fn data_urls_escape_markup() {
        let url = data_url("<p>a&b</p>");
        assert_eq!(url, "data:text/html;charset=utf-8,%3Cp%3Ea%26b%3C%2Fp%3E");
        assert!(error_page("<script>", "x").contains("%26lt%3Bscript%26gt%3B"));
    }
}
