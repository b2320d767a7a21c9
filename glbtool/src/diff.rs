//! `glbtool diff`: two files of one kind, record by record; or a Dir-Sync
//! server's view of every postoffice's list against what a requestor holds.
//! Exit 0 when equal, 1 when different, 2 on trouble (as diff(1)).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use glb_formats::codepage;
use glb_formats::compare::{self, RequestorView, ServerView};
use glb_formats::diff::{self, Key, Side, StreamSide, Streamed};
use glb_formats::format::Format;
use glb_formats::identify;
use glb_formats::kind::{Family, FileKind};
use glb_formats::netpo::Netpo;
use glb_formats::postoffice::{Folder, ListName, Postoffice};

use crate::input;
use crate::output::{self, use_color, CliError, CliResult};
use crate::render::diff::{self as view, Sources};
use crate::render::Painter;
use crate::timefmt::Zone;
use crate::ShowOptions;

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Grouped by record (two files) or by postoffice (server vs requestor), coloured.
    Text,
    /// One JSON document with the same content.
    Json,
}

/// Arguments of `diff`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::DIFF)]
pub struct DiffArgs {
    /// The two files to compare, old then new (`-` reads standard input and needs --kind).
    #[arg(num_args = 2, value_names = ["A", "B"], required_unless_present = "dss")]
    pub files: Vec<PathBuf>,
    /// Server versus requestor: the Dir-Sync server's postoffice directory
    /// (its GLB/MSTTRANS.GLB is replayed), or an MSTTRANS.GLB or RESYNC.GLB.
    #[arg(
        long,
        value_name = "SERVER",
        requires = "requestor",
        conflicts_with = "files"
    )]
    pub dss: Option<PathBuf>,
    /// With --dss: the requestor's postoffice directory, or one of its USR,
    /// gateway NME or GAL.NME files.
    #[arg(long, value_name = "REQUESTOR", requires = "dss")]
    pub requestor: Option<PathBuf>,
    /// With --dss: compare only this list: NET/PO, TYPE:NET/PO or TYPE: (for
    /// a lone USR or NME file, the server list it is compared with).
    #[arg(long, value_name = "NET/PO", requires = "dss")]
    pub postoffice: Option<String>,
    /// With --dss: the requestor's own postoffice (NET/PO), left out of the
    /// comparison; by default from its REQCONF.GLB, else recognised by its
    /// local users.
    #[arg(long, value_name = "NET/PO", requires = "dss")]
    pub local: Option<String>,
    /// How records of two files are paired: auto (sync for queues, requestor
    /// name for SRVCONF, id for PROCESS, address for USR and NETPO, and for
    /// NME when a NETPO.GLB is beside both files, else name), sync, address,
    /// tid, name, id or position.
    #[arg(long, default_value = "auto", value_parser = parse_key)]
    pub key: Key,
    /// The kind of both files, when their names do not say.
    #[arg(long, value_parser = crate::help::KindParser)]
    pub kind: Option<FileKind>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    #[command(flatten)]
    pub show: ShowOptions,
}

fn parse_key(s: &str) -> Result<Key, String> {
    s.parse()
}

/// Runs `diff`.
pub fn run(args: DiffArgs) -> CliResult {
    let zone = args.show.zone();
    let painter = Painter::new(use_color(args.show.color));
    codepage::scope(args.show.codepage, || match (&args.dss, &args.requestor) {
        (Some(dss), Some(req)) => server_vs_requestor(&args, dss, req, painter),
        _ => files(&args, painter, &zone),
    })
}

/// One input: standard input read whole; a file's first bytes (enough to
/// recognise its kind) until it is streamed, or read whole when it must be.
struct Loaded {
    path: PathBuf,
    bytes: Vec<u8>,
    /// True when `bytes` is the whole input.
    whole: bool,
    size: u64,
    kind: Option<FileKind>,
}

