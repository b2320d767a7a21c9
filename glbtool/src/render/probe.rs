//! The text view of a probe report: the verdict first, then the evidence
//! (framing, glbtool's layout field by field, what was found, a proposed
//! layout). It shows only what the report holds.

use std::io::{self, Write};

use glb_formats::fields::Stamp;
use glb_formats::probe::{
    Comparison, Confidence, Found, Report, Status, TimeEncoding, Verdict, What,
};
use owo_colors::Style;

use super::{visible, Painter};
use crate::timefmt::Zone;

/// Writes the report.
pub fn report<W: Write>(
    out: &mut W,
    r: &Report,
    path: &str,
    p: Painter,
    zone: &Zone,
) -> io::Result<()> {
    let kind = r
        .kind
        .map_or_else(|| "kind unknown".to_string(), |k| k.to_string());
    writeln!(
        out,
        "{}",
        p.heading(&format!("probe of {path} ({kind}, {} bytes)", r.size))
    )?;
    writeln!(out)?;
    let verdict = match r.summary.verdict {
        Verdict::Fits => p.paint("FITS", Style::new().green().bold()),
        Verdict::FitsExceptChecksum => p.warn("FITS EXCEPT THE CHECKSUM"),
        Verdict::DoesNotFit => p.error("DOES NOT FIT"),
        Verdict::NoLayout => p.paint("NO LAYOUT TO COMPARE", Style::new().bold()),
    };
    writeln!(out, "Verdict: {verdict}")?;
    writeln!(out, "  {}", r.summary.headline)?;
    if r.redacted {
        writeln!(
            out,
            "  {}",
            p.dim("Redacted: text is replaced (letters by X/x, digits by 9); lengths, numbers and times are as in the file.")
        )?;
        for note in &r.redaction {
            writeln!(out, "  {}", p.dim(&format!("Redacted copy: {note}.")))?;
        }
    }
    writeln!(out)?;

    framing(out, r, p)?;
    if let Some(c) = &r.comparison {
        comparison(out, c, p)?;
    }
    if !r.record.is_empty() {
        writeln!(
            out,
            "{}",
            p.heading(&format!(
                "Found in the records ({} analysed)",
                r.records_analysed
            ))
        )?;
        found(out, &r.record, p, zone)?;
        writeln!(out)?;
    }
    if !r.header.is_empty() {
        writeln!(
            out,
            "{}",
            p.heading("Found in the header (one instance: values only, low confidence)")
        )?;
        found(out, &r.header, p, zone)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}",
        p.heading("Proposed layout (glbtool probe's reading of these bytes, not a fact)")
    )?;
    for line in r.proposal.declaration().lines() {
        writeln!(out, "  {line}")?;
    }
    writeln!(out)?;
    writeln!(out, "{}", p.dim(&zone.banner()))?;
    Ok(())
}

fn framing<W: Write>(out: &mut W, r: &Report, p: Painter) -> io::Result<()> {
    let f = &r.framing;
    writeln!(out, "{}", p.heading("Framing"))?;
    let count = match f.records_in_file {
        Some(n) => format!("{n} record{} in the file", if n == 1 { "" } else { "s" }),
        None => format!(
            "{} records read from the first {} bytes; the count in the whole file is not known without reading it all",
            f.records_in_sample, r.sampled_bytes
        ),
    };
    writeln!(
        out,
        "  {} ({count}; {} confidence)",
        f.found.describe(),
        conf(f.confidence)
    )?;
    for e in &f.evidence {
        writeln!(out, "  - {e}")?;
    }
    if let Some(rule) = &f.size_rule {
        let holds = if rule.holds {
            p.paint("holds", Style::new().green())
        } else {
            p.error("does not hold")
        };
        writeln!(out, "  - declared size rule: {} ({holds})", rule.rule)?;
    }
    if let Some((n, of)) = f.ends_with_nul {
        writeln!(out, "  - {n} of {of} records end with a NUL byte")?;
    }
    if !f.periods.is_empty() {
        let list: Vec<String> = f
            .periods
            .iter()
            .map(|q| format!("{} ({:.0}%)", q.size, 100.0 * q.score))
            .collect();
        writeln!(
            out,
            "  - sizes whose bytes repeat best: {} (typical size: {:.0}%)",
            list.join(", "),
            100.0 * f.baseline
        )?;
    }
    writeln!(out)
}

