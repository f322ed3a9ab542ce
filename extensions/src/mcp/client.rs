//! Clef as an MCP client: the local agent calls tools of MCP servers the user set up — a program
//! speaking MCP on its standard input and output, or a Streamable HTTP server on this machine.
//! Nothing here decides whether a call may go out; the agent's rules do, before `call`.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, ContentBlock};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt as _};
use serde::Deserialize;
use tokio::io::AsyncBufReadExt as _;

/// `[[mcp_servers]]` in the config: one server whose tools the agent may call.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// How the agent and the user name it (letters, digits, `-`, `_`): its tools are
    /// `NAME.TOOL`.
    pub name: String,
    /// A program speaking MCP on its standard input and output, then its arguments.
    #[serde(default)]
    pub command: Vec<String>,
    /// Or a Streamable HTTP server on this machine (`http://127.0.0.1:PORT/mcp`).
    #[serde(default)]
    pub url: Option<String>,
    /// A file holding the bearer token the HTTP server expects.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Tools the agent calls without asking each time (the user said "always").
    #[serde(default)]
    pub always_allow: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("MCP server \"{server}\": {message}")]
    Config { server: String, message: String },
    #[error("MCP server \"{server}\" did not start: {message}")]
    Start { server: String, message: String },
    #[error("MCP server \"{server}\" did not answer in {seconds} s")]
    Timeout { server: String, seconds: u64 },
    #[error("MCP server \"{server}\": {message}")]
    Call { server: String, message: String },
    /// The tool ran and said it failed (`isError`).
    #[error("{0}")]
    Tool(String),
    #[error("no tool \"{0}\" (tools are named SERVER.TOOL)")]
    Unknown(String),
    #[error("cannot start the MCP client: {0}")]
    Runtime(std::io::Error),
}

/// One tool of a connected server.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTool {
    pub server: String,
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
}

impl RemoteTool {
    /// `server.tool`, as the agent and the config name it.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.server, self.name)
    }
}

struct Connected {
    name: String,
    service: RunningService<RoleClient, ()>,
}

/// The servers connected for one task (or one listing); their programs end when it is dropped.
pub struct ToolClient {
    runtime: tokio::runtime::Runtime,
    servers: Vec<Connected>,
    tools: Vec<RemoteTool>,
}

/// How long a server has to start and list its tools.
const START_LIMIT: Duration = Duration::from_secs(20);
/// How long one tool call may take.
const CALL_LIMIT: Duration = Duration::from_secs(60);
/// Lines of a server program's error output kept to explain a failed start.
const STDERR_LINES: usize = 6;

