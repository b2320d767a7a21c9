//! Renderers: turn typed records into text for people. They never decode
//! bytes themselves; what they show comes from the library's models and
//! field maps.

pub mod config;
pub mod diff;
pub mod findings;
pub mod hex;
pub mod html;
pub mod lists;
pub mod probe;
pub mod queue;

use owo_colors::{OwoColorize, Style};

use glb_formats::format::Format;
use glb_formats::layout::{Role, Statement};
use glb_formats::{with_format, FileKind};

/// One kind per family among `kinds`, in first-seen order (the queue kinds
/// share one layout).
fn one_per_family(kinds: impl IntoIterator<Item = FileKind>) -> Vec<FileKind> {
    let mut out: Vec<FileKind> = Vec::new();
    for k in kinds {
        if !out.iter().any(|o| o.family() == k.family()) {
            out.push(k);
        }
    }
    out
}

/// The layout statements of the files a report read field values from: one
/// line per family, naming the spec page and the documented positions
/// ([`glb_formats::layout::Layout::summary`]), for reports that quote values
/// (validate, doctor, patch-seq, resync).
pub fn layout_lines(kinds: impl IntoIterator<Item = FileKind>) -> Vec<String> {
    one_per_family(kinds)
        .into_iter()
        .map(|k| {
            with_format!(k.family(), |F| format!(
                "{k}: {}",
                F::layout().summary(k.name())
            ))
        })
        .collect()
}

/// One line for reports over many kinds (doctor): every field position is
/// glbtool's reconstruction except the documented ones, named per kind.
pub fn layout_digest(kinds: impl IntoIterator<Item = FileKind>) -> String {
    let mut documented = Vec::new();
    for k in one_per_family(kinds) {
        let names: Vec<&str> = with_format!(k.family(), |F| F::layout()
            .fields()
            .filter(|f| !matches!(
                f.provenance,
                glb_formats::layout::Provenance::Reconstructed(_)
                    | glb_formats::layout::Provenance::Unknown(_)
            ))
            .map(|f| f.name)
            .collect());
        if !names.is_empty() {
            documented.push(format!("{k} {}", names.join(", ")));
        }
    }
    format!(
        "Layouts (docs/formats/): every field position the values shown come from is glbtool's reconstruction, except the documented positions or starts of {} (`glbtool layout KIND` gives each field's source).",
        documented.join("; ")
    )
}

/// The JSON `layouts` of a report: one [`Statement`] per family read.
pub fn layout_statements(kinds: impl IntoIterator<Item = FileKind>) -> Vec<Statement> {
    one_per_family(kinds)
        .into_iter()
        .map(|k| with_format!(k.family(), |F| F::layout().statement(k.name())))
        .collect()
}

/// How text is drawn: colours when enabled, and lines wrapped to the
/// terminal's width when there is one.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    enabled: bool,
    width: Option<usize>,
}

impl Painter {
    /// A painter that colours when `enabled` and never wraps.
    pub fn new(enabled: bool) -> Self {
        Painter {
            enabled,
            width: None,
        }
    }

    /// The same painter, wrapping lines at `width` columns (`None`: never,
    /// as when standard output is not a terminal).
    pub fn wrapping(self, width: Option<usize>) -> Self {
        Painter { width, ..self }
    }

    /// Writes `line` and a newline, wrapped to the width with a hanging
    /// indent of `indent` columns (textwrap; colour codes take no width,
    /// and a word longer than a line, such as a path, is never cut).
    pub fn line<W: std::io::Write>(
        &self,
        out: &mut W,
        line: &str,
        indent: usize,
    ) -> std::io::Result<()> {
        let Some(width) = self.width else {
            return writeln!(out, "{line}");
        };
        let hang = " ".repeat(indent);
        let opts = textwrap::Options::new(width.max(indent + 20))
            .subsequent_indent(&hang)
            .break_words(false);
        for l in textwrap::wrap(line, opts) {
            writeln!(out, "{l}")?;
        }
        Ok(())
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

/// One line of a transaction text, with every white-space form told apart:
/// as [`visible`], and the spaces at the start and end of the line, which
/// would not show, as `<sp>` (so ` <tab>New` and `<tab>New`, or a trailing
/// space, never look alike). The caller splits lines at CR LF only, so a CR
/// or LF on its own shows as `<0d>` or `<0a>`.
pub fn visible_line(line: &str) -> String {
    let body = line.trim_matches(' ');
    let lead = line.len() - line.trim_start_matches(' ').len();
    let trail = if body.is_empty() {
        0
    } else {
        line.len() - line.trim_end_matches(' ').len()
    };
    format!(
        "{}{}{}",
        "<sp>".repeat(lead),
        visible(body),
        "<sp>".repeat(trail)
    )
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

#[cfg(test)]
mod tests {
    use super::visible_line;

    /// Every white-space form of an M's second line reads differently
    /// (issue 14 point 1: `<TAB>` against `<SPACE><TAB>`).
    #[test]
    fn every_white_space_form_reads_differently() {
        let forms = [
            "\tNew Name\tPCM:N/P/m",
            " \tNew Name\tPCM:N/P/m",
            "  New Name\tPCM:N/P/m",
            " New Name\tPCM:N/P/m",
            "\t New Name\tPCM:N/P/m",
            "\tNew Name\tPCM:N/P/m ",
            "\tNew Name\tPCM:N/P/m\r",
            "\tNew Name\tPCM:N/P/m\n",
            "\tNew Name \tPCM:N/P/m",
        ];
        let shown: Vec<String> = forms.iter().map(|f| visible_line(f)).collect();
        assert_eq!(shown[0], "<tab>New Name<tab>PCM:N/P/m");
        assert_eq!(shown[1], "<sp><tab>New Name<tab>PCM:N/P/m");
        assert_eq!(shown[2], "<sp><sp>New Name<tab>PCM:N/P/m");
        assert_eq!(shown[5], "<tab>New Name<tab>PCM:N/P/m<sp>");
        assert_eq!(shown[6], "<tab>New Name<tab>PCM:N/P/m<0d>");
        assert_eq!(shown[7], "<tab>New Name<tab>PCM:N/P/m<0a>");
        let distinct: std::collections::BTreeSet<&String> = shown.iter().collect();
        assert_eq!(distinct.len(), forms.len(), "{shown:#?}");
        assert_eq!(visible_line("   "), "<sp><sp><sp>");
    }
}
