//! Renderers: turn typed records into text for people. They never decode
//! bytes themselves; what they show comes from the library's models and
//! field maps.

pub mod config;
pub mod diff;
pub mod findings;
pub mod hex;
pub mod lists;
pub mod queue;

use owo_colors::{OwoColorize, Style};

use glb_formats::layout::Role;

/// Applies colours when enabled.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    enabled: bool,
}

impl Painter {
    /// A painter that colours when `enabled`.
    pub fn new(enabled: bool) -> Self {
        Painter { enabled }
    }

    /// `text` in `style`, or plain.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if self.enabled {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }

    /// The style of a field role.
    pub fn role_style(role: Role) -> Style {
        match role {
            Role::Length => Style::new().cyan(),
            Role::Checksum => Style::new().magenta(),
            Role::Sync => Style::new().yellow().bold(),
            Role::Time => Style::new().blue(),
            Role::Text => Style::new().green(),
            Role::Flag => Style::new().bright_cyan(),
            Role::Number => Style::new().yellow(),
            Role::Pointer => Style::new().bright_blue(),
            Role::Unknown => Style::new().red(),
            Role::Terminator => Style::new().bright_black(),
        }
    }

    /// A heading.
    pub fn heading(&self, text: &str) -> String {
        self.paint(text, Style::new().bold())
    }

    /// A dimmed note.
    pub fn dim(&self, text: &str) -> String {
        self.paint(text, Style::new().bright_black())
    }

    /// A warning mark.
    pub fn warn(&self, text: &str) -> String {
        self.paint(text, Style::new().yellow().bold())
    }

    /// An error mark.
    pub fn error(&self, text: &str) -> String {
        self.paint(text, Style::new().red().bold())
    }
}

/// Shows text from a file: tabs as `<tab>` (the KB's notation), other control
/// characters as `<xx>` hex, everything else as decoded.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("<tab>"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("<{:02x}>", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}