impl ToolClient {
    /// Connect every server; one that fails is reported and left out, the others serve.
    pub fn connect(
        configs: &[ServerConfig],
    ) -> Result<(ToolClient, Vec<ClientError>), ClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(ClientError::Runtime)?;
        let mut client = ToolClient {
            runtime,
            servers: Vec::new(),
            tools: Vec::new(),
        };
        let mut problems = Vec::new();
        for config in configs {
            match client.connect_one(config) {
                Ok(()) => {}
                Err(problem) => {
                    tracing::warn!(%problem, "MCP server left out");
                    problems.push(problem);
                }
            }
        }
        Ok((client, problems))
    }

    fn connect_one(&mut self, config: &ServerConfig) -> Result<(), ClientError> {
        let server = config.name.clone();
        let bad = |message: String| ClientError::Config {
            server: server.clone(),
            message,
        };
        if server.is_empty()
            || !server
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad(
                "a server's name is letters, digits, - and _ only".to_owned()
            ));
        }
        if self.servers.iter().any(|known| known.name == server) {
            return Err(bad("two servers have this name".to_owned()));
        }
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let started = match (&config.url, config.command.split_first()) {
            (Some(_), Some(_)) => {
                return Err(bad("give either command or url, not both".to_owned()));
            }
            (None, None) => return Err(bad("give its command or its url".to_owned())),
            (Some(url), None) => {
                check_loopback(url).map_err(bad)?;
                let mut transport_config =
                    StreamableHttpClientTransportConfig::with_uri(url.as_str());
                if let Some(file) = &config.token_file {
                    let token = std::fs::read_to_string(file).map_err(|error| {
                        bad(format!(
                            "cannot read its token file {}: {error}",
                            file.display()
                        ))
                    })?;
                    transport_config = transport_config.auth_header(token.trim().to_owned());
                }
                self.runtime.block_on(async {
                    // Built inside the runtime: the transport starts its worker task at once.
                    let transport = StreamableHttpClientTransport::from_config(transport_config);
                    tokio::time::timeout(START_LIMIT, ().serve(transport))
                        .await
                        .map(|served| served.map_err(|error| error.to_string()))
                })
            }
            (None, Some((program, arguments))) => {
                let mut command = tokio::process::Command::new(program);
                command.args(arguments);
                let tail = Arc::clone(&stderr_tail);
                let name = server.clone();
                self.runtime.block_on(async {
                    let (transport, stderr) = TokioChildProcess::builder(command)
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .map_err(|error| ClientError::Start {
                            server: name.clone(),
                            message: format!("cannot run {program}: {error}"),
                        })?;
                    // The program's own messages go to the log, never to the user's terminal;
                    // the last few explain a failed start.
                    if let Some(stderr) = stderr {
                        tokio::spawn(async move {
                            let mut lines = tokio::io::BufReader::new(stderr).lines();
                            while let Ok(Some(line)) = lines.next_line().await {
                                tracing::debug!(server = %name, %line, "MCP server says");
                                if let Ok(mut tail) = tail.lock() {
                                    if tail.len() == STDERR_LINES {
                                        tail.pop_front();
                                    }
                                    tail.push_back(line);
                                }
                            }
                        });
                    }
                    Ok(tokio::time::timeout(START_LIMIT, ().serve(transport))
                        .await
                        .map(|served| served.map_err(|error| error.to_string())))
                })?
            }
        };
        let service = match started {
            Err(_) => {
                return Err(ClientError::Timeout {
                    server,
                    seconds: START_LIMIT.as_secs(),
                });
            }
            Ok(Err(message)) => {
                // Give the program a moment to write why it stopped.
                std::thread::sleep(Duration::from_millis(200));
                let said: Vec<String> = stderr_tail
                    .lock()
                    .map(|tail| tail.iter().cloned().collect())
                    .unwrap_or_default();
                let message = if said.is_empty() {
                    message
                } else {
                    format!("{message}; it said: {}", said.join(" / "))
                };
                return Err(ClientError::Start { server, message });
            }
            Ok(Ok(service)) => service,
        };
        let listed = self
            .runtime
            .block_on(async { tokio::time::timeout(START_LIMIT, service.list_all_tools()).await });
        let tools = match listed {
            Err(_) => {
                return Err(ClientError::Timeout {
                    server,
                    seconds: START_LIMIT.as_secs(),
                });
            }
            Ok(Err(error)) => {
                return Err(ClientError::Call {
                    server,
                    message: format!("cannot list its tools: {error}"),
                });
            }
            Ok(Ok(tools)) => tools,
        };
        self.tools.extend(tools.into_iter().map(|tool| {
            RemoteTool {
                server: server.clone(),
                name: tool.name.to_string(),
                description: tool
                    .description
                    .as_deref()
                    .or(tool.title.as_deref())
                    .unwrap_or_default()
                    .to_owned(),
                input_schema: serde_json::Value::Object((*tool.input_schema).clone()),
            }
        }));
        self.servers.push(Connected {
            name: server,
            service,
        });
        Ok(())
    }

    pub fn tools(&self) -> &[RemoteTool] {
        &self.tools
    }

    /// Call `server.tool` with `args` (a JSON object); its answer as text.
    pub fn call(&self, full_name: &str, args: &serde_json::Value) -> Result<String, ClientError> {
        let unknown = || ClientError::Unknown(full_name.to_owned());
        let tool = self
            .tools
            .iter()
            .find(|tool| tool.full_name() == full_name)
            .ok_or_else(unknown)?;
        let connected = self
            .servers
            .iter()
            .find(|server| server.name == tool.server)
            .ok_or_else(unknown)?;
        let mut params = CallToolRequestParams::new(tool.name.clone());
        if let serde_json::Value::Object(arguments) = args {
            params = params.with_arguments(arguments.clone());
        }
        let server = tool.server.clone();
        let answered = self.runtime.block_on(async {
            tokio::time::timeout(CALL_LIMIT, connected.service.call_tool(params)).await
        });
        let result = match answered {
            Err(_) => {
                return Err(ClientError::Timeout {
                    server,
                    seconds: CALL_LIMIT.as_secs(),
                });
            }
            Ok(Err(error)) => {
                return Err(ClientError::Call {
                    server,
                    message: error.to_string(),
                });
            }
            Ok(Ok(result)) => result,
        };
        let mut text: Vec<String> = result
            .content
            .iter()
            .map(|block| match block {
                ContentBlock::Text(text) => text.text.clone(),
                ContentBlock::Image(_) => "[an image]".to_owned(),
                ContentBlock::Audio(_) => "[a sound]".to_owned(),
                _ => "[a resource]".to_owned(),
            })
            .collect();
        if text.is_empty()
            && let Some(structured) = &result.structured_content
        {
            text.push(structured.to_string());
        }
        let text = text.join("\n");
        if result.is_error == Some(true) {
            return Err(ClientError::Tool(if text.is_empty() {
                "the tool failed".to_owned()
            } else {
                text
            }));
        }
        Ok(text)
    }
}

