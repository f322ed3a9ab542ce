//! Where the chrome, the page and the agent pane sit in the window.

/// Height of the tab strip plus toolbar, in CSS pixels (matches `resources/ui/chrome.html`).
pub(super) const CHROME_HEIGHT: f64 = 84.0;
/// Width of the agent pane when open, in CSS pixels.
pub(super) const PANE_WIDTH: f64 = 360.0;

/// A rectangle in physical window pixels, origin top-left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Area {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Area {
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= f64::from(self.x)
            && y >= f64::from(self.y)
            && x < f64::from(self.x) + f64::from(self.width)
            && y < f64::from(self.y) + f64::from(self.height)
    }

    pub fn size(&self) -> dpi::PhysicalSize<u32> {
        dpi::PhysicalSize::new(self.width.max(1), self.height.max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    pub chrome: Area,
    pub content: Area,
    pub pane: Option<Area>,
}

/// Split a window of `width`×`height` physical pixels at HiDPI `scale`.
pub(super) fn layout(width: u32, height: u32, scale: f64, pane_open: bool) -> Layout {
    let chrome_height = ((CHROME_HEIGHT * scale).round() as u32).min(height);
    let below = height - chrome_height;
    // The pane never takes more than half the window, so the page stays usable when narrow.
    let pane_width = if pane_open {
        ((PANE_WIDTH * scale).round() as u32).min(width / 2)
    } else {
        0
    };
    let content_width = width - pane_width;
    let chrome = Area {
        x: 0,
        y: 0,
        width,
        height: chrome_height,
    };
    let top = chrome_height as i32;
    let content = Area {
        x: 0,
        y: top,
        width: content_width,
        height: below,
    };
    let pane = pane_open.then_some(Area {
        x: content_width as i32,
        y: top,
        width: pane_width,
        height: below,
    });
    Layout {
        chrome,
        content,
        pane,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_tile_the_window() {
        let layout = layout(1280, 800, 1.0, true);
        assert_eq!(
            layout.chrome,
            Area {
                x: 0,
                y: 0,
                width: 1280,
                height: 84
            }
        );
        assert_eq!(
            layout.content,
            Area {
                x: 0,
                y: 84,
                width: 920,
                height: 716
            }
        );
        assert_eq!(
            layout.pane,
            Some(Area {
                x: 920,
                y: 84,
                width: 360,
                height: 716
            })
        );
    }

    #[test]
    fn hidpi_scales_chrome_and_pane() {
        let layout = layout(2560, 1600, 2.0, true);
        assert_eq!(layout.chrome.height, 168);
        assert_eq!(layout.pane.map(|pane| pane.width), Some(720));
    }

    #[test]
    fn narrow_window_keeps_half_for_the_page() {
        let layout = layout(500, 300, 1.0, true);
        assert_eq!(layout.content.width, 250);
        assert!(layout.content.contains(10.0, 100.0));
        assert!(!layout.content.contains(10.0, 10.0));
    }
}
