//! The assistant's glue: the local engine behind the agent's model trait, headless pages
//! behind its page trait, and the thread that serves the window's pane.

mod audit_page;
mod model;
mod page;
mod reading;
mod remote_page;
mod vault;
mod worker;

pub use audit_page::audit_page_html;
pub use model::{LocalModel, ModelStatus};
pub use page::HeadlessAccess;
pub use reading::{ReadError, read_page, reader_page_html};
pub use remote_page::{PageOp, PageRequest};
pub use vault::{KeyringVault, VaultError, kept_in_keyring};
pub use worker::{AssistantEvent, AssistantJob, AssistantWorker, ModelChoice};
