//! The tools an MCP client sees: Playwright MCP's names, arguments and read-only hints (so prompts
//! written for it work unchanged), then Clef's own. Each tool's input is a typed struct; its
//! schema is derived from it, and its doc comments are what the client's model reads.

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NavigateArgs {
    /// The URL to navigate to
    pub url: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClickArgs {
    /// Human-readable element description used to obtain permission to interact with the element
    #[serde(default)]
    pub element: Option<String>,
    /// Exact target element reference from the page snapshot (`e12`; the older name `ref` is
    /// accepted too)
    #[serde(alias = "ref")]
    pub target: String,
    /// Whether to perform a double click instead of a single click
    #[serde(default)]
    pub double_click: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeArgs {
    /// Human-readable element description used to obtain permission to interact with the element
    #[serde(default)]
    pub element: Option<String>,
    /// Exact target element reference from the page snapshot (`e12`; the older name `ref` is
    /// accepted too)
    #[serde(alias = "ref")]
    pub target: String,
    /// Text to type into the element. Saved data is written as a placeholder, e.g.
    /// `{{password}}`: Clef types the value saved for the page's site and never returns it.
    pub text: String,
    /// Whether to submit entered text (press Enter after)
    #[serde(default)]
    pub submit: bool,
    /// Whether to type one character at a time (Clef always types with real key events)
    #[serde(default)]
    pub slowly: bool,
}

/// What kind of control a form field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Textbox,
    Checkbox,
    Radio,
    Combobox,
    Slider,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// Human-readable field name
    pub name: String,
    /// Type of the field
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Exact target field reference from the page snapshot (`e12`; `ref` is accepted too)
    #[serde(alias = "ref")]
    pub target: String,
    /// Value to fill in the field. If the field is a checkbox, the value should be `true` or
    /// `false`. If the field is a combobox, the value should be the text of the option.
    pub value: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillFormArgs {
    /// Fields to fill in
    pub fields: Vec<FormField>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectOptionArgs {
    /// Human-readable element description used to obtain permission to interact with the element
    #[serde(default)]
    pub element: Option<String>,
    /// Exact target element reference from the page snapshot (`e12`; the older name `ref` is
    /// accepted too)
    #[serde(alias = "ref")]
    pub target: String,
    /// Array of values to select in the dropdown. This can be a single value or multiple values.
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PressKeyArgs {
    /// Name of the key to press or a character to generate, such as `ArrowLeft` or `a`
    pub key: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoverArgs {
    /// Human-readable element description used to obtain permission to interact with the element
    #[serde(default)]
    pub element: Option<String>,
    /// Exact target element reference from the page snapshot (`e12`; the older name `ref` is
    /// accepted too)
    #[serde(alias = "ref")]
    pub target: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WaitForArgs {
    /// The time to wait in seconds
    pub time: Option<f64>,
    /// The text to wait for
    pub text: Option<String>,
    /// The text to wait for to disappear
    pub text_gone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TabAction {
    List,
    New,
    Close,
    Select,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabsArgs {
    /// Operation to perform
    pub action: TabAction,
    /// Tab index, used for close/select. If omitted for close, current tab is closed.
    pub index: Option<usize>,
    /// URL to navigate to in the new tab, used for new.
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScreenshotArgs {
    /// Image format for the screenshot (Clef returns PNG)
    #[serde(rename = "type")]
    pub format: Option<String>,
    /// Whether to return without compression (PNG; Clef always does)
    #[serde(default)]
    pub raw: bool,
    /// File name to save the screenshot to, besides returning it
    pub filename: Option<String>,
    /// Human-readable element description (Clef shows the viewport with the element scrolled
    /// into view)
    pub element: Option<String>,
    /// Exact target element reference from the page snapshot (`ref` is accepted too)
    #[serde(alias = "ref")]
    pub target: Option<String>,
    /// Whether to take a screenshot of the full scrollable page (Clef shows the viewport)
    #[serde(default)]
    pub full_page: bool,
    /// Image resolution scale: "css" (Clef's screenshots are in CSS pixels)
    pub scale: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateArgs {
    /// () => { /* code */ } or (element) => { /* code */ } when element is provided
    pub function: String,
    /// Human-readable element description used to obtain permission to interact with the element
    pub element: Option<String>,
    /// Exact target element reference from the page snapshot (`ref` is accepted too)
    #[serde(alias = "ref")]
    pub target: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadArgs {
    /// A page to open first (in the current tab); without it, the page shown now
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskArgs {
    /// The question about the page shown now
    pub question: String,
    /// A page to open first (in the current tab); without it, the page shown now
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistorySearchArgs {
    /// What to look for in the pages the user read before, in their words (English or
    /// French), e.g. "the article about night trains"
    pub query: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RunTaskArgs {
    /// What to do, in plain words (English or French), e.g. "Log in as kanesha with my saved
    /// password"
    pub task: String,
    /// The page to start on; without it, the page shown now
    pub start_url: Option<String>,
    /// Other sites the task may visit (`https://host`); the start page's is always allowed
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Steps before giving up (default 20, or the organisation's limit if lower)
    pub max_steps: Option<usize>,
}

/// One tool call, its arguments checked against the tool's schema.
#[derive(Debug)]
pub enum Call {
    Navigate(NavigateArgs),
    NavigateBack,
    Snapshot,
    Click(ClickArgs),
    Type(TypeArgs),
    FillForm(FillFormArgs),
    SelectOption(SelectOptionArgs),
    PressKey(PressKeyArgs),
    Hover(HoverArgs),
    WaitFor(WaitForArgs),
    Tabs(TabsArgs),
    Screenshot(ScreenshotArgs),
    Evaluate(EvaluateArgs),
    Close,
    Read(ReadArgs),
    Summarize(ReadArgs),
    Ask(AskArgs),
    RunTask(RunTaskArgs),
    HistorySearch(HistorySearchArgs),
}

/// A tool as listed to clients.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// Only reads (Playwright MCP 0.0.83's hint, kept as it gives it).
    pub read_only: bool,
    /// May change or send something that cannot be taken back.
    pub destructive: bool,
    pub schema: serde_json::Map<String, serde_json::Value>,
}

fn schema_of<T: JsonSchema>() -> serde_json::Map<String, serde_json::Value> {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut object = match serde_json::to_value(schema) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    // The tool's own description says what it does; the struct's doc comment is for us.
    object.remove("description");
    object.remove("title");
    object.insert("type".to_owned(), "object".into());
    object
}

macro_rules! tool {
    ($name:literal, $title:literal, $read_only:expr, $destructive:expr, $args:ty, $description:literal) => {
        ToolSpec {
            name: $name,
            title: $title,
            description: $description,
            read_only: $read_only,
            destructive: $destructive,
            schema: schema_of::<$args>(),
        }
    };
}

/// Every tool Clef can offer, in the order clients list them.
pub fn catalog() -> Vec<ToolSpec> {
    vec![
        tool!(
            "browser_navigate",
            "Navigate to a URL",
            false,
            false,
            NavigateArgs,
            "Navigate to a URL"
        ),
        tool!(
            "browser_navigate_back",
            "Go back",
            false,
            false,
            NoArgs,
            "Go back to the previous page"
        ),
        tool!(
            "browser_snapshot",
            "Page snapshot",
            true,
            false,
            NoArgs,
            "Capture accessibility snapshot of the current page, this is better than screenshot. \
             Secrets in the page are masked, and text addressed to AI systems is left out."
        ),
        tool!(
            "browser_click",
            "Click",
            false,
            true,
            ClickArgs,
            "Perform click on a web page"
        ),
        tool!(
            "browser_type",
            "Type text",
            false,
            true,
            TypeArgs,
            "Type text into editable element"
        ),
        tool!(
            "browser_fill_form",
            "Fill form",
            false,
            true,
            FillFormArgs,
            "Fill multiple form fields"
        ),
        tool!(
            "browser_select_option",
            "Select option",
            false,
            true,
            SelectOptionArgs,
            "Select an option in a dropdown"
        ),
        tool!(
            "browser_press_key",
            "Press a key",
            false,
            true,
            PressKeyArgs,
            "Press a key on the keyboard"
        ),
        tool!(
            "browser_hover",
            "Hover mouse",
            false,
            false,
            HoverArgs,
            "Hover over element on page"
        ),
        tool!(
            "browser_wait_for",
            "Wait for",
            true,
            false,
            WaitForArgs,
            "Wait for text to appear or disappear or a specified time to pass"
        ),
        tool!(
            "browser_tabs",
            "Manage tabs",
            false,
            false,
            TabsArgs,
            "List, create, close, or select a browser tab."
        ),
        tool!(
            "browser_take_screenshot",
            "Take a screenshot",
            true,
            false,
            ScreenshotArgs,
            "Take a screenshot of the current page. You can't perform actions based on the \
             screenshot, use browser_snapshot for actions."
        ),
        tool!(
            "browser_evaluate",
            "Evaluate JavaScript",
            false,
            true,
            EvaluateArgs,
            "Evaluate JavaScript expression on page or element"
        ),
        tool!(
            "browser_close",
            "Close browser",
            false,
            false,
            NoArgs,
            "Close the page"
        ),
        tool!(
            "clef_read",
            "Read the page",
            true,
            false,
            ReadArgs,
            "The page's article as Clef's reader view shows it: title, byline and text, \
             without menus, ads and text addressed to AI systems."
        ),
        tool!(
            "clef_summarize",
            "Summarize the page",
            true,
            false,
            ReadArgs,
            "Key points of the page written by the model on this machine, each citing the \
             numbered passage it rests on. The page never leaves this machine."
        ),
        tool!(
            "clef_ask",
            "Ask about the page",
            true,
            false,
            AskArgs,
            "Answer a question from the page's passages with the model on this machine, \
             citing them; says so when the page does not say."
        ),
        tool!(
            "clef_history_search",
            "Search the user's history",
            true,
            false,
            HistorySearchArgs,
            "Pages the user read before in Clef that match, best first: title, address, when \
             it was read and the passages that match, from the memory kept on this machine. \
             Offered only when the user started the server with --allow-history."
        ),
        tool!(
            "clef_run_task",
            "Run a task with the local agent",
            false,
            true,
            RunTaskArgs,
            "Hand a whole task to Clef's own agent, whose model runs on this machine: it reads \
             the page, acts step by step under the organisation's rules and checks the \
             outcome. Reports each step as progress and ends with the outcome (and the \
             answer, for a question)."
        ),
    ]
}

/// Why a call was not understood: a protocol error for the client.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("unknown tool {0:?}")]
    UnknownTool(String),
    #[error("invalid arguments for {tool}: {reason}")]
    InvalidArguments { tool: String, reason: String },
}

/// The call `name` with `arguments`, checked against the tool's input type.
pub fn parse_call(
    name: &str,
    arguments: Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<Call, CallError> {
    let value = serde_json::Value::Object(arguments.unwrap_or_default());
    fn args<T: serde::de::DeserializeOwned>(
        name: &str,
        value: serde_json::Value,
    ) -> Result<T, CallError> {
        serde_json::from_value(value).map_err(|error| CallError::InvalidArguments {
            tool: name.to_owned(),
            reason: error.to_string(),
        })
    }
    Ok(match name {
        "browser_navigate" => Call::Navigate(args(name, value)?),
        "browser_navigate_back" => args::<NoArgs>(name, value).map(|_| Call::NavigateBack)?,
        "browser_snapshot" => args::<NoArgs>(name, value).map(|_| Call::Snapshot)?,
        "browser_click" => Call::Click(args(name, value)?),
        "browser_type" => Call::Type(args(name, value)?),
        "browser_fill_form" => Call::FillForm(args(name, value)?),
        "browser_select_option" => Call::SelectOption(args(name, value)?),
        "browser_press_key" => Call::PressKey(args(name, value)?),
        "browser_hover" => Call::Hover(args(name, value)?),
        "browser_wait_for" => Call::WaitFor(args(name, value)?),
        "browser_tabs" => Call::Tabs(args(name, value)?),
        "browser_take_screenshot" => Call::Screenshot(args(name, value)?),
        "browser_evaluate" => Call::Evaluate(args(name, value)?),
        "browser_close" => args::<NoArgs>(name, value).map(|_| Call::Close)?,
        "clef_read" => Call::Read(args(name, value)?),
        "clef_summarize" => Call::Summarize(args(name, value)?),
        "clef_ask" => Call::Ask(args(name, value)?),
        "clef_run_task" => Call::RunTask(args(name, value)?),
        "clef_history_search" => Call::HistorySearch(args(name, value)?),
        other => return Err(CallError::UnknownTool(other.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
        value.as_object().cloned()
    }

    #[test]
    fn every_listed_tool_parses_by_its_name() {
        for tool in catalog() {
            let result = parse_call(tool.name, None);
            // Tools without required arguments parse from nothing; the others say which is missing.
            if let Err(error) = result {
                assert!(
                    matches!(error, CallError::InvalidArguments { .. }),
                    "{}: {error}",
                    tool.name
                );
            }
            assert_eq!(tool.schema["type"], "object", "{}", tool.name);
        }
    }

    #[test]
    fn playwright_argument_names_are_kept() {
        let click = parse_call(
            "browser_click",
            object(json!({"element": "Log in button", "target": "e12", "doubleClick": true})),
        )
        .unwrap();
        match click {
            Call::Click(args) => {
                assert_eq!(args.target, "e12");
                assert!(args.double_click);
            }
            other => panic!("{other:?}"),
        }
        let wait = parse_call("browser_wait_for", object(json!({"textGone": "Loading"}))).unwrap();
        assert!(matches!(
            wait,
            Call::WaitFor(WaitForArgs {
                text_gone: Some(_),
                ..
            })
        ));
        let form = parse_call(
            "browser_fill_form",
            object(json!({"fields": [{"name": "Email", "type": "textbox", "target": "e3", "value": "a@b.c"}]})),
        )
        .unwrap();
        assert!(
            matches!(form, Call::FillForm(FillFormArgs { fields }) if fields[0].kind == FieldType::Textbox)
        );
    }

    #[test]
    fn schemas_name_the_playwright_arguments() {
        let tools = catalog();
        let click = tools
            .iter()
            .find(|tool| tool.name == "browser_click")
            .unwrap();
        let properties = click.schema["properties"].as_object().unwrap();
        assert!(properties.contains_key("target") && properties.contains_key("element"));
        assert!(properties.contains_key("doubleClick"));
        let required: Vec<&str> = click.schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|name| name.as_str())
            .collect();
        assert!(required.contains(&"target") && !required.contains(&"element"));
        // Prompts written for Playwright MCP's older argument name still work.
        let older = parse_call(
            "browser_hover",
            object(json!({"element": "Menu", "ref": "e4"})),
        );
        assert!(matches!(older, Ok(Call::Hover(HoverArgs { target, .. })) if target == "e4"));
    }

    #[test]
    fn bad_calls_are_errors_not_panics() {
        assert!(matches!(
            parse_call("browser_teleport", None),
            Err(CallError::UnknownTool(_))
        ));
        assert!(matches!(
            parse_call("browser_click", object(json!({"target": 12}))),
            Err(CallError::InvalidArguments { .. })
        ));
        assert!(matches!(
            parse_call(
                "browser_navigate",
                object(json!({"url": "https://a.test", "extra": 1}))
            ),
            Err(CallError::InvalidArguments { .. })
        ));
        assert!(matches!(
            parse_call("browser_tabs", object(json!({"action": "explode"}))),
            Err(CallError::InvalidArguments { .. })
        ));
    }
}
