//! `--format html`: one self-contained page to hand on (styles inline, no
//! script, no image, no font, no link to fetch; a Content-Security-Policy
//! that forbids any request). Reports of findings (validate, doctor), the
//! annotated hex page of a file (dump), and diff's report in a page.

use std::collections::BTreeMap;
use std::io::{self, Write};

use glb_dirsync::check::{Finding, Fix, Severity};
use glb_formats::layout::{Provenance, MARK_LEGEND};

use super::findings::{cite, place};
use crate::excerpt::Excerpt;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:75em;padding:0 1em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em}h2{border-bottom:2px solid #ccc;margin-top:1.6em}
h3{margin:1.2em 0 .4em}.meta,.note{color:#555}
pre,code,table.bytes{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;white-space:pre-wrap}
article{border-left:5px solid #999;padding:.3em .9em;margin:.8em 0;background:#fafafa}
article.error{border-color:#c62828}article.warning{border-color:#e6a100}article.info{border-color:#607d8b}
.sev{font-weight:bold;text-transform:uppercase;font-size:.85em}.error .sev{color:#c62828}.warning .sev{color:#a36f00}.info .sev{color:#455a64}
.code{font-weight:bold}.file{color:#444;font-family:ui-monospace,monospace;font-size:.9em}
.predicts q{font-weight:bold}.fix code{background:#e8f5e9;padding:.1em .3em;user-select:all;word-break:break-all}
table.bytes{border-collapse:collapse;margin:.4em 0}table.bytes td,table.bytes th{border:1px solid #ddd;padding:.15em .5em;vertical-align:top;text-align:left}
table.bytes td.hex{word-break:break-all;max-width:28em}td.mark{font-weight:bold;text-align:center}
td.m-D{color:#1b5e20;background:#e8f5e9}td.m-S{color:#8a6d00;background:#fff8e1}td.m-R{color:#6a1b9a;background:#f3e5f5}td.m-U{color:#555;background:#eee}
td.prov{font-size:.85em;color:#444;max-width:30em}
ul.fixes li{margin:.3em 0}table.counts td{padding:.1em .8em}
";

/// Writes the start of a page: `title` in the window and as the heading,
/// with `meta` (already escaped HTML) under it.
pub fn head<W: Write>(out: &mut W, title: &str, meta: &str) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"glbtool {}\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"meta\">{meta}</p>\n",
        escape(crate::VERSION),
        escape(title),
        escape(title)
    )
}

/// Writes the end of a page.
pub fn tail<W: Write>(out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "<p class=\"note\">Made by glbtool {}. Field positions marked R are glbtool's reconstruction, not Microsoft's documentation; {}.</p>\n</body>\n</html>",
        escape(crate::VERSION),
        escape(MARK_LEGEND)
    )
}

fn mark_class(p: Provenance) -> &'static str {
    match p {
        Provenance::Documented(_) => "m-D",
        Provenance::Start(..) => "m-S",
        Provenance::Reconstructed(_) => "m-R",
        Provenance::Unknown(_) => "m-U",
    }
}

fn hex(bytes: &[u8], len: usize) -> String {
    let mut s: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if len > bytes.len() {
        s.push(format!("… ({len} bytes)"));
    }
    s.join(" ")
}

/// Writes one item's annotated bytes: a table of its fields with offset,
/// bytes, provenance mark, name, value and where the position comes from.
pub fn excerpt<W: Write>(out: &mut W, e: &Excerpt) -> io::Result<()> {
    writeln!(
        out,
        "<table class=\"bytes\"><caption>{} at byte {} (0x{:x}), {} bytes</caption>\n\
         <tr><th>Offset</th><th>Bytes</th><th title=\"provenance\">Mark</th><th>Field</th><th>Value</th><th>Position</th></tr>",
        escape(&e.title),
        e.offset,
        e.offset,
        e.len
    )?;
    for r in &e.rows {
        writeln!(
            out,
            "<tr><td>0x{:08x}</td><td class=\"hex\">{}</td><td class=\"mark {}\">{}</td><td>{}</td><td>{}</td><td class=\"prov\">{}</td></tr>",
            r.offset,
            hex(&r.bytes, r.len),
            mark_class(r.provenance),
            r.provenance.mark(),
            escape(r.name),
            escape(&r.value),
            escape(&r.provenance.statement())
        )?;
    }
    writeln!(out, "</table>")
}

/// A page of findings (validate, doctor).
pub struct FindingsPage<'a> {
    /// `glbtool doctor` or `glbtool validate`, and what it was run on.
    pub title: String,
    /// The text summary (doctor's per-postoffice summary, validate's list of
    /// files), shown as it is.
    pub summary: String,
    /// The totals line.
    pub totals: String,
    /// The findings by postoffice, in the order to show.
    pub groups: Vec<(String, Vec<&'a Finding>)>,
    /// The annotated items the findings name.
    pub excerpts: &'a BTreeMap<(String, Option<u64>), Excerpt>,
}

fn severity_title(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Errors",
        Severity::Warning => "Warnings",
        Severity::Info => "Notes",
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Writes a whole page of findings: the summary, the MS Mail messages they
/// predict, the fix commands, then the findings by postoffice and severity,
/// each with the annotated bytes of the item it names.
pub fn findings_page<W: Write>(out: &mut W, page: &FindingsPage) -> io::Result<()> {
    head(out, &page.title, &escape(&page.totals))?;
    writeln!(
        out,
        "<h2 id=\"summary\">Summary</h2>\n<pre>{}</pre>",
        escape(&page.summary)
    )?;
    let all: Vec<&Finding> = page
        .groups
        .iter()
        .flat_map(|(_, f)| f.iter().copied())
        .collect();

    let mut predicted: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &all {
        if let Some(p) = &f.predicts {
            *predicted
                .entry((p.program.to_string(), p.text.to_string()))
                .or_default() += 1;
        }
    }
    writeln!(out, "<h2 id=\"predicted\">MS Mail messages predicted</h2>")?;
    if predicted.is_empty() {
        writeln!(
            out,
            "<p>None: no finding predicts an MS Mail or Exchange message.</p>"
        )?;
    } else {
        writeln!(out, "<ul>")?;
        for ((program, text), n) in &predicted {
            writeln!(
                out,
                "<li>{}: <q>{}</q>{}</li>",
                escape(program),
                escape(text),
                if *n > 1 {
                    format!(" ({n} findings)")
                } else {
                    String::new()
                }
            )?;
        }
        writeln!(out, "</ul>")?;
    }

    let commands: Vec<&str> = all
        .iter()
        .filter_map(|f| match &f.fix {
            Fix::Command { command, .. } => Some(command.as_str()),
            _ => None,
        })
        .collect();
    writeln!(out, "<h2 id=\"fixes\">Fix commands</h2>")?;
    if commands.is_empty() {
        writeln!(out, "<p>None: no finding has a glbtool command that repairs it (see each finding's procedure).</p>")?;
    } else {
        writeln!(out, "<p>Each is validated before and after it writes, and keeps the old file as a backup.</p>\n<ul class=\"fixes\">")?;
        for c in commands {
            writeln!(out, "<li class=\"fix\"><code>{}</code></li>", escape(c))?;
        }
        writeln!(out, "</ul>")?;
    }

    writeln!(out, "<h2 id=\"findings\">Findings</h2>")?;
    if all.is_empty() {
        writeln!(out, "<p>No findings.</p>")?;
    }
    for (group, findings) in &page.groups {
        if findings.is_empty() {
            continue;
        }
        writeln!(
            out,
            "<section class=\"postoffice\">\n<h3>{}</h3>",
            escape(group)
        )?;
        for sev in [Severity::Error, Severity::Warning, Severity::Info] {
            let mine: Vec<&&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
            if mine.is_empty() {
                continue;
            }
            writeln!(out, "<h4>{} ({})</h4>", severity_title(sev), mine.len())?;
            for f in mine {
                finding(out, f, page.excerpts)?;
            }
        }
        writeln!(out, "</section>")?;
    }
    tail(out)
}

fn finding<W: Write>(
    out: &mut W,
    f: &Finding,
    excerpts: &BTreeMap<(String, Option<u64>), Excerpt>,
) -> io::Result<()> {
    writeln!(
        out,
        "<article class=\"finding {}\">\n<p><span class=\"sev\">{}</span> <span class=\"code\">{}</span> <span class=\"file\">{}</span></p>\n<p class=\"cause\">{}{}</p>",
        severity_class(f.severity),
        f.severity.name(),
        escape(f.code),
        escape(&f.file),
        escape(&place(f)),
        escape(&f.cause)
    )?;
    if let Some(p) = &f.predicts {
        writeln!(
            out,
            "<p class=\"predicts\">MS Mail says ({}): <q>{}</q></p>",
            escape(p.program),
            escape(&p.text)
        )?;
    }
    match &f.fix {
        Fix::Command { command, risk } => {
            writeln!(
                out,
                "<p class=\"fix\">Fix: <code>{}</code></p>",
                escape(command)
            )?;
            if let Some(risk) = risk {
                writeln!(out, "<p class=\"fix\">Risk: {}</p>", escape(risk))?;
            }
        }
        Fix::Procedure { text, source } => writeln!(
            out,
            "<p class=\"fix\">Fix: {}</p>",
            escape(&cite(text, source))
        )?,
        Fix::None => {}
    }
    let item = match (f.record, f.offset) {
        (Some(r), _) => Some(Some(r)),
        (None, Some(_)) => Some(None),
        _ => None,
    };
    if let Some(e) = item.and_then(|i| excerpts.get(&(f.file.clone(), i))) {
        writeln!(
            out,
            "<details open><summary>The bytes of {} (fields, values, and whether each position is documented or reconstructed)</summary>",
            escape(&e.title)
        )?;
        excerpt(out, e)?;
        writeln!(out, "</details>")?;
    }
    writeln!(out, "</article>")
}

/// A writer that escapes everything written through it for a `<pre>` block.
pub struct Escaping<W: Write> {
    inner: W,
}

impl<W: Write> Escaping<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Escaping { inner }
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, b) in buf.iter().enumerate() {
            let rep: &[u8] = match b {
                b'&' => b"&amp;",
                b'<' => b"&lt;",
                b'>' => b"&gt;",
                _ => continue,
            };
            self.inner.write_all(&buf[start..i])?;
            self.inner.write_all(rep)?;
            start = i + 1;
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let mut v = Vec::new();
        Escaping::new(&mut v).write_all(b"a<b>&c").unwrap();
        assert_eq!(v, b"a&lt;b&gt;&amp;c");
    }
}
