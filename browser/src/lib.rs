//! Clef's browser: the Servo embedder behind the `clef` binary.
//!
//! Owns the winit window (tabs, address bar, agent pane) and the headless mode (offscreen
//! software rendering) that tests, the CLI and the agent drive. Every Servo call lives in
//! [`servo_host`]; the rest of the workspace sees only [`Headless`], [`Page`] and plain data,
//! so a Servo upgrade touches one module. It must not contain page-understanding or model logic:
//! that belongs to `agent` and `engine-gpu`.

pub mod address;
pub mod assistant;
pub mod config;
pub mod downloads;
pub mod edition;
pub mod error;
pub mod keys;
pub mod mcp_host;
pub mod model_advice;
pub mod model_discovery;
pub mod model_pull;
pub mod page_cache;
pub mod places;
pub mod policies;
mod servo_host;
pub mod user_scripts;
pub mod utc;

pub use error::BrowserError;
pub use servo_host::{Headless, HeadlessOptions, Loaded, Opened, Page, WindowOptions, run_window};
