//! `glbtool dump`: one file as text, annotated hex, JSON or NDJSON.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::json::{self, Style};
use glb_formats::pipeline::{self, Pipeline};
use glb_formats::with_format;

use crate::console::Console;
use crate::dispatch::{TextContext, TextView};
use crate::input::{self, Input};
use crate::options::KindOption;
use crate::output::{self, use_color, CliError, CliResult};
use crate::render::hex::HexWriter;
use crate::render::Painter;
use crate::timefmt::Zone;
use crate::ShowOptions;

/// How to show the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// Human-readable view (LISTQ columns for queue files).
    Text,
    /// Annotated hex: every byte range labelled with its field.
    Hex,
    /// One JSON document (convert back with `glbtool build`).
    Json,
    /// One JSON value per line: a file line, one line per record, an end line.
    Ndjson,
    /// The annotated hex dump as one self-contained HTML page: every field's
    /// bytes, name, value and provenance, item by item.
    Html,
    /// PROCESS.GLB only: DSSCHED's text form, `T1 Sat 13:45` per record, in the
    /// --tz zone (read back with `build --from-dssched`).
    Dssched,
}

/// Arguments of `dump`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::DUMP)]
pub struct DumpArgs {
    /// The file to show (`-` reads standard input and needs --kind).
    #[arg(required_unless_present = "postoffice")]
    pub file: Option<PathBuf>,
    /// Show a whole postoffice directory instead (the folder holding GLB,
    /// NME, USR and XTN): its networks and every address list, each USR file
    /// named by its network and postoffice, with entry counts (text or json).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["file", "kind", "check_crc", "salvage"])]
    pub postoffice: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DumpFormat::Text)]
    pub format: DumpFormat,
    #[command(flatten)]
    pub kind: KindOption,
    /// Mark records whose stored checksum differs from glbtool's CRC-16/ARC
    /// (LISTQ -c) in the text view of a queue; exit 1 when one does.
    #[arg(long)]
    pub check_crc: bool,
    /// Read a damaged file as far as possible and keep the rest as trailing bytes.
    #[arg(long)]
    pub salvage: bool,
    /// For use as a git textconv driver (`git config diff.glb.textconv
    /// "glbtool dump --textconv"`): the view depends on the file's bytes and
    /// name alone (titled by the name, UTC unless --tz, the postoffice
    /// around it not read), and never fails on content: a damaged file is
    /// shown as far as it reads with the rest in hex, a file glbtool does not
    /// decode as a plain hex dump after a one-line reason; exit 0.
    #[arg(long)]
    pub textconv: bool,
    #[command(flatten)]
    pub show: ShowOptions,
}

/// Runs `dump`.
pub fn run(args: DumpArgs, con: &mut Console) -> CliResult {
    if let Some(dir) = &args.postoffice {
        if !matches!(args.format, DumpFormat::Text | DumpFormat::Json) {
            return Err(
                CliError::usage("--postoffice shows text or json").with_hint(
                    "use --format text or --format json; dump single files for hex or ndjson",
                ),
            );
        }
        let json = args.format == DumpFormat::Json;
        return crate::postoffice::run(dir, json, &args.show, con);
    }
    let Some(file) = &args.file else {
        return Err(CliError::usage("give a FILE, or --postoffice DIR"));
    };
    if args.check_crc && args.format != DumpFormat::Text {
        return Err(CliError::usage(
            "--check-crc marks the text view; the other views show every record's checksum already",
        )
        .with_hint("JSON: info.checksum_ok and info.checksum_computed of each record"));
    }
    if args.textconv {
        return textconv(file, &args, con);
    }
    let input = match input::open(file, args.kind.value, &con.stdin) {
        Ok(input) => input,
        // A file whose name says it is an MS Mail file glbtool does not
        // decode: its bytes, plainly, saying so; never fields it does not have.
        Err(e) if e.undecoded().is_some() => {
            return match args.format {
                DumpFormat::Text | DumpFormat::Hex => plain(file, &reason(&e), con.out),
                _ => Err(e.file(file).with_hint(
                    "glbtool shows such a file only as bytes (--format hex); --kind reads it as a kind glbtool decodes",
                )),
            };
        }
        Err(e) => return Err(e),
    };
    let path = input.path.clone();
    let family = input.kind.family();
    if args.format == DumpFormat::Dssched && family != glb_formats::Family::Process {
        return Err(CliError::usage(format!(
            "--format dssched is the DSSCHED text form of PROCESS.GLB; {} is {}",
            path.display(),
            input.kind
        )));
    }
    let r = with_format!(family, |F| dump_with::<F>(input, &args, con));
    r.map_err(|e| e.file(&path))
}

