//! Acting on pages: a task in plain words carried out step by step with real input events.
//!
//! The model decides: each step it reads the task, the steps so far and an outline of the page
//! with refs (`observe`), and writes one action as JSON under a grammar built from that page
//! (`decide`). The form rules (`candidates`) only suggest — and, for a model too small to read a
//! page, narrow the choice to their best few. Secrets stay out of the model's hands
//! (placeholders), "done" is checked against the page (`verify`), and every step passes the
//! safety policy and lands in the audit log.

pub mod action;
pub mod approval;
pub mod audit;
pub mod candidates;
pub mod changes;
pub mod decide;
pub mod egress;
pub mod grammar;
pub mod mask;
pub mod observe;
pub mod page;
pub mod perform;
pub mod plan;
pub mod repeats;
pub mod reply;
pub mod report;
pub mod run;
pub mod safety;
pub mod secrets;
pub mod task;
pub mod tools;
pub mod verify;

pub use action::Action;
pub use approval::{Approver, PolicyApprover};
pub use audit::{AuditLog, AuditRecord};
pub use decide::Guidance;
pub use egress::{Egress, Outgoing};
pub use page::ActPage;
pub use report::{ActError, Outcome, Status, StepRecord};
pub use run::{RunOptions, run};
pub use safety::{Confirm, NoSiteRules, Policy, SiteRule, SiteRules, Verdict, origin_of};
pub use secrets::Vault;
pub use task::Task;
pub use tools::{ToolApproval, ToolSpec, Toolbox};
