//! Who says yes to a risky step or a tool call: the user in the window, the policy headless.

use super::safety::Confirm;
use super::tools::{self, ToolApproval};

/// Asks the user about a risky step; headless, the policy answers.
pub trait Approver {
    fn approve(&mut self, step: &str, reason: &str) -> bool;

    /// Asks the user about a call of `tool` (the step says with what); where the user can
    /// answer "always", the answer may be that.
    fn approve_tool(&mut self, step: &str, tool: &str) -> ToolApproval {
        if self.approve(step, &tools::approval_reason(tool)) {
            ToolApproval::Once
        } else {
            ToolApproval::No
        }
    }
}

/// Headless approval: `Confirm::Allow` says yes, anything else no.
pub struct PolicyApprover(pub Confirm);

impl Approver for PolicyApprover {
    fn approve(&mut self, _step: &str, _reason: &str) -> bool {
        self.0 == Confirm::Allow
    }
}