fn load(path: &Path, kind: Option<FileKind>) -> Result<Loaded, CliError> {
    let (bytes, whole, size) = if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| CliError::from(e).file(path))?;
        let size = b.len() as u64;
        (b, true, size)
    } else {
        if path.is_dir() {
            return Err(CliError::usage("is a directory, not a file")
                .file(path)
                .with_hint(
                    "to compare a server with a requestor, use --dss SERVER --requestor REQUESTOR",
                ));
        }
        let opened = glb_formats::open::stream(path).map_err(|e| CliError::from(e).file(path))?;
        let meta = opened.meta;
        let mut file = opened.file;
        let bytes = if meta.is_file() {
            // A regular file can be opened again to be streamed.
            input::head(&mut file, path)?
        } else {
            // A pipe (`<(command)`) or device can be read once only: whole.
            let mut bytes = opened.first;
            glb_formats::open::Limited::new(file, glb_formats::open::stream_limit())
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::from(e).file(path))?;
            bytes
        };
        let size = if meta.is_file() {
            meta.len()
        } else {
            bytes.len() as u64
        };
        let whole = bytes.len() as u64 == size;
        (bytes, whole, size)
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = kind.or_else(|| FileKind::from_file_name(&name));
    Ok(Loaded {
        path: path.to_path_buf(),
        bytes,
        whole,
        size,
        kind,
    })
}

impl Loaded {
    /// The input from its first byte, for the streaming diff.
    fn stream(&self) -> Result<Box<dyn Read + '_>, CliError> {
        if self.whole {
            return Ok(Box::new(self.bytes.as_slice()));
        }
        let file = File::open(&self.path).map_err(|e| CliError::from(e).file(&self.path))?;
        Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
    }

    /// Reads the whole input, for the diff that sorts.
    fn read_whole(&mut self) -> Result<(), CliError> {
        if !self.whole {
            self.bytes =
                std::fs::read(&self.path).map_err(|e| CliError::from(e).file(&self.path))?;
            self.whole = true;
        }
        Ok(())
    }
}

