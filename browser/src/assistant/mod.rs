//! The assistant's glue: the local engine behind the agent's model trait, headless pages
//! behind its page trait, and the thread that serves the window's pane.

mod audit_page;
mod model;
mod page;
mod reading;
mod remote_page;
mod tools;
mod vault;
mod worker;

pub use audit_page::{audit_field, audit_page_html, audit_time};
pub use model::{LocalModel, ModelStatus, options_for};
pub use page::HeadlessAccess;
pub use reading::{ReadError, read_page, reader_page_html};
pub use remote_page::{Checks, PageOp, PageRequest, RemotePage, TabKey};
pub use tools::{McpTools, connect_tools};
pub use vault::{SecretsVault, VaultError, kept_in_keyring};
/// Where the agent's audit log goes unless a policy or the user says otherwise.
pub fn default_audit_path() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|dir| dir.join("clef").join("audit.jsonl"))
}

/// Text made safe to put inside HTML elements and quoted attributes.
pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub use worker::{AssistantEvent, AssistantJob, AssistantWorker, ModelChoice, SecretsPlace};