/// `dump --textconv`, git's view of a file: never fails because of what the
/// file holds. A file glbtool decodes is shown as text (a damaged one as far
/// as it reads, the rest in hex); one it cannot decode as a plain hex dump
/// after a one-line reason. Exit 0 whenever the file can be read; the output
/// depends only on the file's bytes and name (UTC unless --tz, no look at
/// the postoffice around it).
fn textconv(file: &Path, args: &DumpArgs, con: &mut Console) -> CliResult {
    let input = match input::open(file, args.kind.value, &con.stdin) {
        Ok(input) => input,
        Err(e) if e.is_io() => return Err(e),
        Err(e) => return plain(file, &reason(&e), con.out),
    };
    let kind = input.kind;
    let r = with_format!(kind.family(), |F| dump_with::<F>(input, args, con));
    match r {
        Ok(_) => Ok(0),
        Err(e) if e.is_io() || e.is_broken_pipe() => Err(e.file(file)),
        // What was shown stays; the reason and every byte follow.
        Err(e) => plain(file, &reason(&e), con.out),
    }
}

/// An error as one line, without the path (git's copy has another).
fn reason(e: &CliError) -> String {
    let mut text = match &e.kind {
        crate::output::CliErrorKind::Format(f) => f.to_string(),
        crate::output::CliErrorKind::Io(io) => io.to_string(),
        crate::output::CliErrorKind::Usage(m) => m.clone(),
        crate::output::CliErrorKind::Undecoded(f, size) => f.describe(*size),
    };
    if let Some(h) = e.hint().filter(|_| e.undecoded().is_none()) {
        text.push_str(&format!(" ({h})"));
    }
    text.replace(['\n', '\r'], " ")
}

/// The plain view of a file glbtool cannot show as records: its name, the
/// reason, its size, then every byte (offset, hex, ASCII), read in blocks,
/// on `out` (standard output).
fn plain(file: &Path, why: &str, out: &mut dyn Write) -> CliResult {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // Opened again: a regular file only (a pipe's bytes were read once
    // already; opening a FIFO again would wait for a writer that may never come).
    let (mut src, size) = glb_dirsync::open::buffered(file).map_err(|e| {
        CliError::usage(format!(
            "not shown as records: {why}; nor as bytes: {}",
            input::reason(&e)
        ))
        .file(file)
        .with_hint("save it to a file first: glbtool shows a file it cannot decode in hex")
    })?;
    let mut out = output::buffered(out);
    writeln!(out, "{name}: not shown as records: {why}")?;
    writeln!(out, "{name}: all {size} bytes in hex")?;
    let mut block = vec![0u8; 1 << 16];
    let mut text = Vec::with_capacity(5 << 16);
    let mut offset = 0u64;
    loop {
        // Whole blocks (a multiple of 16 bytes) keep the lines aligned.
        let mut got = 0;
        while got < block.len() {
            match src.read(&mut block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CliError::from(e).file(file)),
            }
        }
        if got == 0 {
            break;
        }
        text.clear();
        crate::render::hex::push_plain(&mut text, &block[..got], offset);
        out.write_all(&text)?;
        offset += got as u64;
        if got < block.len() {
            break;
        }
    }
    output::finish(out)?;
    Ok(0)
}

