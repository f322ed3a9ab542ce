//! Page understanding and acting: DOM → compact snapshot with stable element ids, reader
//! extraction, summaries and questions, the action loop and its safety policy.
//!
//! Talks to the page and the model only through traits, so it must not depend on Servo,
//! llama.cpp or the `browser` crate; its tests run fast without either.

pub mod act;
pub mod cited;
pub mod dom;
pub mod forms;
pub mod injection;
pub mod model;
pub mod page;
pub mod page_prompt;
pub mod passages;
pub mod question;
pub mod reader;
pub mod snapshot;
pub mod summary;
