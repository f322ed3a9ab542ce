//! What plugs into Clef from outside: the MCP server other agents drive the browser through
//! and the MCP client the local agent calls the user's MCP servers through (`mcp`), and user
//! scripts (`userscripts`).
//!
//! Owns the protocol (rmcp), the tool catalog and the loopback HTTP transport; the browser
//! answers the calls through the [`mcp::ToolHost`] trait. Must not depend on Servo, llama.cpp
//! or the browser crate (the browser depends on this one).

pub mod mcp;
pub mod userscripts;