fn dump_with<F: Format + TextView>(input: Input, args: &DumpArgs, con: &mut Console) -> CliResult {
    // Under --textconv the view depends on the file alone: UTC unless --tz.
    let zone = match (&args.show.tz, args.textconv) {
        (None, true) => Zone::utc(),
        _ => args.show.zone(con.err),
    };
    let painter = Painter::new(use_color(args.show.color.value, con.tty));
    let cp = args.show.codepage.value;
    let opts = ReadOptions {
        salvage: args.salvage || args.textconv,
        codepage: cp,
    };
    let shown = match (args.textconv, input.path.file_name()) {
        (true, Some(name)) => Path::new(name).display(),
        _ => input.path.display(),
    };
    let guessed = input.evidence == glb_formats::identify::Evidence::Content;
    let title = if guessed {
        format!(
            "{shown} ({}, guessed from size and content: its name says nothing; --kind names it)",
            input.kind
        )
    } else {
        format!("{shown} ({})", input.kind)
    };
    let input_path = input.path.clone();
    let kind = input.kind;
    let bar = crate::progress::Progress::bytes(
        "reading",
        input.size.unwrap_or(0),
        !con.progress(args.show.quiet.value),
    );
    let src: Box<dyn Read> = Box::new(bar.reader(input.reader));
    let mut reader = Reader::<F, Box<dyn Read>>::new(src, kind, input.size, opts)
        .map_err(|e| hinted(CliError::from(e), args.salvage))?;
    let mut out = output::buffered(con.out);
    let code = match args.format {
        DumpFormat::Json | DumpFormat::Ndjson => {
            let style = if args.format == DumpFormat::Json {
                Style::Document
            } else {
                Style::Lines
            };
            json::write_guessed(&mut reader, &mut out, style, cp, guessed)
                .map_err(|e| hinted(CliError::from(e), args.salvage))?;
            0
        }
        DumpFormat::Text | DumpFormat::Dssched => {
            let ctx = TextContext {
                painter,
                zone: &zone,
                codepage: cp,
                check_crc: args.check_crc,
                title,
                layout: F::layout().summary(kind.name()),
                path: input_path.clone(),
                surroundings: !args.textconv,
                err: RefCell::new(&mut *con.err),
            };
            let view = if args.format == DumpFormat::Text {
                F::text
            } else {
                F::dssched
            };
            view(&mut reader, &mut out, &ctx).map_err(|e| hinted(e, args.salvage))?
        }
        DumpFormat::Hex => {
            if guessed {
                writeln!(out, "{}", painter.warn(&title))?;
            }
            hex_dump(&mut reader, &mut out, painter, &zone).map_err(|e| hinted(e, args.salvage))?;
            0
        }
        DumpFormat::Html => {
            let about = format!("{}. {}", F::layout().summary(kind.name()), zone.banner());
            html_dump(&mut reader, &mut out, &title, &about, &zone)
                .map_err(|e| hinted(e, args.salvage))?;
            0
        }
    };
    if let Some(off) = reader.trailing_offset() {
        if args.format == DumpFormat::Text {
            writeln!(
                out,
                "{}",
                painter.warn(&format!(
                    "{} trailing bytes at offset {off} (salvaged){}",
                    reader.trailing_len(),
                    match glb_formats::json::omitted(&reader) {
                        None => ", kept verbatim".to_string(),
                        Some(o) => format!(": {}", omitted_note(reader.trailing().len(), o)),
                    }
                ))
            )?;
            if args.textconv {
                // git shows the reason and every byte that was not shown as records.
                if let Some(e) = reader.salvage_error() {
                    writeln!(out, "salvaged: {e}")?;
                }
                let mut text = Vec::new();
                crate::render::hex::push_plain(&mut text, reader.trailing(), off);
                out.write_all(&text)?;
            }
        }
    }
    bar.finish();
    output::finish(out)?;
    if let Some(e) = reader.salvage_error() {
        if !args.textconv {
            say!(con.err, "glbtool: {}: salvaged: {e}", input_path.display());
        }
    }
    // git takes any other exit code of a textconv filter as a failure.
    Ok(if args.textconv { 0 } else { code })
}

/// Adds the salvage hint to an error about the data (not to one about
/// reading it: salvage cannot help there).
fn hinted(e: CliError, salvaging: bool) -> CliError {
    if e.is_io() {
        e
    } else {
        e.with_hint(salvage_hint(salvaging))
    }
}

