//! Tool calls that act on an element of the last snapshot, each checked as the agent's own
//! steps are (site rules, risky steps, saved data only where it belongs), done with real input
//! events, audited with the client's name, and answered with what changed and the page now.

use clef_agent::act::audit::now;
use clef_agent::act::changes::changes;
use clef_agent::act::observe::{display_name, id_of};
use clef_agent::act::perform::{locate_element, perform, settle};
use clef_agent::act::{Action, AuditRecord, Verdict, origin_of};
use clef_agent::snapshot::{Node, Snapshot};
use clef_extensions::mcp::tools::{
    ClickArgs, EvaluateArgs, FieldType, FillFormArgs, ScreenshotArgs, SelectOptionArgs, TypeArgs,
};
use clef_extensions::mcp::{Caller, Reply};
use clef_policy::{Access, Feature};

use super::{McpHost, image_reply, png};

impl McpHost {
    /// The node a ref names in the tab's last snapshot, or in a fresh one.
    fn resolve(&mut self, reference: &str) -> Result<(Snapshot, u64), String> {
        // The client's words are echoed only when they are a ref (never a guess at a secret).
        let shown = if id_of(reference).is_some() && reference.len() <= 12 {
            reference
        } else {
            "given"
        };
        let not_found = || {
            format!(
                "Ref {shown} not found in the current page snapshot. Try capturing new snapshot \
                 (Clef takes the refs a snapshot shows, such as e12, not selectors)."
            )
        };
        let id = id_of(reference).ok_or_else(not_found)?;
        let tab = self.tab()?;
        let has = |snapshot: &Snapshot| snapshot.nodes.iter().any(|node| node.id == Some(id));
        if let Some(last) = tab.last.as_ref().filter(|last| has(last)) {
            return Ok((last.clone(), id));
        }
        let fresh = tab
            .snapshotter
            .take(&mut *tab.page.access())
            .map_err(|error| format!("cannot read the page: {error}"))?;
        let found = has(&fresh);
        tab.last = Some(fresh.clone());
        if found {
            Ok((fresh, id))
        } else {
            Err(not_found())
        }
    }

    /// Whether the organisation lets a client act on the page shown.
    fn may_act(&mut self) -> Result<(), String> {
        let policies = self.options.policies.clone();
        let allow_risky = self.options.allow_risky;
        let tab = self.tab()?;
        policies
            .check_feature(Feature::AgentActions)
            .map_err(|error| error.to_string())?;
        let url = tab.page.url().unwrap_or_default();
        let access = policies
            .check_site(&url, true)
            .map_err(|error| error.to_string())?;
        if access == Access::Ask && !allow_risky {
            return Err(format!(
                "the organisation asks a person to approve every action on {url}; \
                 a client cannot (start `clef mcp --confirm allow` to answer yes)"
            ));
        }
        Ok(())
    }

