//! Findings as text: grouped by file, coloured by severity, each with the
//! predicted message, the cause and the fix.

use std::io::{self, Write};

use glb_dirsync::check::doctor::Counts;
use glb_dirsync::check::{Finding, Fix, Severity};
use glb_formats::{Family, FileKind};

use super::Painter;

impl From<Counts> for Tally {
    fn from(c: Counts) -> Tally {
        Tally {
            errors: c.errors,
            warnings: c.warnings,
            infos: c.notes,
            unlisted: c.unlisted,
        }
    }
}

/// Counts per severity.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Information.
    pub infos: usize,
    /// Of these, how many are counted but not listed.
    pub unlisted: usize,
}

impl Tally {
    /// Counts findings.
    pub fn of(findings: &[Finding]) -> Tally {
        Counts::of(findings).into()
    }

    /// The exit code: 1 when there is an error or a warning.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.errors + self.warnings > 0)
    }

    /// `2 errors, 1 warning, 0 notes`.
    pub fn summary(&self) -> String {
        let p = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}, {}{}",
            p(self.errors, "error"),
            p(self.warnings, "warning"),
            p(self.infos, "note"),
            if self.unlisted > 0 {
                format!(
                    " ({} not listed: at most {} of each kind per file are)",
                    self.unlisted,
                    glb_dirsync::check::FINDINGS_PER_CODE
                )
            } else {
                String::new()
            }
        )
    }
}

fn severity_label(p: &Painter, s: Severity) -> String {
    let text = format!("{:<7}", s.name());
    match s {
        Severity::Error => p.error(&text),
        Severity::Warning => p.warn(&text),
        Severity::Info => p.dim(&text),
    }
}

/// A procedure with its source, each KB article named once: `(KB Q1)`
/// after the text, or, when the text already ends with its own KB
/// references, the source's other articles added to them (never `(KB Q1,
/// Q2) (KB Q3)`).
pub fn cite(text: &str, source: &str) -> String {
    let articles = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| {
                w.len() > 1 && w.starts_with('Q') && w[1..].bytes().all(|b| b.is_ascii_digit())
            })
            .map(String::from)
            .collect()
    };
    let Some(kb) = source.strip_prefix("KB ") else {
        return format!("{text} ({source})");
    };
    let named = articles(text);
    let new: Vec<String> = articles(kb)
        .into_iter()
        .filter(|a| !named.contains(a))
        .collect();
    if new.is_empty() {
        return text.to_string();
    }
    match text
        .strip_suffix(')')
        .and_then(|t| t.rfind("(KB ").map(|at| (t, at)))
    {
        Some((t, at)) if !t[at..].contains(')') => format!("{t}, {})", new.join(", ")),
        _ => format!("{text} (KB {})", new.join(", ")),
    }
}

/// Where in its file a finding is, as its text starts, numbered as the
/// file's own tools and views number it: a queue record by its sync number
/// (`sync 18, at byte 1234 (0x4d2): `; LISTQ's Sync# column, KB Q96060),
/// never by its position, which only JSON gives (`record`, 0-based); a
/// SRVCONF or PROCESS record as LISTDS and DSSCHED number them (`record
/// #1` for the first); an address-list record as the list views number it
/// (0 for the first); or nothing.
pub fn place(f: &Finding) -> String {
    let at = |o: u64| format!("byte {o} (0x{o:x})");
    let family = f.kind.map(glb_formats::FileKind::family);
    match (f.sync, f.record, f.offset) {
        (Some(s), _, Some(o)) => format!("sync {s}, at {}: ", at(o)),
        (Some(s), _, None) => format!("sync {s}: "),
        (None, Some(r), Some(o)) => match family {
            Some(Family::SrvConf | Family::Process) => {
                format!("record #{} at {}: ", r.saturating_add(1), at(o))
            }
            Some(Family::Queue) => format!("at {}: ", at(o)),
            Some(
                Family::ReqConf
                | Family::Nme
                | Family::Usr
                | Family::Netpo
                | Family::Galnetpo
                | Family::Network
                | Family::Xtn,
            )
            | None => format!("record {r} at {}: ", at(o)),
        },
        (None, _, Some(o)) => format!("at {}: ", at(o)),
        _ => String::new(),
    }
}

