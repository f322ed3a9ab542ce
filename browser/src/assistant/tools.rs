//! The user's MCP servers as the agent's toolbox: connected for a task, their tools named
//! `server.tool`, the user's "always" kept in the config file.

use std::path::PathBuf;
use std::sync::Mutex;

use clef_agent::act::{ToolSpec, Toolbox};
use clef_extensions::mcp::client::{ServerConfig, ToolClient};
use clef_policy::Policies;

pub struct McpTools {
    client: ToolClient,
    specs: Vec<ToolSpec>,
    /// `server.tool` names the user said "always" for.
    always: Mutex<Vec<String>>,
    /// The config file an "always" is written to.
    config_path: Option<PathBuf>,
}

/// The toolbox for a task, and what went wrong connecting (each a line for the user); no
/// toolbox when no server is set up, the policy forbids tools, or none connected.
pub fn connect_tools(
    servers: &[ServerConfig],
    policies: &Policies,
    config_path: Option<PathBuf>,
) -> (Option<McpTools>, Vec<String>) {
    if servers.is_empty() {
        return (None, Vec::new());
    }
    if !policies.mcp_tools_allowed() {
        return (
            None,
            vec![
                "your organisation's policy turns off the tools of MCP servers (Mcp.Tools)".into(),
            ],
        );
    }
    match McpTools::connect(servers, config_path) {
        Ok((tools, problems)) => {
            let tools = (!tools.specs.is_empty()).then_some(tools);
            (tools, problems)
        }
        Err(problem) => (None, vec![problem]),
    }
}

impl McpTools {
    fn connect(
        servers: &[ServerConfig],
        config_path: Option<PathBuf>,
    ) -> Result<(McpTools, Vec<String>), String> {
        let (client, problems) = ToolClient::connect(servers).map_err(|error| error.to_string())?;
        let specs = client
            .tools()
            .iter()
            .map(|tool| ToolSpec {
                name: tool.full_name(),
                description: tool.description.clone(),
                input_schema: tool.input_schema.clone(),
            })
            .collect();
        let always = servers
            .iter()
            .flat_map(|server| {
                server
                    .always_allow
                    .iter()
                    .map(move |tool| format!("{}.{tool}", server.name))
            })
            .collect();
        Ok((
            McpTools {
                client,
                specs,
                always: Mutex::new(always),
                config_path,
            },
            problems.iter().map(ToString::to_string).collect(),
        ))
    }
}

impl Toolbox for McpTools {
    fn tools(&self) -> &[ToolSpec] {
        &self.specs
    }

    fn always_allowed(&self, name: &str) -> bool {
        self.always
            .lock()
            .is_ok_and(|always| always.iter().any(|tool| tool == name))
    }

    fn allow_always(&self, name: &str) -> Result<(), String> {
        if let Ok(mut always) = self.always.lock() {
            always.push(name.to_owned());
        }
        let (server, tool) = name
            .split_once('.')
            .ok_or_else(|| format!("{name} is not SERVER.TOOL"))?;
        let path = self
            .config_path
            .as_deref()
            .ok_or("no config file to keep it in")?;
        crate::config::allow_tool_always(path, server, tool).map_err(|error| error.to_string())
    }

    fn call(&self, name: &str, args: &serde_json::Value) -> Result<String, String> {
        self.client
            .call(name, args)
            .map_err(|error| error.to_string())
    }
}
