//! `glbtool diff`: two files of one kind, record by record; or a Dir-Sync
//! server's view of every postoffice's list against what a requestor holds.
//! Exit 0 when equal, 1 when different, 2 on trouble (as diff(1)).

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use glb_dirsync::compare::{self, RequestorView, ServerView};
use glb_dirsync::diff::{self, Disorder, Key, Outcome, Side, StreamSide};
use glb_dirsync::postoffice::{ListName, Postoffice};
use glb_dirsync::resolve::Resolver;
use glb_formats::identify;
use glb_formats::kind::{Family, FileKind};
use glb_formats::CodePage;

use crate::console::{Console, Stdin};
use crate::input;
use crate::options::KindOption;
use crate::output::{self, use_color, CliError, CliResult};
use crate::progress::Progress;
use crate::render::diff::{self as view, FileReport, Sources};
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
    /// The text report in one self-contained HTML page, to hand on.
    Html,
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
    /// The queue and the replayed lists are held in memory: files of at most
    /// 32 MiB are read, and at most 150,000 list entries held (with the
    /// removed addresses), on each side; beyond that, exit 2 saying so.
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
    #[command(flatten)]
    pub kind: KindOption,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// The most input diff holds in memory, in MiB (files read whole to pair
    /// records out of key order, and a pipe, device or standard input, which
    /// can be read only once; all together). Files in key order (queues in
    /// sync order, GAL.NME, any file under --key position) are streamed in
    /// constant memory whatever their size. Past the limit diff refuses (exit 2).
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub memory_limit: u64,
    #[command(flatten)]
    pub show: ShowOptions,
}

fn parse_key(s: &str) -> Result<Key, String> {
    s.parse()
}

/// Runs `diff`.
pub fn run(args: DiffArgs, con: &mut Console) -> CliResult {
    let zone = args.show.zone(con.err);
    let painter = Painter::new(use_color(args.show.color.value, con.tty));
    match (&args.dss, &args.requestor) {
        (Some(dss), Some(req)) => server_vs_requestor(&args, dss, req, painter, con),
        _ => files(&args, painter, &zone, con),
    }
}

/// One input: a regular file (its first bytes, enough to recognise its
/// kind, until it is streamed or read whole), or a pipe, device or standard
/// input read whole (it can be read only once).
struct Loaded {
    path: PathBuf,
    bytes: Vec<u8>,
    /// True when `bytes` is the whole input.
    whole: bool,
    size: u64,
    kind: Option<FileKind>,
    /// How its kind was guessed, when its name says nothing and no --kind
    /// was given: from its size and content, or the other file's.
    guessed: Option<&'static str>,
}

impl Loaded {
    /// The input as the report names it: its path, and `[kind guessed ...]`
    /// when its kind was guessed from its content.
    fn shown(&self) -> String {
        let path = self.path.display().to_string();
        match self.guessed {
            Some(how) => {
                format!("{path} [kind guessed {how}: its name says nothing; --kind names it]")
            }
            None => path,
        }
    }
}

/// The way out when `diff` would hold more than `--memory-limit`.
const MEMORY_HINT: &str = "--key position compares records in file order, streaming, in constant memory; --memory-limit MIB raises the limit";

/// Reads a pipe, device or standard input whole, holding at most `budget` bytes.
fn read_held(src: impl Read, path: &Path, budget: u64) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    src.take(budget.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::from(e).file(path))?;
    if bytes.len() as u64 > budget {
        return Err(CliError::usage(format!(
            "a pipe, device or standard input is read whole by diff, and this one holds more than the {} diff keeps in memory (--memory-limit)",
            glb_dirsync::open::human(budget)
        ))
        .file(path)
        .with_hint("save it to a file first: diff streams files whose records are in key order"));
    }
    Ok(bytes)
}

