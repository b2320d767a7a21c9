//! `glbtool identify`: what each file is.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::identify::Evidence;
use glb_formats::{with_format, FileKind};
use serde::Serialize;

use crate::console::Console;
use crate::input;
use crate::options::{ColorOption, KindOption};
use crate::output::{self, use_color, CliError, CliResult};
use crate::render::Painter;

/// Output format of `identify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdentifyFormat {
    /// One line per file.
    Text,
    /// A JSON array.
    Json,
}

/// Arguments of `identify`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::IDENTIFY)]
pub struct IdentifyArgs {
    /// Files to identify.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub kind: KindOption,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = IdentifyFormat::Text)]
    pub format: IdentifyFormat,
    #[command(flatten)]
    pub color: ColorOption,
}

#[derive(Serialize)]
struct Identity {
    path: String,
    kind: Option<FileKind>,
    evidence: Option<Evidence>,
    size: Option<u64>,
    records: Option<u64>,
    parses: bool,
    error: Option<String>,
    /// For a file whose name says it is an MS Mail file glbtool does not
    /// decode: what it is, its documented size rule, and whether the size
    /// meets it (`null` when no size is documented).
    #[serde(skip_serializing_if = "Option::is_none")]
    msmail: Option<MsMail>,
    /// For a file that does not parse: the layout its error quotes fields
    /// of (spec page, fields by provenance), as every view names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    layout: Option<glb_formats::layout::Statement>,
}

#[derive(Serialize)]
struct MsMail {
    name: &'static str,
    what: &'static str,
    source: &'static str,
    size_rule: glb_formats::msmail::SizeRule,
    size_fits: Option<bool>,
}

/// Runs `identify`. Exit 0 when every file is recognised and parses, 1 when
/// some do not, 2 when a file cannot be read at all.
pub fn run(args: IdentifyArgs, con: &mut Console) -> CliResult {
    if args.kind.value.is_none() && args.files.iter().any(|p| p.as_os_str() == "-") {
        // Not a finding about a file: nothing can be said about standard
        // input without its kind (trouble, exit 2, as in every command).
        return Err(CliError::usage("reading standard input needs --kind")
            .with_hint("for example: glbtool identify --kind reqtrans -"));
    }
    let mut all = Vec::new();
    let mut code = 0u8;
    for path in &args.files {
        let id = match input::open(path, args.kind.value, &con.stdin) {
            Ok(inp) => {
                let (kind, evidence, size) = (inp.kind, inp.evidence, inp.size);
                let family = kind.family();
                let parsed: Result<u64, glb_formats::Error> =
                    with_format!(family, |F| count::<F>(inp));
                if parsed.as_ref().is_err_and(glb_formats::Error::is_io) {
                    // Not a fault of the data: the file could not be read.
                    code = 2;
                }
                Identity {
                    path: path.display().to_string(),
                    kind: Some(kind),
                    evidence: Some(evidence),
                    size,
                    records: parsed.as_ref().ok().copied(),
                    parses: parsed.is_ok(),
                    layout: parsed
                        .as_ref()
                        .is_err()
                        .then(|| crate::render::layout_statements([kind]).pop())
                        .flatten(),
                    error: parsed.err().map(|e| e.to_string()),
                    msmail: None,
                }
            }
            // Named, not guessed: an MS Mail file glbtool does not decode is
            // neither a failure nor read as another kind.
            Err(e) if e.undecoded().is_some() => {
                let (f, size) = e.undecoded().expect("matched");
                Identity {
                    path: path.display().to_string(),
                    kind: None,
                    evidence: Some(Evidence::Name),
                    size,
                    records: None,
                    parses: false,
                    error: None,
                    layout: None,
                    msmail: Some(MsMail {
                        name: f.name,
                        what: f.what,
                        source: f.source,
                        size_rule: f.size,
                        size_fits: size.and_then(|s| f.size.fits(s)),
                    }),
                }
            }
            Err(e) => {
                // A file that cannot be opened or read is trouble (exit 2), as
                // in every other command; one whose kind cannot be told is a
                // finding (exit 1).
                if matches!(e.kind, crate::output::CliErrorKind::Io(_)) || e.is_io() {
                    code = 2;
                }
                let mut msg = e.to_string();
                if let Some(h) = e.hint() {
                    msg.push_str(&format!(" ({h})"));
                }
                Identity {
                    path: path.display().to_string(),
                    kind: None,
                    evidence: None,
                    size: None,
                    records: None,
                    parses: false,
                    error: Some(msg),
                    msmail: None,
                    layout: None,
                }
            }
        };
        if !id.parses && id.msmail.is_none() && code == 0 {
            code = 1;
        }
        all.push(id);
    }
    let mut out = output::guarded(con.out);
    match args.format {
        IdentifyFormat::Json => {
            output::write_json(&mut out, &all)?;
        }
        IdentifyFormat::Text => {
            use std::io::Write;
            let p = Painter::new(use_color(args.color.value, con.tty));
            for id in &all {
                if let Some(m) = &id.msmail {
                    let size = id.size.map_or(String::new(), |s| format!("; {s} bytes"));
                    let rule = match (m.size_rule, m.size_fits) {
                        (glb_formats::msmail::SizeRule::None, _) => String::new(),
                        (r, Some(false)) => p.warn(&format!(
                            "; documented size: {}, which this file does not meet",
                            r.describe()
                        )),
                        (r, _) => format!("; documented size: {}", r.describe()),
                    };
                    writeln!(
                        out,
                        "{}: MS Mail file, not decoded by glbtool: {}, {} ({}){size}{rule}",
                        id.path, m.name, m.what, m.source
                    )?;
                    continue;
                }
                let kind = id.kind.map_or("unknown".to_string(), |k| k.to_string());
                let how = match id.evidence {
                    Some(Evidence::Content) => " (guessed from size and content)",
                    Some(Evidence::Given) => " (as given)",
                    _ => "",
                };
                let size = id.size.map_or(String::new(), |s| format!(", {s} bytes"));
                let recs = id.records.map_or(String::new(), |n| {
                    format!(", {n} record{}", if n == 1 { "" } else { "s" })
                });
                let status = if id.parses {
                    p.paint("parses", owo_colors::Style::new().green())
                } else {
                    p.error("does not parse")
                };
                writeln!(out, "{}: {kind}{how}{size}{recs}, {status}", id.path)?;
                if let Some(e) = &id.error {
                    writeln!(out, "  {e}")?;
                    if id.layout.is_some() {
                        for line in crate::render::layout_lines(id.kind) {
                            writeln!(out, "  {line}")?;
                        }
                    }
                }
            }
        }
    }
    output::finish(out)?;
    Ok(code)
}

fn count<F: Format>(inp: input::Input) -> Result<u64, glb_formats::Error> {
    let mut r =
        Reader::<F, Box<dyn Read>>::new(inp.reader, inp.kind, inp.size, ReadOptions::default())?;
    while r.next_record()?.is_some() {}
    Ok(r.records_read())
}
