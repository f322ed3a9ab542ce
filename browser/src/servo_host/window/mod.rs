//! The desktop window: chrome (tabs, address bar) and agent pane are Servo webviews showing
//! Clef's own pages; the page itself is a third. Each renders offscreen and is copied into
//! its area of the window.

mod bridge;
mod delegate;
mod keymap;
mod layout;
mod view;

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::WindowId;

use crate::BrowserError;
use view::Ui;

/// What the window opens with.
#[derive(Debug, Default)]
pub struct WindowOptions {
    /// Address to open in the first tab; a start page when absent.
    pub address: Option<String>,
    /// Inner size in logical pixels.
    pub size: Option<(u32, u32)>,
    /// The assistant's model; without one the pane says how to configure it.
    pub model: Option<clef_engine::EngineOptions>,
    /// What forms may be filled with.
    pub profile: crate::config::Profile,
    /// The organization's policy, enforced in the pane.
    pub policies: crate::policies::Policies,
    /// Why there is no model, when there is none.
    pub model_unavailable: Option<String>,
    /// What the pane says first (managed settings, policy problems).
    pub notes: Vec<String>,
    /// Where web pages are kept for reading offline; none keeps nothing.
    pub page_cache: Option<crate::page_cache::PageCache>,
    /// The profile the window keeps its cookies, site data, history, memory, bookmarks and
    /// session in; `None` makes it a private window, which writes none of them.
    pub storage: Option<std::sync::Arc<clef_profile::Profile>>,
    /// What the user lets the profile keep.
    pub privacy: crate::config::Privacy,
    /// Where saved logins are (a private window reads them, and saves none).
    pub secrets: crate::assistant::SecretsPlace,
    /// The password manager's settings.
    pub passwords: crate::config::Passwords,
    /// MCP clients drive tabs of this window (`clef mcp --window`).
    pub mcp: Option<crate::mcp_host::window_tabs::WindowEnd>,
}

/// Set when SIGTERM, SIGINT or SIGHUP arrived: the window closes as if the user closed it, so
/// the session is saved as a clean exit and Servo writes its cookie jar.
static TERMINATING: AtomicBool = AtomicBool::new(false);
/// The write end of the pipe the signal handler wakes the watcher through.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_termination(_: libc::c_int) {
    TERMINATING.store(true, Ordering::SeqCst);
    let fd = SIGNAL_PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is a live local byte.
        unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
}

/// A signal handler may do almost nothing; it writes a byte that a thread waits for, and the
/// thread wakes the event loop (which then exits).
fn watch_termination(proxy: winit::event_loop::EventLoopProxy<Wake>) {
    let Ok((mut reader, writer)) = std::os::unix::net::UnixStream::pair() else {
        return;
    };
    SIGNAL_PIPE.store(
        std::os::fd::IntoRawFd::into_raw_fd(writer),
        Ordering::SeqCst,
    );
    let spawned = std::thread::Builder::new()
        .name("clef-signals".to_owned())
        .spawn(move || {
            let mut byte = [0u8];
            if std::io::Read::read(&mut reader, &mut byte).is_ok() {
                let _ = proxy.send_event(Wake);
            }
        });
    if spawned.is_err() {
        return;
    }
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to atomics and calls write(2).
        unsafe { libc::signal(signal, on_termination as *const () as libc::sighandler_t) };
    }
}

/// Servo has work for us: spin its event loop.
#[derive(Debug, Clone, Copy)]
struct Wake;

enum App {
    Starting(Box<WindowOptions>, winit::event_loop::EventLoopProxy<Wake>),
    Running(Box<Ui>),
    Failed(BrowserError),
    Done,
}

/// Open the browser window and run until it is closed.
pub fn run_window(options: WindowOptions) -> Result<(), BrowserError> {
    let rendering =
        |error: winit::error::EventLoopError| BrowserError::Rendering(error.to_string());
    let event_loop = EventLoop::<Wake>::with_user_event()
        .build()
        .map_err(rendering)?;
    watch_termination(event_loop.create_proxy());
    let mut app = App::Starting(Box::new(options), event_loop.create_proxy());
    event_loop.run_app(&mut app).map_err(rendering)?;
    match std::mem::replace(&mut app, App::Done) {
        App::Failed(error) => Err(error),
        // Dropping the UI here, before Servo's statics unwind, gives a clean exit.
        App::Running(ui) => {
            drop(ui);
            Ok(())
        }
        App::Starting(..) | App::Done => Ok(()),
    }
}

impl ApplicationHandler<Wake> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let App::Starting(options, proxy) = self else {
            return;
        };
        match Ui::new(event_loop, options, proxy.clone()) {
            Ok(ui) => *self = App::Running(Box::new(ui)),
            Err(error) => {
                tracing::error!(%error, "could not open the window");
                *self = App::Failed(error);
                event_loop.exit();
            }
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, _: Wake) {
        if TERMINATING.load(Ordering::SeqCst) {
            event_loop.exit();
            return;
        }
        if let App::Running(ui) = self {
            ui.pump(event_loop);
        }
    }

    /// Between event batches: timers (the cookie copy, the saved session) run, and the loop
    /// wakes at least once a second for them even when nothing else happens.
    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let App::Running(ui) = self {
            ui.tick();
            event_loop.set_control_flow(ControlFlow::WaitUntil(
                std::time::Instant::now() + std::time::Duration::from_secs(1),
            ));
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        if let App::Running(ui) = self {
            if matches!(event, WindowEvent::CloseRequested) {
                event_loop.exit();
                return;
            }
            ui.window_event(event_loop, event);
            ui.pump(event_loop);
        }
    }
}
