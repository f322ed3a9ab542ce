//! What a tab the agent drives may send. The browser asks before each top-level navigation and
//! each request leaves (Servo's navigation and resource-load hooks); this module answers. It holds
//! whatever the page or the model did: a form's `formaction`, a redirect hop, a script setting
//! `location`, a meta refresh, an image whose address carries a password.
//!
//! Two rules:
//! 1. A document of the tab (top level, each redirect hop) loads only from the task's sites, as
//!    the organisation's site rules allow; `data:` and `blob:` documents of other sites and
//!    `javascript:` addresses are refused.
//! 2. Saved data the agent typed (a password, a card, the profile) goes only to the origin it was
//!    typed for. A request to another origin whose address holds such a value (as typed,
//!    percent- or form-encoded, or in base64) is blocked. Servo does not show request bodies to
//!    the embedder, so from the moment saved data is typed into a document until the tab loads
//!    another one, nothing but GET and HEAD requests to the typed-for origins leave at all.

use base64::Engine as _;
use url::Url;

use super::safety::{Policy, origin_of};

/// Values shorter than this are not looked for in addresses (a 3-digit code matches too much);
/// the rule on typed documents still covers them.
const SHORTEST_MATCHED: usize = 4;

/// A saved value the agent typed, and the only origin it may reach.
#[derive(Clone)]
struct Protected {
    /// The forms the value may take in an address, as typed and encoded.
    forms: Vec<String>,
    origin: String,
    /// What it is, for messages ("password"); never the value.
    what: String,
}

/// A request the engine is about to send for the driven tab.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub method: &'a str,
    pub url: &'a Url,
    /// The tab's own document (top level), including each hop of a redirect.
    pub document: bool,
    /// A hop of a redirect. Servo 0.7 reports such a hop with the address the chain started
    /// from, not the one the hop goes to (its interceptor reads `Request::url`, the first of the
    /// URL list, where the current URL is meant), so where it leads is unknown here.
    pub redirect: bool,
}

/// The checks of one driven tab. Cheap to clone: the browser keeps it beside the tab.
#[derive(Clone)]
pub struct Egress {
    policy: Policy,
    protected: Vec<Protected>,
    /// Origins saved data was typed for in the document now shown (empty: none typed).
    typed_here: Vec<String>,
    /// The task ended: the user browses again, and only the saved values typed into the
    /// document still shown are kept where they belong, until it is replaced.
    released: bool,
    /// The tab's document is outside the task's sites (a redirect led there): nothing more is
    /// loaded for it.
    outside: Option<String>,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress")
            .field("origins", &self.policy.origins)
            .field("protected", &self.protected.len())
            .field("typed_here", &self.typed_here)
            .finish()
    }
}

impl Egress {
    pub fn new(policy: Policy) -> Self {
        Egress {
            policy,
            protected: Vec::new(),
            typed_here: Vec::new(),
            released: false,
            outside: None,
        }
    }

    /// What stays when the task lets go of its tab: the protection of the saved values it
    /// bound, until a document without any typed replaces the one shown; nothing if it bound
    /// none.
    pub fn release(mut self) -> Option<Egress> {
        // Kept while it binds anything, so that a guard resumed at once (an MCP client's, after
        // a task) still knows the saved values; the next document drops it if nothing is typed.
        if self.typed_here.is_empty() && self.protected.is_empty() {
            return None;
        }
        self.released = true;
        Some(self)
    }

    /// Whether the tab still needs checks: a task drives it, or saved data it typed is shown.
    pub fn active(&self) -> bool {
        !self.released || !self.typed_here.is_empty()
    }

    /// `value` was typed into the current document for `origin`; `what` names it in messages.
    pub fn protect(&mut self, value: &str, origin: &str, what: &str) {
        if !self.typed_here.iter().any(|typed| typed == origin) {
            self.typed_here.push(origin.to_owned());
        }
        if value.chars().count() < SHORTEST_MATCHED
            || self.protected.iter().any(|known| known.forms[0] == value)
        {
            return;
        }
        self.protected.push(Protected {
            forms: encodings(value),
            origin: origin.to_owned(),
            what: what.to_owned(),
        });
    }

