//! Servo's instance and the event-loop waker, shared by headless pages.

use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use servo::{EventLoopWaker, Preferences, Servo, ServoBuilder, UserContentManager, UserScript};

use crate::BrowserError;

/// Wakes a thread blocked in [`Runtime::spin_until`] when Servo has work for the embedder.
#[derive(Clone, Default)]
pub(crate) struct CondvarWaker(Arc<(Mutex<bool>, Condvar)>);

impl CondvarWaker {
    /// Block up to `limit` or until woken, then clear the wake flag.
    fn wait(&self, limit: Duration) {
        let (flag, condvar) = &*self.0;
        let Ok(guard) = flag.lock() else { return };
        let Ok((mut woken, _)) = condvar.wait_timeout_while(guard, limit, |woken| !*woken) else {
            return;
        };
        *woken = false;
    }
}

impl EventLoopWaker for CondvarWaker {
    fn clone_box(&self) -> Box<dyn EventLoopWaker> {
        Box::new(self.clone())
    }

    fn wake(&self) {
        let (flag, condvar) = &*self.0;
        if let Ok(mut woken) = flag.lock() {
            *woken = true;
            condvar.notify_all();
        }
    }
}

/// Preferences Clef runs Servo with, headless or windowed. `profile`: Servo has a config dir.
pub(crate) fn preferences(profile: bool) -> Preferences {
    // No proxy from the environment: page loads go where the user asked, nowhere else.
    Preferences {
        network_http_proxy_uri: String::new(),
        network_https_proxy_uri: String::new(),
        // IndexedDB (off by default in Servo 0.7) only with a profile: without a config dir,
        // Servo 0.7 writes its databases under the working directory ("bottles/"), which a
        // private window or a headless run must not do.
        dom_indexeddb_enabled: profile,
        ..Preferences::default()
    }
}

/// Enter in a field sends a form whose button is a `<button>` (Servo 0.7 looks only for
/// `<input type=submit>`).
const IMPLICIT_SUBMIT_JS: &str = include_str!("../../../resources/ui/implicit_submit.js");

/// The scripts every page runs at document start: the one the agent needs (click listeners and
/// short timers noted for it; nothing the page does changes), Enter's default button, then the profile's user scripts
/// that are on (each tests the page's address itself).
pub(crate) fn agent_content(servo: &Servo) -> Rc<UserContentManager> {
    let content = UserContentManager::new(servo);
    content.add_script(Rc::new(UserScript::from(clef_agent::page::PAGE_START_JS)));
    content.add_script(Rc::new(UserScript::from(IMPLICIT_SUBMIT_JS)));
    let found = crate::user_scripts::found(&crate::policies::load());
    for problem in &found.problems {
        tracing::warn!(%problem, "user script not used");
    }
    for script in found.scripts.iter().filter(|script| script.enabled) {
        tracing::info!(name = %script.name, "user script on");
        content.add_script(Rc::new(UserScript::new(
            script.wrapped(),
            Some(script.path.clone()),
        )));
    }
    Rc::new(content)
}

/// One Servo instance driven from the current thread.
pub(crate) struct Runtime {
    pub(crate) servo: Servo,
    pub(crate) agent_content: Rc<UserContentManager>,
    waker: CondvarWaker,
}

impl Runtime {
    pub(crate) fn new() -> Self {
        let waker = CondvarWaker::default();
        let servo = ServoBuilder::default()
            .preferences(preferences(false))
            .event_loop_waker(Box::new(waker.clone()))
            .build();
        let agent_content = agent_content(&servo);
        Self {
            servo,
            agent_content,
            waker,
        }
    }

    /// Run Servo's event loop until `done` holds or `timeout` passes.
    pub(crate) fn spin_until(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut() -> bool,
    ) -> Result<(), BrowserError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.servo.spin_event_loop();
            if done() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(BrowserError::Timeout {
                    what: what.to_owned(),
                    timeout,
                });
            }
            // Servo wakes us when it has messages; the cap keeps timers and polling responsive.
            self.waker
                .wait((deadline - now).min(Duration::from_millis(5)));
        }
    }

    /// Run the event loop for a fixed time (lets animations, timers and layout settle).
    pub(crate) fn spin_for(&self, duration: Duration) {
        let _ = self.spin_until("settling", duration, || false);
    }
}