    /// Check and do one action; the note says what happened, or why not.
    fn act(&mut self, action: Action, caller: &Caller) -> Result<String, String> {
        if let Err(why) = self.may_act() {
            let reply = Reply::error(why.clone());
            self.audit_call(caller, action.describe(""), &reply)?;
            return Err(why);
        }
        let snapshot = match action.element() {
            Some(id) => self.resolve(&clef_agent::act::observe::ref_of(id))?.0,
            None => {
                let tab = self.tab()?;
                match tab.last.clone() {
                    Some(last) => last,
                    None => tab
                        .snapshotter
                        .take(&mut *tab.page.access())
                        .map_err(|error| format!("cannot read the page: {error}"))?,
                }
            }
        };
        let allow_risky = self.options.allow_risky;
        let audit = self
            .options
            .audit
            .acting_for(&format!("MCP client \"{}\"", caller.client()));
        let McpHost {
            tabs,
            current,
            options,
            ..
        } = self;
        let tab = tabs.get_mut(*current).ok_or("no open tab")?;
        let policy = &tab.policy;
        if tab.typed_on != snapshot.url {
            tab.typed_personal.clear();
            tab.typed_on = snapshot.url.clone();
        }
        let node: Option<&Node> = action
            .element()
            .and_then(|id| snapshot.nodes.iter().find(|node| node.id == Some(id)));
        let element_name = node.map(|node| format!("{} \"{}\"", node.kind, display_name(node)));
        let description = action.describe(element_name.as_deref().unwrap_or(""));
        let origin = origin_of(&snapshot.url).unwrap_or_default();
        let scripted_here = tab.scripted.contains(&origin)
            && matches!(&action, Action::Type { text, .. } if text.contains("{{"));
        let verdict = if scripted_here {
            Verdict::Refuse(
                "the client ran its own script on this site: no saved data is typed here"
                    .to_owned(),
            )
        } else {
            policy.check(&action, &snapshot, &tab.typed_personal)
        };
        let (allowed, approved_by, why) = match verdict {
            Verdict::Allow => (true, String::new(), String::new()),
            Verdict::Refuse(reason) => (false, "policy".to_owned(), reason),
            Verdict::Confirm(reason) if allow_risky => (true, "user".to_owned(), reason),
            Verdict::Confirm(reason) => (
                false,
                "policy".to_owned(),
                format!("{reason} (a risky step: start `clef mcp --confirm allow` to allow it)"),
            ),
        };
        let mut access = tab.page.access();
        let result = if allowed {
            perform(
                &mut *access,
                &mut tab.snapshotter,
                &snapshot,
                &action,
                &options.vault,
                &origin,
            )
        } else {
            Err(format!("refused: {why}"))
        };
        let mut note = match &result {
            Ok(done) => {
                settle(&mut *access);
                let dialogs = access.take_dialogs();
                let after = tab.snapshotter.take(&mut *access).ok();
                let changed = after
                    .as_ref()
                    .map(|after| changes(&snapshot, after, &dialogs))
                    .unwrap_or_default();
                tab.last = after;
                if let Action::Type { text, .. } = &action
                    && text.contains("{{")
                {
                    tab.typed_personal.push("saved data".to_owned());
                }
                format!("{done}; {changed}")
            }
            Err(problem) => problem.clone(),
        };
        let blocked = access.take_blocked();
        if !blocked.is_empty() {
            note.push_str(&format!("; blocked by the browser: {}", blocked.join("; ")));
        }
        let record = AuditRecord {
            time: now(),
            url: tab.page.redact(&snapshot.url),
            action: description,
            element: element_name,
            reason: why,
            outcome: tab.page.redact(&note),
            approved_by,
        };
        audit.record(&record).map_err(|error| {
            format!("the audit log cannot be written, so nothing more is done: {error}")
        })?;
        if result.is_err() { Err(note) } else { Ok(note) }
    }

    fn act_reply(&mut self, result: Result<String, String>) -> Reply {
        match result {
            Ok(note) => self.with_state(Ok(note)),
            Err(error) => Reply::error(error),
        }
    }

    fn element(&mut self, reference: &str) -> Result<u64, String> {
        self.resolve(reference).map(|(_, id)| id)
    }

    pub(super) fn click(&mut self, args: &ClickArgs, caller: &Caller) -> Reply {
        let result = self.element(&args.target).and_then(|element| {
            let first = self.act(Action::Click { element }, caller)?;
            if args.double_click {
                self.act(Action::Click { element }, caller)
            } else {
                Ok(first)
            }
        });
        self.act_reply(result)
    }

    pub(super) fn type_text(&mut self, args: &TypeArgs, caller: &Caller) -> Reply {
        let result = self.element(&args.target).and_then(|element| {
            let typed = self.act(
                Action::Type {
                    element,
                    text: args.text.clone(),
                },
                caller,
            )?;
            if args.submit {
                let pressed = self.act(
                    Action::Press {
                        key: "Enter".to_owned(),
                    },
                    caller,
                )?;
                Ok(format!("{typed}\n{pressed}"))
            } else {
                Ok(typed)
            }
        });
        self.act_reply(result)
    }

    pub(super) fn fill_form(&mut self, args: &FillFormArgs, caller: &Caller) -> Reply {
        let mut notes = Vec::new();
        for field in &args.fields {
            let result = self.element(&field.target).and_then(|element| {
                let action = match field.kind {
                    FieldType::Textbox => Action::Type {
                        element,
                        text: field.value.clone(),
                    },
                    FieldType::Checkbox | FieldType::Radio => Action::Check {
                        element,
                        checked: match field.value.trim() {
                            "true" => true,
                            "false" => false,
                            other => {
                                return Err(format!(
                                    "{}: a checkbox takes \"true\" or \"false\", not {other:?}",
                                    field.name
                                ));
                            }
                        },
                    },
                    FieldType::Combobox => Action::Select {
                        element,
                        option: field.value.clone(),
                    },
                    FieldType::Slider => {
                        return Err(format!("{}: sliders cannot be set yet", field.name));
                    }
                };
                self.act(action, caller)
            });
            match result {
                Ok(note) => notes.push(format!("{}: {note}", field.name)),
                Err(error) => {
                    notes.push(format!("{}: {error}", field.name));
                    return Reply::error(format!(
                        "{}\n(the fields after this one were not filled)",
                        notes.join("\n")
                    ));
                }
            }
        }
        self.act_reply(Ok(notes.join("\n")))
    }

