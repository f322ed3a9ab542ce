//! What plugs into Clef from outside: an MCP server on loopback/stdio exposing the browser's
//! tools, and user scripts.
//!
//! Depends on the browser's public tool interface only; never on Servo or llama.cpp directly.
