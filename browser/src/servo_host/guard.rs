//! The agent's checks inside the engine: while a task drives a tab, Servo asks before each
//! navigation, each request (every redirect hop included) and each new window, and the tab's
//! [`Egress`] answers. A tab the agent does not drive has no guard and is not touched.

use std::cell::RefCell;

use clef_agent::act::{Egress, Outgoing};
use servo::{NavigationRequest, WebResourceLoad, WebResourceResponse};

#[derive(Default)]
pub(crate) struct TabGuard {
    egress: RefCell<Option<Egress>>,
    /// Why each blocked navigation or request was blocked, until the agent reads them.
    blocked: RefCell<Vec<String>>,
}

impl TabGuard {
    /// Start checking with `egress`; `None`: the task ended (saved data it typed into the
    /// document shown stays protected until that document is replaced).
    pub(crate) fn set(&self, egress: Option<Egress>) {
        let mut current = self.egress.borrow_mut();
        *current = match egress {
            Some(mut egress) => {
                // What an earlier guard bound (a client's typing, a finished task's) stays bound.
                if let Some(old) = current.take() {
                    egress.inherit(old);
                }
                Some(egress)
            }
            None => current.take().and_then(Egress::release),
        };
        self.blocked.borrow_mut().clear();
    }

    /// Whether anything is still checked on this tab.
    pub(crate) fn active(&self) -> bool {
        self.egress.borrow().as_ref().is_some_and(Egress::active)
    }

    /// Bind `value` to `origin`; false when no task guards this tab (nothing could be bound).
    pub(crate) fn protect(&self, value: &str, origin: &str, what: &str) -> bool {
        match self.egress.borrow_mut().as_mut() {
            Some(egress) => {
                egress.protect(value, origin, what);
                true
            }
            None => false,
        }
    }

    /// Check the tab under `policy`, keeping the saved values a guard already binds here.
    pub(crate) fn resume(&self, policy: clef_agent::act::Policy) {
        let mut current = self.egress.borrow_mut();
        match current.as_mut() {
            Some(egress) => egress.resume(policy),
            None => *current = Some(Egress::new(policy)),
        }
    }

    /// `text` with the saved values this tab's guard binds replaced by what they are.
    pub(crate) fn redact(&self, text: &str) -> String {
        match self.egress.borrow().as_ref() {
            Some(egress) => egress.redact(text),
            None => text.to_owned(),
        }
    }

    /// Whether saved data typed by the agent sits in the document shown.
    pub(crate) fn holds_saved_data(&self) -> bool {
        self.egress
            .borrow()
            .as_ref()
            .is_some_and(Egress::holds_saved_data)
    }

    pub(crate) fn take_blocked(&self) -> Vec<String> {
        std::mem::take(&mut *self.blocked.borrow_mut())
    }

    fn block(&self, what: String) {
        tracing::info!(%what, "blocked for the agent's task");
        self.blocked.borrow_mut().push(what);
    }

    /// A new document started loading in the tab.
    pub(crate) fn document_started(&self) {
        let mut current = self.egress.borrow_mut();
        if let Some(egress) = current.as_mut() {
            egress.document_replaced();
            if !egress.active() {
                *current = None;
            }
        }
    }

    /// The tab shows a document at `url` (a navigation committed).
    pub(crate) fn landed(&self, url: &url::Url) {
        let verdict = match self.egress.borrow_mut().as_mut() {
            Some(egress) => egress.landed(url),
            None => Ok(()),
        };
        if let Err(why) = verdict {
            self.block(format!(
                "a redirect led the tab to {}: {why}; nothing more is loaded there",
                shown(url)
            ));
        }
    }

    pub(crate) fn navigation(&self, request: NavigationRequest) {
        let verdict = match self.egress.borrow().as_ref() {
            Some(egress) => egress.check_navigation(&request.url),
            None => Ok(()),
        };
        match verdict {
            Ok(()) => request.allow(),
            Err(why) => {
                self.block(format!("going to {}: {why}", shown(&request.url)));
                request.deny();
            }
        }
    }

    /// Let `load` go on or cancel it; false when it was cancelled.
    pub(crate) fn resource(&self, load: WebResourceLoad) -> bool {
        let verdict = match self.egress.borrow().as_ref() {
            Some(egress) => egress.check_request(Outgoing {
                method: load.request.method.as_str(),
                url: &load.request.url,
                document: load.request.is_for_main_frame,
                redirect: load.request.is_redirect,
            }),
            None => Ok(()),
        };
        // Dropping the load lets it go on unchanged.
        if let Err(why) = verdict {
            let what = if load.request.is_redirect {
                format!("a redirect from {}", shown(&load.request.url))
            } else {
                format!("{} {}", load.request.method, shown(&load.request.url))
            };
            self.block(format!("{what}: {why}"));
            let url = load.request.url.clone();
            load.intercept(WebResourceResponse::new(url)).cancel();
            return false;
        }
        true
    }

    /// A page asked for a new window (`window.open`, `target=_blank`): never while driven.
    pub(crate) fn new_window_refused(&self) -> bool {
        let driven = self.active();
        if driven {
            self.block("opening a new window: the agent works in its own tab".to_owned());
        }
        driven
    }
}

/// An address for a message: its origin only (a path or query may hold saved data).
fn shown(url: &url::Url) -> String {
    match url.scheme() {
        "http" | "https" => url.origin().ascii_serialization(),
        scheme => format!("a {scheme}: address"),
    }
}
