//! The one module that calls Servo. Everything Servo-typed stays in here; callers get
//! [`Headless`]/[`Page`] for automation and [`run_window`] for the desktop window.

mod delegate;
mod events;
mod headless;
mod js;
mod runtime;
mod window;

pub use headless::{Headless, HeadlessOptions, Loaded, Opened, Page};
pub use window::{WindowOptions, run_window};
