//! The narrow page interface the agent works through; the browser implements it on its own
//! page type, so nothing here knows Servo.

/// What went wrong talking to the page.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PageError(pub String);

/// One open page.
pub trait PageAccess {
    /// Run `script` in the page and return its value as JSON.
    fn evaluate(&mut self, script: &str) -> Result<serde_json::Value, PageError>;
    /// The address of the document now shown.
    fn url(&self) -> Option<String>;
}

/// Run `script`, which must evaluate to a JSON string, and parse that string as `T`.
pub fn evaluate_json<T: serde::de::DeserializeOwned>(
    page: &mut dyn PageAccess,
    script: &str,
) -> Result<T, PageError> {
    let value = page.evaluate(script)?;
    let text = value
        .as_str()
        .ok_or_else(|| PageError(format!("the page script returned {value} instead of text")))?;
    serde_json::from_str(text)
        .map_err(|error| PageError(format!("unreadable page script result: {error}")))
}

/// Run at document start in every page the agent may drive (see the script's header).
pub const PAGE_START_JS: &str = include_str!("../../resources/agent/page_start.js");

/// The test of what a person cannot see, shared by the scripts that read the page.
const UNSEEN_JS: &str = include_str!("../../resources/agent/unseen.js");

/// `script` with the shared visibility test in place of its `/*__CLEF_UNSEEN__*/` line.
pub fn with_unseen(script: &str) -> String {
    script.replace("/*__CLEF_UNSEEN__*/", UNSEEN_JS)
}

static VISIBLE_HTML_JS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| with_unseen(include_str!("../../resources/agent/visible_html.js")));

/// The page's HTML with everything a user cannot see removed (a clone; the page is untouched).
pub fn visible_html_js() -> &'static str {
    &VISIBLE_HTML_JS
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PageDocument {
    pub url: String,
    pub title: String,
    #[serde(rename = "contentType")]
    pub content_type: String,
    pub html: String,
    /// A PDF's bytes, base64, when the page had them (the browser shows no PDF; the reader
    /// reads its text, fetching it when they are missing).
    #[serde(default)]
    pub pdf: Option<String>,
}

/// The visible document of `page`, ready for the reader.
pub fn visible_document(page: &mut dyn PageAccess) -> Result<PageDocument, PageError> {
    evaluate_json(page, visible_html_js())
}