    /// Take over what `old` binds: its saved values stay with their origins, and those typed
    /// into the document shown stay marked as typed (a task starting on a tab a client drives).
    pub fn inherit(&mut self, old: Egress) {
        for protected in old.protected {
            if !self
                .protected
                .iter()
                .any(|known| known.forms[0] == protected.forms[0])
            {
                self.protected.push(protected);
            }
        }
        for origin in old.typed_here {
            if !self.typed_here.contains(&origin) {
                self.typed_here.push(origin);
            }
        }
    }

    /// Check the tab under `policy` from now on, keeping the saved values already bound.
    pub fn resume(&mut self, policy: Policy) {
        self.policy = policy;
        self.released = false;
    }

    /// Whether saved data is typed into the document shown (then nothing may read it back).
    pub fn holds_saved_data(&self) -> bool {
        !self.typed_here.is_empty()
    }

    /// `text` with every saved value this tab typed — as typed, in base64, percent- or
    /// form-encoded (as an address shows it after a GET form) — replaced by what it is, for
    /// text that leaves the browser (an MCP client's replies).
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for protected in &self.protected {
            let value = &protected.forms[0];
            let mut variants = protected.forms.clone();
            variants.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
            variants.push(
                percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
            // Longest first, so a form that contains another is replaced whole.
            variants.sort_by_key(|variant| std::cmp::Reverse(variant.len()));
            for variant in variants.iter().filter(|variant| !variant.is_empty()) {
                text = text.replace(variant.as_str(), &format!("[saved {}]", protected.what));
            }
        }
        text
    }

    /// The tab shows a new document: what was typed into the old one went with it.
    pub fn document_replaced(&mut self) {
        self.typed_here.clear();
    }

    /// Whether the tab may navigate its top level to `url` (asked before the request is made).
    pub fn check_navigation(&self, url: &Url) -> Result<(), String> {
        if self.released {
            return Ok(());
        }
        match url.scheme() {
            "javascript" => Err("a javascript: address in a tab the agent drives".to_owned()),
            "data" => Err("a data: document has no site of its own".to_owned()),
            "about" if url.as_str() == "about:blank" => Ok(()),
            "blob" => match Url::parse(url.path()) {
                Ok(inner) => self.check_document(&inner),
                Err(_) => Err("a blob: document with no site".to_owned()),
            },
            _ => self.check_document(url),
        }
    }

    /// The tab now shows `url`. A document outside the task's sites (a redirect hop the engine
    /// could not check led there) is reported, and nothing more is loaded for it.
    pub fn landed(&mut self, url: &Url) -> Result<(), String> {
        if self.released {
            return Ok(());
        }
        match self.check_navigation(url) {
            Ok(()) => {
                self.outside = None;
                Ok(())
            }
            Err(why) => {
                let origin = origin_of(url.as_str()).unwrap_or_else(|| url.scheme().to_owned());
                self.outside = Some(origin);
                Err(why)
            }
        }
    }

    /// Whether `request` may leave.
    pub fn check_request(&self, request: Outgoing<'_>) -> Result<(), String> {
        if request.redirect && !self.released {
            self.check_redirect(request)?;
        } else if request.document && !self.released {
            self.check_navigation(request.url)?;
        }
        if let Some(origin) = self.outside.as_ref().filter(|_| !request.document) {
            return Err(format!(
                "the tab is on {origin}, outside the task's sites: nothing more is loaded there"
            ));
        }
        let origin = origin_of(request.url.as_str()).unwrap_or_default();
        if let Some(protected) = self.carried(request.url, &origin) {
            return Err(format!(
                "the address carries the saved {} typed for {}, not for {origin}",
                protected.what, protected.origin
            ));
        }
        let reads_only = matches!(request.method, "GET" | "HEAD");
        if !self.typed_here.is_empty() && !self.typed_here.contains(&origin) && !reads_only {
            return Err(format!(
                "saved data is typed on this page: no {} goes to {origin}",
                request.method
            ));
        }
        Ok(())
    }

    /// A redirect hop, whose destination the engine does not tell (see [`Outgoing::redirect`]):
    /// it may not re-send a request body (307/308 keep the method) or forward saved data.
    fn check_redirect(&self, request: Outgoing<'_>) -> Result<(), String> {
        if !matches!(request.method, "GET" | "HEAD") {
            return Err(format!(
                "a redirect that would send the {} data again to an address the engine does not show",
                request.method
            ));
        }
        if let Some(protected) = self.carrying(request.url).next() {
            return Err(format!(
                "a redirect of an address that carries the saved {}, to where the engine does not show",
                protected.what
            ));
        }
        Ok(())
    }