/// Writes one finding (without its file name).
pub fn finding<W: Write>(out: &mut W, p: &Painter, f: &Finding) -> io::Result<()> {
    let place = place(f);
    // Wrapped lines hang under the text, after the severity and the code.
    const HANG: usize = 18;
    p.line(
        out,
        &format!(
            "  {} {}  {place}{}",
            severity_label(p, f.severity),
            p.heading(f.code),
            f.cause
        ),
        HANG,
    )?;
    if let Some(pr) = &f.predicts {
        p.line(
            out,
            &format!("                  predicts ({}): {}", pr.program, pr.text),
            HANG,
        )?;
    }
    match &f.fix {
        // A command stays on one line, so that it works when pasted.
        Fix::Command { command, risk } => {
            writeln!(
                out,
                "                  fix: {}",
                p.paint(command, owo_colors::Style::new().green())
            )?;
            if let Some(risk) = risk {
                writeln!(out, "                  risk: {risk}")?;
            }
        }
        Fix::Procedure { text, source } => p.line(
            out,
            &format!("                  fix: {}", cite(text, source)),
            HANG,
        )?,
        Fix::None => {}
    }
    Ok(())
}

/// Writes findings grouped by file, in the given order of files; each file
/// with whether it could be read (the reason is on standard error).
pub fn grouped<W: Write>(
    out: &mut W,
    p: &Painter,
    files: &[(String, bool)],
    guessed: &[(String, FileKind)],
    findings: &[Finding],
) -> io::Result<()> {
    for (file, read) in files {
        let mine: Vec<&Finding> = findings.iter().filter(|f| &f.file == file).collect();
        // A kind guessed from the content is said so under the file's name.
        if let Some((_, kind)) = guessed.iter().find(|(g, _)| g == file) {
            writeln!(
                out,
                "{}  {}",
                p.heading(file),
                p.warn(&format!(
                    "read as {kind}, guessed from its size and content (its name says nothing; --kind names it)"
                ))
            )?;
        }
        // A file not read because glbtool does not decode it has its note (GLB360).
        if !read && mine.is_empty() {
            writeln!(
                out,
                "{}  {}",
                p.heading(file),
                p.error("not read (the reason is on standard error)")
            )?;
            continue;
        }
        if mine.is_empty() {
            writeln!(
                out,
                "{}  {}",
                p.heading(file),
                p.paint("ok", owo_colors::Style::new().green())
            )?;
            continue;
        }
        let t = Tally::of(&mine.iter().map(|f| (*f).clone()).collect::<Vec<_>>());
        p.line(
            out,
            &format!("{}  {}", p.heading(file), p.dim(&t.summary())),
            2,
        )?;
        for f in mine {
            finding(out, p, f)?;
        }
    }
    // Findings about files not in the list (cross-file findings name their own file).
    for f in findings
        .iter()
        .filter(|f| !files.iter().any(|(name, _)| name == &f.file))
    {
        writeln!(out, "{}", p.heading(&f.file))?;
        finding(out, p, f)?;
    }
    Ok(())
}

/// Writes findings already sorted errors first (`check::sort`): a heading per
/// severity, then the findings of each file under the file's name.
pub fn by_severity<W: Write>(out: &mut W, p: &Painter, findings: &[Finding]) -> io::Result<()> {
    let mut severity = None;
    let mut file: Option<&str> = None;
    for f in findings {
        if severity != Some(f.severity) {
            severity = Some(f.severity);
            file = None;
            let c = Counts::of(findings.iter().filter(|g| g.severity == f.severity));
            let n = c.errors + c.warnings + c.notes;
            let title = match f.severity {
                Severity::Error => p.error(&format!("Errors ({n})")),
                Severity::Warning => p.warn(&format!("Warnings ({n})")),
                Severity::Info => p.dim(&format!("Notes ({n})")),
            };
            writeln!(out, "{title}")?;
        }
        if file != Some(f.file.as_str()) {
            file = Some(&f.file);
            writeln!(out, "{}", p.heading(&f.file))?;
        }
        finding(out, p, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cite;

    #[test]
    fn each_article_is_cited_once() {
        assert_eq!(cite("reset it", "KB Q96060"), "reset it (KB Q96060)");
        assert_eq!(
            cite("create RESYNC.GLB (KB Q119449, Q105125)", "KB Q96060"),
            "create RESYNC.GLB (KB Q119449, Q105125, Q96060)"
        );
        assert_eq!(
            cite("create RESYNC.GLB (KB Q119449)", "KB Q119449"),
            "create RESYNC.GLB (KB Q119449)"
        );
        assert_eq!(
            cite("see KB Q119449 and run it", "KB Q119449, Q96060"),
            "see KB Q119449 and run it (KB Q96060)"
        );
        assert_eq!(cite("do it", "docs/safety.md"), "do it (docs/safety.md)");
    }
}