impl Drop for ToolClient {
    fn drop(&mut self) {
        // Each program is told to end (its standard input closes) and waited for a moment.
        for server in self.servers.drain(..) {
            let ended = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(3), server.service.cancel()).await
            });
            if ended.is_err() {
                tracing::warn!(server = %server.name, "MCP server did not end in 3 s");
            }
        }
    }
}

/// Tools are called on this machine only: an HTTP server must listen on loopback.
fn check_loopback(address: &str) -> Result<(), String> {
    let url = url::Url::parse(address).map_err(|error| format!("{address}: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{address} is not an http address"));
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "{address} is not on this machine: only loopback servers (127.0.0.1, ::1, localhost) \
             are called"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_servers_are_called() {
        assert!(check_loopback("http://127.0.0.1:8000/mcp").is_ok());
        assert!(check_loopback("http://[::1]:8000/mcp").is_ok());
        assert!(check_loopback("http://localhost:8000/mcp").is_ok());
        assert!(check_loopback("http://192.168.1.4:8000/mcp").is_err());
        assert!(check_loopback("https://tools.example/mcp").is_err());
        assert!(check_loopback("file:///tmp/x").is_err());
        assert!(check_loopback("not a url").is_err());
    }

    #[test]
    fn bad_configs_are_reported_and_left_out() {
        let config = |name: &str, command: &[&str], url: Option<&str>| ServerConfig {
            name: name.to_owned(),
            command: command.iter().map(|part| (*part).to_owned()).collect(),
            url: url.map(str::to_owned),
            token_file: None,
            always_allow: Vec::new(),
        };
        let (client, problems) = ToolClient::connect(&[
            config("a.b", &["true"], None),
            config("none", &[], None),
            config("both", &["x"], Some("http://127.0.0.1:1/mcp")),
            config("far", &[], Some("http://10.0.0.1/mcp")),
            config("missing", &["/nonexistent/clef-mcp-server"], None),
            // A program that exits at once is no server.
            config(
                "quits",
                &["sh", "-c", "echo broken config >&2; exit 3"],
                None,
            ),
        ])
        .unwrap();
        assert!(client.tools().is_empty());
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 6, "{messages:?}");
        assert!(messages[0].contains("letters, digits"), "{messages:?}");
        assert!(messages[3].contains("not on this machine"), "{messages:?}");
        assert!(messages[4].contains("cannot run"), "{messages:?}");
        assert!(messages[5].contains("broken config"), "{messages:?}");
        assert!(matches!(
            client.call("x.y", &serde_json::json!({})),
            Err(ClientError::Unknown(_))
        ));
    }
}