    fn check_document(&self, url: &Url) -> Result<(), String> {
        match self.policy.origin_refusal(url.as_str()) {
            Some(why) => Err(why),
            None if origin_of(url.as_str()).is_none() => {
                Err(format!("{} has no site the task may use", url.scheme()))
            }
            None => Ok(()),
        }
    }

    /// A saved value `url` carries to an origin it was not typed for.
    fn carried(&self, url: &Url, origin: &str) -> Option<&Protected> {
        self.carrying(url)
            .find(|protected| protected.origin != origin)
    }

    /// The saved values `url` holds, in any of their forms, raw or percent-decoded.
    fn carrying<'a>(&'a self, url: &Url) -> impl Iterator<Item = &'a Protected> {
        let raw = url.as_str().to_owned();
        let decoded = decode(&raw);
        self.protected.iter().filter(move |protected| {
            protected
                .forms
                .iter()
                .any(|form| raw.contains(form.as_str()) || decoded.contains(form.as_str()))
        })
    }
}

/// Percent-decoding, with `+` read as a form's space.
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The forms a value takes in an address: as typed, and in base64 (standard and URL-safe, with
/// padding dropped since it is often cut).
fn encodings(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        let encoded = engine.encode(value.as_bytes());
        if !forms.contains(&encoded) {
            forms.push(encoded);
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::act::safety::{Confirm, SiteRule, SiteRules};

    const HOME: &str = "http://127.0.0.1:8000";

    #[test]
    fn a_new_guard_keeps_what_the_old_one_bound() {
        let mut old = egress();
        old.protect("hunter2-long", HOME, "password");
        let mut new = egress();
        new.inherit(old);
        assert!(new.holds_saved_data());
        let leak = url("http://127.0.0.1:9999/steal?p=hunter2-long");
        let request = Outgoing {
            method: "GET",
            url: &leak,
            document: false,
            redirect: false,
        };
        assert!(new.check_request(request).is_err());
    }

    #[test]
    fn replies_never_carry_a_saved_value() {
        let mut egress = egress();
        egress.protect("p@ss w0rd!", HOME, "password");
        let shown = "Navigated to http://127.0.0.1:8000/welcome?user=kanesha&pass=p%40ss+w0rd%21 \
                     (typed p@ss w0rd!, cEBzcyB3MHJkIQ)";
        let redacted = egress.redact(shown);
        assert!(
            !redacted.contains("w0rd") && !redacted.contains("cEBzcyB3MHJkIQ"),
            "{redacted}"
        );
        assert!(redacted.contains("pass=[saved password]"), "{redacted}");
        assert_eq!(egress.redact("nothing saved here"), "nothing saved here");
    }

    fn egress() -> Egress {
        Egress::new(Policy::new(vec![HOME.into()], Vec::new(), Confirm::Refuse))
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn get<'a>(url: &'a Url, document: bool) -> Outgoing<'a> {
        Outgoing {
            method: "GET",
            url,
            document,
            redirect: false,
        }
    }

    #[test]
    fn documents_load_only_from_the_tasks_sites() {
        let egress = egress();
        assert!(
            egress
                .check_navigation(&url("http://127.0.0.1:8000/next"))
                .is_ok()
        );
        assert!(egress.check_navigation(&url("about:blank")).is_ok());
        for outside in [
            "http://127.0.0.2:8000/",
            "http://localhost:8000/",
            "https://127.0.0.1:8000/",
            "data:text/html,<form action=http://evil>",
            "javascript:location='http://evil'",
            "blob:http://evil.example/1234",
            "about:srcdoc",
        ] {
            assert!(
                egress.check_navigation(&url(outside)).is_err(),
                "{outside} was let through"
            );
        }
        assert!(
            egress
                .check_navigation(&url("blob:http://127.0.0.1:8000/1234"))
                .is_ok()
        );
        // A redirect hop is a document request like the first one.
        let hop = url("http://evil.example/landing");
        assert!(egress.check_request(get(&hop, true)).is_err());
        // A page's image or script from elsewhere is its own business until saved data is typed.
        assert!(egress.check_request(get(&hop, false)).is_ok());
    }

    #[test]
    fn saved_values_go_only_where_they_were_typed_for() {
        let mut egress = egress();
        egress.protect("hunter2 secret", HOME, "password");
        for carrier in [
            "http://evil.example/p?q=hunter2%20secret",
            "http://evil.example/p?q=hunter2+secret",
            "http://evil.example/hunter2%20secret/x.png",
            "http://evil.example/p?b=aHVudGVyMiBzZWNyZXQ",
        ] {
            let carrier = url(carrier);
            let error = egress.check_request(get(&carrier, false)).unwrap_err();
            assert!(error.contains("password"), "{error}");
            assert!(
                !error.contains("hunter2"),
                "the message shows the secret: {error}"
            );
        }
        let home = url("http://127.0.0.1:8000/login?p=hunter2%20secret");
        assert!(egress.check_request(get(&home, false)).is_ok());
        // While it is typed in the page, nothing but reads goes elsewhere (bodies are unseen).
        let post = Outgoing {
            method: "POST",
            url: &url("http://evil.example/collect"),
            document: false,
            redirect: false,
        };
        assert!(egress.check_request(post).is_err());
        egress.document_replaced();
        assert!(egress.check_request(post).is_ok());
        // After the page changed, the value itself is still looked for.
        let later = url("http://evil.example/p?q=hunter2%20secret");
        assert!(egress.check_request(get(&later, false)).is_err());
    }

    #[test]
    fn a_released_tab_keeps_typed_values_home_until_the_page_changes() {
        assert!(egress().release().is_none(), "nothing typed, nothing kept");
        let mut egress = egress();
        egress.protect("hunter2 secret", HOME, "password");
        let mut released = egress.release().unwrap();
        let elsewhere = url("http://evil.example/");
        assert!(
            released.check_navigation(&elsewhere).is_ok(),
            "the user browses"
        );
        let carrier = url("http://evil.example/p?q=hunter2+secret");
        assert!(released.check_request(get(&carrier, false)).is_err());
        released.document_replaced();
        assert!(!released.active());
    }

    #[test]
    fn redirect_hops_may_not_resend_bodies_or_forward_saved_data() {
        let mut egress = egress();
        let first = url("http://127.0.0.1:8000/hop1");
        let hop = |method, url| Outgoing {
            method,
            url,
            document: true,
            redirect: true,
        };
        // A login's usual POST, then 302/303 to a GET: allowed (the landing is checked).
        assert!(egress.check_request(hop("GET", &first)).is_ok());
        // 307/308 keep the POST and its body: refused, wherever they lead.
        assert!(egress.check_request(hop("POST", &first)).is_err());
        egress.protect("hunter2 secret", HOME, "password");
        let carrying = url("http://127.0.0.1:8000/fwd?p=hunter2%20secret");
        assert!(egress.check_request(hop("GET", &carrying)).is_err());
        // Landing outside: reported, and the document loads nothing more.
        assert!(egress.landed(&url("http://evil.example/landing")).is_err());
        let image = url("http://evil.example/logo.png");
        assert!(egress.check_request(get(&image, false)).is_err());
        assert!(egress.landed(&url("http://127.0.0.1:8000/back")).is_ok());
        assert!(egress.check_request(get(&image, false)).is_ok());
    }

    #[test]
    fn short_values_are_covered_by_the_typed_page_rule_only() {
        let mut egress = egress();
        egress.protect("123", HOME, "card CVC");
        let image = url("http://cdn.example/img?id=1234");
        assert!(egress.check_request(get(&image, false)).is_ok());
        let post = Outgoing {
            method: "PUT",
            url: &image,
            document: false,
            redirect: false,
        };
        assert!(egress.check_request(post).is_err());
    }

    #[test]
    fn the_organisations_site_rules_bind_documents() {
        struct NoBank;
        impl SiteRules for NoBank {
            fn rule(&self, url: &str) -> SiteRule {
                if url.contains("127.0.0.1:8001") {
                    SiteRule::Refused("no-access by policy".into())
                } else {
                    SiteRule::Full
                }
            }
        }
        let mut policy = Policy::new(
            vec![HOME.into(), "http://127.0.0.1:8001".into()],
            Vec::new(),
            Confirm::Refuse,
        );
        policy.site_rules = std::sync::Arc::new(NoBank);
        let egress = Egress::new(policy);
        let error = egress
            .check_navigation(&url("http://127.0.0.1:8001/"))
            .unwrap_err();
        assert!(error.contains("policy"), "{error}");
    }
}
