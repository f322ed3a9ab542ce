//! Acting on pages: a task in plain words carried out step by step with real input events.
//!
//! A small local model is made reliable by giving it few choices: the task's words, values and
//! saved data are matched to the page's elements first (`candidates`), and the model only picks
//! a number from that short list under a grammar. Secrets stay out of its hands (placeholders),
//! and every step passes the safety policy and lands in the audit log.

pub mod action;
pub mod audit;
pub mod candidates;
pub mod run;
pub mod safety;
pub mod secrets;
pub mod task;

pub use action::Action;
pub use audit::{AuditLog, AuditRecord};
pub use run::{
    ActError, ActPage, Approver, Chooser, Outcome, PolicyApprover, RunOptions, Status, StepRecord,
    run,
};
pub use safety::{Confirm, Policy, Verdict, origin_of};
pub use secrets::Vault;
pub use task::Task;