/// Settles both kinds: as given or named; a file whose name says nothing
/// takes the other's kind, else its content decides.
fn settle(a: &mut Loaded, b: &mut Loaded) -> Result<(), CliError> {
    match (a.kind, b.kind) {
        (Some(_), Some(_)) => {}
        (Some(k), None) => b.kind = Some(k),
        (None, Some(k)) => a.kind = Some(k),
        (None, None) => {
            for l in [&mut *a, &mut *b] {
                let head = &l.bytes[..l.bytes.len().min(input::HEAD)];
                let cands = identify::candidates(l.size, head);
                match cands.as_slice() {
                    [one] => l.kind = Some(*one),
                    _ => {
                        let names: Vec<&str> = cands.iter().map(|k| k.name()).collect();
                        return Err(CliError::usage(
                            "cannot tell the file's kind from its name or content",
                        )
                        .file(&l.path)
                        .with_hint(if names.is_empty() {
                            "name the kind with --kind".to_string()
                        } else {
                            format!("it could be: {}; name it with --kind", names.join(", "))
                        }));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The NETPO.GLB an NME file's external entries point into (GALNETPO.GLB
/// for a GAL), when the file sits in a postoffice directory that has it.
fn netpo_beside(path: &Path, po: Option<&Postoffice>) -> Option<Vec<u8>> {
    let po = po?;
    let is_gal = path
        .file_stem()
        .is_some_and(|s| s.to_string_lossy().eq_ignore_ascii_case("GAL"));
    let name = if is_gal { "GALNETPO.GLB" } else { "NETPO.GLB" };
    let f = po.find(Folder::Glb, name)?;
    let bytes = std::fs::read(&f.path).ok()?;
    // Only a well-formed NETPO.GLB can resolve pointers.
    Netpo::check_size(FileKind::Netpo, bytes.len() as u64)
        .ok()
        .map(|()| bytes)
}

/// The `NET/PO` of a USR file sitting in a postoffice directory.
fn usr_list(path: &Path, po: Option<&Postoffice>) -> Option<String> {
    let po = po?;
    po.address_lists()
        .iter()
        .find(|l| l.path.file_name() == path.file_name())
        .and_then(|l| match &l.name {
            ListName::Postoffice {
                network,
                postoffice,
            } => Some(format!("{network}/{postoffice}")),
            _ => None,
        })
}

/// What a side's keys may need: the NETPO.GLB beside an NME file, a USR file's NET/PO.
type Context = (Option<Vec<u8>>, Option<String>);

fn side<'a>(l: &'a Loaded, kind: FileKind, c: &'a Context) -> Side<'a> {
    Side {
        bytes: &l.bytes,
        kind,
        netpo: c.0.as_deref(),
        list: c.1.as_deref(),
    }
}

/// The streaming diff of two inputs, holding neither in memory; `None` when
/// their records are not both in key order, or when either cannot be read
/// (the diff that reads them whole then sorts, or says what is wrong with
/// which file).
fn streamed(
    a: &Loaded,
    ka: FileKind,
    ca: &Context,
    b: &Loaded,
    kb: FileKind,
    cb: &Context,
    key: Key,
) -> Option<diff::FileDiff> {
    fn stream<'a>(
        l: &'a Loaded,
        kind: FileKind,
        c: &'a Context,
    ) -> Option<StreamSide<'a, Box<dyn Read + 'a>>> {
        Some(StreamSide {
            src: l.stream().ok()?,
            size: Some(l.size),
            kind,
            netpo: c.0.as_deref(),
            list: c.1.as_deref(),
        })
    }
    match diff::diff_streams(stream(a, ka, ca)?, stream(b, kb, cb)?, key) {
        Ok(Streamed::Diff(d)) => Some(*d),
        Ok(Streamed::OutOfOrder) | Err(_) => None,
    }
}

fn files(args: &DiffArgs, painter: Painter, zone: &Zone) -> CliResult {
    let [pa, pb] = args.files.as_slice() else {
        return Err(CliError::usage(
            "give two files, or --dss SERVER --requestor REQUESTOR",
        ));
    };
    let (mut a, mut b) = (load(pa, args.kind)?, load(pb, args.kind)?);
    settle(&mut a, &mut b)?;
    let (ka, kb) = (a.kind.expect("settled"), b.kind.expect("settled"));
    if ka.family() != kb.family() {
        return Err(CliError::usage(format!(
            "{} is {ka} and {} is {kb}: only files of one kind can be compared",
            a.path.display(),
            b.path.display()
        ))
        .with_hint("give --kind to read both as one kind"));
    }
    let context = |l: &Loaded, kind: FileKind| {
        let po = (l.path.as_os_str() != "-")
            .then(|| Postoffice::around(&l.path))
            .flatten();
        let netpo = (kind.family() == Family::Nme)
            .then(|| netpo_beside(&l.path, po.as_ref()))
            .flatten();
        let list = (kind.family() == Family::Usr)
            .then(|| usr_list(&l.path, po.as_ref()))
            .flatten();
        (netpo, list)
    };
    let (ca, cb) = (context(&a, ka), context(&b, kb));
    let d = match streamed(&a, ka, &ca, &b, kb, &cb, args.key) {
        Some(d) => d,
        None => {
            a.read_whole()?;
            b.read_whole()?;
            let (sa, sb) = (side(&a, ka, &ca), side(&b, kb, &cb));
            diff::readable(&sa).map_err(|e| CliError::from(e).file(&a.path))?;
            diff::readable(&sb).map_err(|e| CliError::from(e).file(&b.path))?;
            diff::diff(&sa, &sb, args.key)?
        }
    };
    let sources = Sources {
        a: a.path.display().to_string(),
        b: b.path.display().to_string(),
    };
    let mut out = output::stdout();
    match args.format {
        DiffFormat::Json => view::file_json(&mut out, &sources, &d)?,
        DiffFormat::Text => view::file_text(&mut out, painter, zone, &sources, &d)?,
    }
    output::finish(out)?;
    Ok(u8::from(!d.is_equal()))
}

fn server_vs_requestor(args: &DiffArgs, dss: &Path, req: &Path, painter: Painter) -> CliResult {
    // The requestor first: its SrvSync says how far the server's
    // transactions have reached it (the rest is pending).
    let requestor = if req.is_dir() {
        RequestorView::open_postoffice(req, args.local.as_deref())
    } else {
        RequestorView::open_file(req, args.postoffice.as_deref())
    }
    .map_err(|e| CliError::from(e).file(req))?;
    let server = ServerView::open_for(dss, &requestor).map_err(|e| CliError::from(e).file(dss))?;
    let filter = if req.is_dir() {
        args.postoffice.as_deref()
    } else {
        None
    };
    let c = compare::compare(&server, &requestor, filter);
    let mut out = output::stdout();
    match args.format {
        DiffFormat::Json => view::compare_json(&mut out, &server, &requestor, &c)?,
        DiffFormat::Text => view::compare_text(&mut out, painter, &server, &requestor, &c)?,
    }
    output::finish(out)?;
    Ok(u8::from(!c.is_equal()))
}
