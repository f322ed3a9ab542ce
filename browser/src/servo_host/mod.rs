//! The one module that calls Servo. Everything Servo-typed stays in here; callers get
//! [`Headless`]/[`Page`] for automation and [`run_window`] for the desktop window.

mod cookies;
mod delegate;
mod events;
mod guard;
mod headless;
mod js;
mod runtime;
mod window;

pub use headless::{Headless, HeadlessOptions, Loaded, Opened, Page};

/// The phrases of Servo's built-in error pages (`neterror.html`, `badcert.html`).
const NET_ERROR_TITLE: &str = "Error loading page";
const NET_ERROR_PREFIX: &str = "Could not load the requested page:";
const CERT_ERROR_TITLE: &str = "Certificate error";
pub use window::{WindowOptions, run_window};