fn comparison<W: Write>(out: &mut W, c: &Comparison, p: Painter) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        p.heading(&format!(
            "glbtool's {} layout against the bytes (`glbtool layout` and docs/formats/ give each field's source)",
            c.layout
        ))
    )?;
    writeln!(
        out,
        "{}",
        p.dim(&format!("  Marks: {}", glb_formats::layout::MARK_LEGEND))
    )?;
    writeln!(
        out,
        "  framing: {} {}",
        status(c.framing, p),
        c.framing_evidence
    )?;
    for (part, fits) in [("header", &c.header), ("record", &c.record)] {
        if fits.is_empty() {
            continue;
        }
        writeln!(out, "  {part}:")?;
        for f in fits {
            let d = &f.decl;
            let width = d.len.map_or_else(|| "rest".to_string(), |l| l.to_string());
            writeln!(
                out,
                "    {:<18} {} +{:<4} {:>4}  {:<7} {:<17} {} {}",
                d.name,
                mark(&d.provenance),
                d.start,
                width,
                d.ty.name(),
                d.claim.label(),
                status(f.status, p),
                f.evidence
            )?;
            if let Some(i) = &f.instead {
                writeln!(out, "    {:<18} {}", "", p.warn(&format!("-> {i}")))?;
            }
        }
    }
    writeln!(out)
}

/// The provenance mark of a declared field (as the annotated dump shows it),
/// from its statement (`documented (KB ...)`, `start documented ...`,
/// `reconstructed: ...`, `unknown, ...`).
fn mark(provenance: &str) -> char {
    if provenance.starts_with("documented") {
        'D'
    } else if provenance.starts_with("start documented") {
        'S'
    } else if provenance.starts_with("reconstructed") {
        'R'
    } else {
        '?'
    }
}

fn status(s: Status, p: Painter) -> String {
    match s {
        Status::Fits => p.paint("fits     ", Style::new().green()),
        Status::Differs => p.error("DIFFERS  "),
        Status::Untested => p.dim("untested "),
    }
}

fn conf(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn found<W: Write>(out: &mut W, fields: &[Found], p: Painter, zone: &Zone) -> io::Result<()> {
    for f in fields {
        let width = f.len.map_or_else(|| "rest".to_string(), |l| l.to_string());
        let role = glb_formats::probe::detect::role_of(&f.what);
        let label = p.paint(
            &format!("{:<10}", f.what.label()),
            Painter::role_style(role),
        );
        writeln!(
            out,
            "  +{:<4} {:>4}  {:<7} {label} {:<6} {}",
            f.start,
            width,
            f.ty.name(),
            conf(f.confidence),
            f.evidence
        )?;
        let detail = details(f, zone);
        if !detail.is_empty() {
            writeln!(out, "  {:<14}{}", "", p.dim(&detail))?;
        }
    }
    Ok(())
}

/// Examples and facts beside the evidence.
fn details(f: &Found, zone: &Zone) -> String {
    let show_time = |secs: i64, dos: bool| -> String {
        if dos {
            // A DOS stamp holds a local time with no zone.
            jiff::Timestamp::from_second(secs)
                .map(|t| {
                    format!(
                        "{} (local time, no zone stored)",
                        t.strftime("%Y-%m-%d %H:%M:%S")
                    )
                })
                .unwrap_or_default()
        } else {
            u32::try_from(secs)
                .map(|s| crate::timefmt::ctime(Stamp(s), zone))
                .unwrap_or_default()
        }
    };
    match &f.what {
        What::Time {
            encoding,
            earliest,
            latest,
            ..
        } => {
            let dos = matches!(encoding, TimeEncoding::Dos { .. });
            if earliest == latest {
                format!("value {}", show_time(*earliest, dos))
            } else {
                format!(
                    "from {} to {}",
                    show_time(*earliest, dos),
                    show_time(*latest, dos)
                )
            }
        }
        What::Code { values } => {
            let v: Vec<String> = values.iter().map(|(v, n)| format!("{v:#x} ×{n}")).collect();
            format!("values {}", v.join(", "))
        }
        What::Checksum { alternatives, .. } if *alternatives > 0 => format!(
            "{alternatives} other rule{} also fit every record tested; e.g. {}",
            if *alternatives == 1 { "" } else { "s" },
            f.examples.join(", ")
        ),
        What::Text { .. } => {
            let ex: Vec<String> = f
                .examples
                .iter()
                .map(|e| format!("\"{}\"", visible(&shorten(e, 48))))
                .collect();
            if ex.is_empty() {
                String::new()
            } else {
                format!("e.g. {}", ex.join(", "))
            }
        }
        What::Constant { .. } | What::Length { .. } => String::new(),
        _ if !f.examples.is_empty() => format!("e.g. {}", f.examples.join(", ")),
        _ => String::new(),
    }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}