    pub(super) fn select(&mut self, args: &SelectOptionArgs, caller: &Caller) -> Reply {
        let result = match args.values.as_slice() {
            [option] => self.element(&args.target).and_then(|element| {
                self.act(
                    Action::Select {
                        element,
                        option: option.clone(),
                    },
                    caller,
                )
            }),
            [] => Err("give the option to select".to_owned()),
            _ => Err("Clef selects one option per call: call once for each".to_owned()),
        };
        self.act_reply(result)
    }

    pub(super) fn press(&mut self, key: &str, caller: &Caller) -> Reply {
        // A character is typed into whatever has focus; a named key is pressed.
        let result = if key.chars().count() == 1 && key != " " {
            self.may_act()
                .and_then(|()| {
                    let tab = self.tab()?;
                    let mut access = tab.page.access();
                    access.type_text(key).map_err(|error| error.to_string())?;
                    settle(&mut *access);
                    tab.last = None;
                    Ok(format!("typed {key:?}"))
                })
                .and_then(|note| {
                    let reply = Reply::text(note.clone());
                    self.audit_call(caller, format!("press {key:?}"), &reply)?;
                    Ok(note)
                })
        } else {
            self.act(
                Action::Press {
                    key: key.to_owned(),
                },
                caller,
            )
        };
        self.act_reply(result)
    }

    pub(super) fn hover(&mut self, reference: &str) -> Reply {
        let result = self.element(reference).and_then(|id| {
            let tab = self.tab()?;
            let mut access = tab.page.access();
            let (x, y) = locate_element(&mut *access, id)?;
            tab.page.hover(x, y)?;
            settle(&mut *access);
            Ok("hovered".to_owned())
        });
        self.act_reply(result)
    }

    /// Nothing typed from saved data may be read back (a screenshot of a card number, a
    /// script reading a field).
    fn holds_saved_data(&mut self) -> Result<(), String> {
        let tab = self.tab()?;
        if tab.page.holds_saved_data() {
            return Err(
                "saved data is typed on this page: it cannot be shown or read back until the \
                 page is left"
                    .to_owned(),
            );
        }
        Ok(())
    }

    pub(super) fn screenshot(&mut self, args: &ScreenshotArgs) -> Reply {
        let result: Result<(String, Vec<u8>), String> = (|| {
            self.holds_saved_data()?;
            let url = self.tab()?.page.url().unwrap_or_default();
            self.options
                .policies
                .check_site(&url, false)
                .map_err(|error| error.to_string())?;
            if let Some(reference) = &args.target {
                let id = self.element(reference)?;
                let tab = self.tab()?;
                locate_element(&mut *tab.page.access(), id)?;
            }
            let tab = self.tab()?;
            let image = tab.page.screenshot()?;
            let bytes = png(&image)?;
            let mut note = format!("Screenshot of the viewport of {url}");
            if let Some(name) = &args.filename {
                // A name only: the client chooses what to call it, not where it goes.
                let name = std::path::Path::new(name)
                    .file_name()
                    .ok_or("the file name is empty")?;
                std::fs::create_dir_all(&self.options.output_dir)
                    .map_err(|error| error.to_string())?;
                let path = self.options.output_dir.join(name);
                std::fs::write(&path, &bytes)
                    .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
                note.push_str(&format!(", saved to {}", path.display()));
            }
            Ok((note, bytes))
        })();
        match result {
            Ok((note, bytes)) => image_reply(note, bytes),
            Err(error) => Reply::error(error),
        }
    }

    pub(super) fn evaluate(&mut self, args: &EvaluateArgs) -> Reply {
        let result: Result<String, String> = (|| {
            if !self.options.allow_evaluate {
                return Err("browser_evaluate is off (`clef mcp --allow-evaluate`)".to_owned());
            }
            self.holds_saved_data()?;
            // A script can click, type and send: it needs what any action needs.
            self.may_act()?;
            let argument = match &args.target {
                Some(reference) => {
                    let id = self.element(reference)?;
                    format!(
                        "(window[Symbol.for(\"clef.snapshot.ids\")]?.elements.get({id}) ?? null)"
                    )
                }
                None => String::new(),
            };
            let script = format!("(({})({argument}))", args.function);
            let tab = self.tab()?;
            if let Some(origin) = tab.page.url().as_deref().and_then(origin_of)
                && !tab.scripted.contains(&origin)
            {
                tab.scripted.push(origin);
            }
            let value = tab.page.evaluate(&script)?;
            tab.last = None;
            serde_json::to_string_pretty(&value).map_err(|error| error.to_string())
        })();
        match result {
            Ok(text) => Reply::text(text),
            Err(error) => Reply::error(error),
        }
    }
}
