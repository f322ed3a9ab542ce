//! The desktop window: chrome (tabs, address bar) and agent pane are Servo webviews showing
//! Clef's own pages; the page itself is a third. Each renders offscreen and is copied into
//! its area of the window.

mod bridge;
mod delegate;
mod keymap;
mod layout;
mod view;

use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::window::WindowId;

use crate::BrowserError;
use view::Ui;

/// What the window opens with.
#[derive(Debug, Clone, Default)]
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
        if let App::Running(ui) = self {
            ui.pump(event_loop);
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
