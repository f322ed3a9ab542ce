//! `clef tools`: the MCP servers of the config (`[[mcp_servers]]`) started, and the tools each
//! offers the agent, as a task would see them.

use std::time::Instant;

use clef_agent::act::Toolbox as _;
use clef_browser::assistant::connect_tools;
use clef_browser::config::Config;

pub fn tools() -> anyhow::Result<u8> {
    let policies = clef_browser::policies::load();
    crate::policy_notes(&policies);
    let config = Config::load_default()?;
    let path = Config::default_path();
    if config.mcp_servers.is_empty() {
        println!(
            "no MCP servers set up: add [[mcp_servers]] entries (name, then command or url) to {}",
            path.map_or("config.toml".to_owned(), |path| path.display().to_string())
        );
        return Ok(0);
    }
    let started = Instant::now();
    let (tools, problems) = connect_tools(&config.mcp_servers, &policies, path);
    let seconds = started.elapsed().as_secs_f64();
    for problem in &problems {
        println!("problem: {problem}");
    }
    let Some(tools) = tools else {
        println!("no tools offered");
        return Ok(1);
    };
    println!(
        "{} tools from {} servers (started in {seconds:.2} s):",
        tools.tools().len(),
        config.mcp_servers.len() - problems.len()
    );
    for tool in tools.tools() {
        let approval = if tools.always_allowed(&tool.name) {
            "always allowed"
        } else {
            "asked each time"
        };
        let description = tool
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        println!("{}  ({approval})  {description}", tool.name);
    }
    Ok(if problems.is_empty() { 0 } else { 1 })
}