/// Opens one input; `budget` is what it may hold in memory if it must be read whole.
fn load(
    path: &Path,
    kind: Option<FileKind>,
    budget: u64,
    stdin: &Stdin,
) -> Result<Loaded, CliError> {
    let (bytes, whole, size) = if path.as_os_str() == "-" {
        let b = read_held(stdin.reader(), path, budget)?;
        let size = b.len() as u64;
        (b, true, size)
    } else {
        let opened = glb_dirsync::open::stream(path).map_err(|e| {
            crate::input::open_error(
                path,
                e,
                "to compare a server with a requestor, use --dss SERVER --requestor REQUESTOR",
            )
        })?;
        let meta = opened.meta;
        let mut file = opened.file;
        if meta.is_file() {
            // A regular file can be opened again to be streamed.
            let head = input::head(&mut file, path)?;
            let whole = head.len() as u64 == meta.len();
            (head, whole, meta.len())
        } else {
            // A pipe (`<(command)`) or device can be read once only: whole.
            let first = std::io::Cursor::new(opened.first);
            let b = read_held(first.chain(file), path, budget)?;
            let size = b.len() as u64;
            (b, true, size)
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = match kind {
        Some(k) => Some(k),
        None => match identify::by_name(&name) {
            Some(identify::Named::Kind(k)) => Some(k),
            Some(identify::Named::Undecoded(f)) => {
                return Err(CliError::usage(f.describe(Some(size)))
                    .file(path)
                    .with_hint(
                        "diff compares files glbtool decodes; --kind reads it as one of them",
                    ))
            }
            None => None,
        },
    };
    Ok(Loaded {
        path: path.to_path_buf(),
        bytes,
        whole,
        size,
        kind,
        guessed: None,
    })
}

impl Loaded {
    /// The input from its first byte, read as a stream (a regular file is
    /// opened again: never a FIFO or device in its place; errors name it).
    fn stream(&self) -> Result<Box<dyn Read + Send + '_>, CliError> {
        if self.whole {
            return Ok(Box::new(self.bytes.as_slice()));
        }
        let (src, _) = glb_dirsync::open::buffered(&self.path)?;
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            src.into_inner(),
        )))
    }

    /// Reads the whole input, for the diff that sorts: as large as it was
    /// when first read (what the memory limit was checked against); one that
    /// has grown since is refused, naming its size, not cut.
    fn read_whole(&mut self) -> Result<(), CliError> {
        if !self.whole {
            self.bytes = glb_dirsync::open::read_whole(
                &self.path,
                self.size,
                "it grew while diff read it, and diff holds both files as large as they were when first read, to pair records out of key order",
            )?;
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
        (Some(k), None) => {
            b.kind = Some(k);
            b.guessed = Some("from the other file's");
        }
        (None, Some(k)) => {
            a.kind = Some(k);
            a.guessed = Some("from the other file's");
        }
        (None, None) => {
            for l in [&mut *a, &mut *b] {
                let head = &l.bytes[..l.bytes.len().min(input::HEAD)];
                let cands = identify::candidates(l.size, head);
                match cands.as_slice() {
                    [one] => {
                        l.kind = Some(*one);
                        l.guessed = Some("from its size and content");
                    }
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

/// The records of the NETPO.GLB an NME file's external entries point into
/// (GALNETPO.GLB for a GAL), when the file sits in a postoffice directory
/// that has it; `Err` says why the one there cannot be used (unreadable,
/// damaged, larger than [`Resolver::LIMIT`]).
fn netpo_beside(path: &Path, po: Option<&Postoffice>) -> Result<Option<Resolver>, String> {
    let (Some(po), Some(name)) = (po, path.file_name()) else {
        return Ok(None);
    };
    let r = Resolver::for_list(po, &name.to_string_lossy()).map_err(|e| e.to_string())?;
    // Only a whole NETPO file resolves pointers.
    match r.as_ref().and_then(Resolver::damage) {
        Some(d) => Err(d.to_string()),
        None => Ok(r),
    }
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

/// What a side's keys may need: the NETPO.GLB beside an NME file, a USR
/// file's NET/PO, the code page of the text.
type Context = (Option<Resolver>, Option<String>, CodePage);

fn side<'a>(l: &'a Loaded, kind: FileKind, c: &'a Context) -> Side<'a> {
    Side {
        bytes: &l.bytes,
        kind,
        netpo: c.0.as_ref(),
        list: c.1.as_deref(),
        codepage: c.2,
    }
}

fn stream_side<'a>(
    l: &'a Loaded,
    kind: FileKind,
    c: &'a Context,
    bar: &Progress,
) -> Result<StreamSide<'a, Box<dyn Read + Send + 'a>>, CliError> {
    Ok(StreamSide {
        src: Box::new(bar.reader(l.stream()?)),
        path: Some(&l.path),
        size: Some(l.size),
        kind,
        netpo: c.0.as_ref(),
        list: c.1.as_deref(),
        codepage: c.2,
    })
}

fn files(args: &DiffArgs, painter: Painter, zone: &Zone, con: &mut Console) -> CliResult {
    let [pa, pb] = args.files.as_slice() else {
        return Err(CliError::usage(
            "give two files, or --dss SERVER --requestor REQUESTOR",
        ));
    };
    let budget = args.memory_limit.saturating_mul(1 << 20);
    let mut a = load(pa, args.kind.value, budget, &con.stdin)?;
    let held = if a.whole { a.size } else { 0 };
    let mut b = load(pb, args.kind.value, budget.saturating_sub(held), &con.stdin)?;
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
    let cp = args.show.codepage.value;
    let mut context = |l: &Loaded, kind: FileKind| {
        // A regular file may sit in a postoffice (not standard input or a pipe).
        let po = l
            .path
            .is_file()
            .then(|| crate::dispatch::around(&l.path, cp, con.err))
            .flatten();
        let netpo = match kind.family() {
            Family::Nme => netpo_beside(&l.path, po.as_ref()),
            Family::Queue
            | Family::ReqConf
            | Family::SrvConf
            | Family::Process
            | Family::Usr
            | Family::Netpo
            | Family::Galnetpo
            | Family::Network
            | Family::Xtn => Ok(None),
        };
        let list = (kind.family() == Family::Usr)
            .then(|| usr_list(&l.path, po.as_ref()))
            .flatten();
        // A NETPO file that cannot be used is said, not passed over.
        if let (Err(why), Key::Auto | Key::Address) = (&netpo, args.key) {
            say!(
                con.err,
                "glbtool: note: {}: its entries cannot be paired by address: {why}",
                l.path.display()
            );
        }
        (netpo.ok().flatten(), list, cp)
    };
    let (ca, cb) = (context(&a, ka), context(&b, kb));
    let addresses = ca.0.is_some() && cb.0.is_some();
    let key = args.key.resolve(ka.family(), ka, addresses)?;
    // Files small enough to be held (sorted, if out of key order) are each
    // read through once first: they must read, and their records must be in
    // key order for the differences to be printed as they are found. Both at
    // once, on two threads. Larger files cannot be sorted within the limit:
    // they are merged in one pass, the report printed as it goes.
    let held = a.size.saturating_add(b.size);
    let one_pass = held > budget;
    let bar = Progress::bytes(
        if one_pass { "comparing" } else { "checking" },
        held,
        !con.progress(args.show.quiet.value),
    );
    let scan = |l: &Loaded, kind, c| {
        diff::scan_order(stream_side(l, kind, c, &bar)?, key, addresses)
            .map_err(|e| CliError::from(e).file(&l.path))
    };
    let scanned = if one_pass {
        None
    } else {
        let (sa, sb) = std::thread::scope(|t| {
            let other = t.spawn(|| scan(&b, kb, &cb));
            let sa = scan(&a, ka, &ca);
            let sb = other
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (sa, sb)
        });
        Some((sa?, sb?))
    };
    let sources = Sources {
        a: a.shown(),
        b: b.shown(),
    };
    let html = args.format == DiffFormat::Html;
    let title = format!("glbtool diff {} {}", sources.a, sources.b);
    let mut stdout = if html {
        let mut head = Vec::new();
        page_head(&mut head, &title)?;
        Page::new(&mut *con.out, head)
    } else {
        Page::new(&mut *con.out, Vec::new())
    };
    let (out, style, painter): (Box<dyn std::io::Write + '_>, _, _) = if html {
        (
            Box::new(crate::render::html::Escaping::new(&mut stdout)),
            DiffFormat::Text,
            Painter::new(false),
        )
    } else {
        (Box::new(&mut stdout), args.format, painter)
    };
    let mut report = FileReport::new(out, style, painter, zone, sources);
    bar.phase("comparing");
    let outcome = match scanned {
        None => {
            let streamed = diff::diff_streams_to(
                stream_side(&a, ka, &ca, &bar)?,
                stream_side(&b, kb, &cb, &bar)?,
                key,
                (None, None),
                HOLD,
                &mut report,
            );
            match streamed {
                Ok(o) => o,
                Err(e) if report.started() => {
                    bar.finish();
                    report.cut_short("a file could not be read to its end (see the error)")?;
                    if html {
                        page_tail(&mut stdout)?;
                    }
                    return Err(CliError::from(e).with_hint(
                        "the differences printed compare only the records read before that point",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some((sa, sb)) if sa.in_order && sb.in_order => diff::diff_streams_to(
            stream_side(&a, ka, &ca, &bar)?,
            stream_side(&b, kb, &cb, &bar)?,
            key,
            (Some(sa.records), Some(sb.records)),
            0,
            &mut report,
        )?,
        Some(_) => {
            // Pairing records out of key order needs every key at once: both
            // files are held, within the memory limit (checked above).
            a.read_whole()?;
            b.read_whole()?;
            diff::diff_to(&side(&a, ka, &ca), &side(&b, kb, &cb), key, &mut report)?
        }
    };
    bar.finish();
    let path_of = |d: &Disorder| if d.second { &b.path } else { &a.path };
    match outcome {
        Outcome::Complete(end) => {
            let equal = report.end(&end)?;
            if html {
                page_tail(&mut stdout)?;
            }
            Ok(u8::from(!equal))
        }
        // The reader went away after a difference: the files differ.
        Outcome::Stopped => {
            report.finish()?;
            Ok(1)
        }
        // Out of key order early: nothing was printed, and both files
        // cannot be held to be sorted.
        Outcome::OutOfOrder(d) => Err(CliError::usage(format!(
            "the records of {} are not in {} order ({}: {} comes after {}), so diff must hold both files ({} bytes) to pair them, more than the {} it keeps in memory (--memory-limit)",
            path_of(&d).display(),
            key.name(),
            d.at,
            shown_key(&d.key),
            shown_key(&d.before),
            held,
            glb_dirsync::open::human(budget)
        ))
        .with_hint(MEMORY_HINT)),
        Outcome::CutShort(d) => {
            let path = path_of(&d).clone();
            let which = if d.second { "B" } else { "A" };
            report.cut_short(&format!(
                "{which} is not in {} order at its record {} (see the error); the differences above compare A's first {} records with B's first {}",
                key.name(),
                d.at.record.unwrap_or(0),
                d.compared.0,
                d.compared.1
            ))?;
            if html {
                page_tail(&mut stdout)?;
            }
            Err(cut_short(&d, &path, key, held, args.format))
        }
    }
}

/// Records of each file `diff` reads before it prints anything when it
/// merges files too large to be sorted: a file out of key order within
/// them is refused with nothing printed.
const HOLD: u64 = 4096;

/// A key as the report shows it: `sync 50`.
fn shown_key(k: &diff::RecordKey) -> String {
    format!("{} {}", k.by, k.key)
}

/// The error when a file goes out of key order after `diff` has started
/// printing: where, what the printed differences cover, and the way to
/// the whole comparison.
fn cut_short(d: &Disorder, path: &Path, key: Key, held: u64, format: DiffFormat) -> CliError {
    let message = format!(
        "{} comes after {}: the records are not in {} order, which diff found after it had started printing. The differences printed compare A's first {} records with B's first {}: a changed record (~) is paired there as the whole comparison pairs it, but a record shown only in A or only in B (-, +) may have its partner among the records not compared, and the counts and the verdict are missing{}",
        shown_key(&d.key),
        shown_key(&d.before),
        key.name(),
        d.compared.0,
        d.compared.1,
        if format == DiffFormat::Json {
            " (the JSON document is left unfinished)"
        } else {
            ""
        }
    );
    let e = glb_formats::Error::Format {
        at: d.at.clone(),
        message,
    };
    CliError::from(e).file(path).with_hint(format!(
        "--memory-limit {} lets diff hold both files and sort them: the whole comparison; --key position compares records in file order, streaming",
        held.div_ceil(1 << 20)
    ))
}

/// Standard output with diff's HTML page head held back until the report
/// writes its first byte: a comparison refused before it prints anything
/// (a file out of key order among the records held back, a file that cannot
/// be opened again) leaves standard output empty, not half a page.
struct Page<W: std::io::Write> {
    out: W,
    /// The head not written yet (empty once written, or for text and JSON).
    head: Vec<u8>,
}

impl<W: std::io::Write> Page<W> {
    fn new(out: W, head: Vec<u8>) -> Self {
        Page { out, head }
    }
}

impl<W: std::io::Write> std::io::Write for Page<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.head.is_empty() && !buf.is_empty() {
            self.out.write_all(&std::mem::take(&mut self.head))?;
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The start of diff's HTML page, up to the opening of the report's text.
fn page_head<W: std::io::Write>(out: &mut W, title: &str) -> std::io::Result<()> {
    crate::render::html::head(
        out,
        title,
        "The report as glbtool diff prints it: lines starting - are only in the first (or the server's), + only in the second (or the requestor's).",
    )?;
    out.write_all(b"<pre class=\"diff\">")
}

/// The end of diff's HTML page.
fn page_tail<W: std::io::Write>(out: &mut W) -> std::io::Result<()> {
    out.write_all(b"</pre>\n")?;
    crate::render::html::tail(out)
}

fn server_vs_requestor(
    args: &DiffArgs,
    dss: &Path,
    req: &Path,
    painter: Painter,
    con: &mut Console,
) -> CliResult {
    // The server's transactions are replayed: a spinner while that is long.
    let replayed = crate::progress::size_of([dss, &dss.join("GLB").join("MSTTRANS.GLB")]);
    let bar = Progress::spinner(
        "replaying and comparing",
        replayed,
        !con.progress(args.show.quiet.value),
    );
    // The requestor first: its SrvSync says how far the server's
    // transactions have reached it (the rest is pending).
    let requestor = if req.is_dir() {
        RequestorView::open_postoffice(req, args.local.as_deref(), args.show.codepage.value)
    } else {
        RequestorView::open_file(req, args.postoffice.as_deref(), args.show.codepage.value)
    }
    .map_err(|e| CliError::located(e, req))?;
    let server = ServerView::open_for(dss, &requestor).map_err(|e| CliError::located(e, dss))?;
    let filter = if req.is_dir() {
        args.postoffice.as_deref()
    } else {
        None
    };
    let c = compare::compare(&server, &requestor, filter);
    bar.finish();
    let mut out = output::guarded(con.out);
    match args.format {
        DiffFormat::Json => view::compare_json(&mut out, &server, &requestor, &c)?,
        DiffFormat::Text => view::compare_text(&mut out, painter, &server, &requestor, &c)?,
        DiffFormat::Html => {
            let title = format!(
                "glbtool diff --dss {} --requestor {}",
                dss.display(),
                req.display()
            );
            page_head(&mut out, &title)?;
            let mut esc = crate::render::html::Escaping::new(&mut out);
            view::compare_text(&mut esc, Painter::new(false), &server, &requestor, &c)?;
            page_tail(&mut out)?;
        }
    }
    output::finish(out)?;
    Ok(u8::from(!c.is_equal()))
}