fn salvage_hint(salvaging: bool) -> String {
    if salvaging {
        "the file could not be read even with --salvage".into()
    } else {
        "`glbtool dump --salvage` shows what can be read and keeps the rest as trailing bytes"
            .into()
    }
}

/// The annotated hex page: each item (header, records, trailing bytes) as a
/// table of its fields, written as the records are read.
fn html_dump<F: Format, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    title: &str,
    about: &str,
    zone: &Zone,
) -> Result<(), CliError> {
    use crate::excerpt::{rows_of, Excerpt, Row};
    use crate::render::html;
    let mut times = crate::timefmt::CtimeCache::new(zone);
    let cp = reader.codepage();
    html::head(out, title, &html::escape(about))?;
    if F::HEADER_LEN > 0 {
        if let Some(h) = reader.header().cloned() {
            let raw = reader.header_raw().to_vec();
            let e = Excerpt {
                title: "file header".into(),
                offset: 0,
                len: raw.len(),
                rows: rows_of(&h, &raw, 0, &mut times, usize::MAX, cp),
            };
            html::excerpt(out, &e)?;
        }
    }
    while let Some(r) = reader.next_record()? {
        let e = Excerpt {
            title: format!("record {}", r.index),
            offset: r.offset,
            len: r.raw.len(),
            rows: rows_of(r.record, r.raw, r.offset, &mut times, usize::MAX, cp),
        };
        html::excerpt(out, &e)?;
    }
    if let Some(off) = reader.trailing_offset() {
        let t = reader.trailing();
        let e = Excerpt {
            title: "trailing bytes (salvaged)".into(),
            offset: off,
            len: t.len(),
            rows: vec![Row {
                offset: off,
                bytes: t.to_vec(),
                len: t.len(),
                name: "trailing",
                value: format!("{} bytes kept verbatim", t.len()),
                provenance: glb_formats::layout::Provenance::Unknown(""),
            }],
        };
        html::excerpt(out, &e)?;
    }
    html::tail(out)?;
    Ok(())
}

fn hex_dump<F: Format, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    painter: Painter,
    zone: &Zone,
) -> Result<(), CliError> {
    let cp = reader.codepage();
    let mut hw = HexWriter::new(painter, zone, cp);
    hw.legend(out, &F::layout(), reader.kind().name())?;
    if F::HEADER_LEN > 0 {
        if let Some(h) = reader.header().cloned() {
            let raw = reader.header_raw().to_vec();
            hw.title(out, "file header", 0, raw.len())?;
            hw.item(out, &h, &raw, 0)?;
        }
    }
    // Records are dumped on worker threads in batches (each worker decodes its
    // own copy from the raw bytes) and written here in file order. A batch's
    // dump is about twelve times its bytes, so batches are small.
    let opts = Pipeline {
        batch_bytes: 1 << 16,
        ..Pipeline::default()
    };
    pipeline::run(
        reader,
        opts,
        || (HexWriter::new(painter, zone, cp), F::Record::default()),
        |(hw, record), batch| {
            let mut text = Vec::with_capacity(batch.len() * 1024);
            for r in batch.records() {
                F::decode_record(r.raw, record).expect("the reader decoded these bytes already");
                hw.push_record(&mut text, r.index, record, r.raw, r.offset);
            }
            text
        },
        |_, text| out.write_all(&text),
    )??;
    if let Some(off) = reader.trailing_offset() {
        let t = reader.trailing().to_vec();
        hw.title(out, "trailing bytes (salvaged)", off, t.len())?;
        hw.raw(out, &t, off, "trailing")?;
        if let Some(o) = glb_formats::json::omitted(reader) {
            writeln!(out, "{}", painter.warn(&omitted_note(t.len(), o)))?;
        }
    }
    Ok(())
}

/// What a salvage that kept only the first `kept` trailing bytes left out.
fn omitted_note(kept: usize, o: glb_formats::json::Omitted) -> String {
    format!(
        "the first {kept} bytes are shown; the {} bytes from offset {} (0x{:x}) to the end are not (salvage keeps {} of a damaged end)",
        o.length,
        o.offset,
        o.offset,
        glb_dirsync::open::human(glb_formats::format::TRAILING_KEPT as u64)
    )
}
