//! A postoffice directory seen as a whole: the folder holding `GLB\`, `NME\`,
//! `USR\` and `XTN\` (KB Q77926). [`Postoffice::open`] lists every file in
//! those folders with its kind, reads NETWORK.GLB and the XTN files it names,
//! and names every address list: the NME lists by their documented file
//! names, and each `USR\<hexid>.USR` by the network and postoffice whose XTN
//! record carries that mailbag hexid (KB Q134228, Q148666). Spec:
//! `docs/formats/postoffice.md`.
//!
//! Names are decoded with the code page given to [`Postoffice::open`].
//! Nothing here reads a whole address list: entry counts come from file
//! sizes, so a 500,000-name GAL costs nothing. Damaged NETWORK.GLB and XTN
//! files are read as far as they go and reported in [`Postoffice::problems`].

use std::io::BufRead;
use std::path::{Path, PathBuf};

use glb_formats::codepage::CodePage;
use glb_formats::error::{Error, Result};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::hexid::Hexid;
use glb_formats::kind::{FileKind, ListFile};
use glb_formats::network::{Network, NetworkRecord};
use glb_formats::nme::Nme;
use glb_formats::usr::Usr;
use glb_formats::xtn::{Xtn, XtnRecord};
use serde::{Serialize, Serializer};

/// The postoffice folders glbtool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Folder {
    /// `GLB\`: the global files (NETWORK.GLB, NETPO.GLB, gateway address files, ...).
    Glb,
    /// `NME\`: the NME address lists.
    Nme,
    /// `USR\`: the user lists of external postoffices and gateway nodes.
    Usr,
    /// `XTN\`: the postoffice lists of the networks.
    Xtn,
}

impl Folder {
    /// Every folder, in the order they are listed.
    pub const ALL: [Folder; 4] = [Folder::Glb, Folder::Nme, Folder::Usr, Folder::Xtn];

    /// The folder's name on a DOS volume.
    pub fn name(self) -> &'static str {
        match self {
            Folder::Glb => "GLB",
            Folder::Nme => "NME",
            Folder::Usr => "USR",
            Folder::Xtn => "XTN",
        }
    }
}

/// Serializes a path as a string (lossily when it is not Unicode).
pub(crate) fn lossy_path<S: Serializer>(p: &Path, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string_lossy())
}

/// One file found in a postoffice folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoFile {
    /// Where it is.
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// Which folder it is in.
    pub folder: Folder,
    /// Its file name as stored.
    pub name: String,
    /// Its kind, when glbtool knows the name.
    pub kind: Option<FileKind>,
    /// Its size in bytes.
    pub size: u64,
}

/// What an address list is, by its name and the postoffice's NETWORK.GLB and XTN files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ListName {
    /// `USR\<hexid>.USR` of an external postoffice (or gateway node), resolved
    /// through the XTN record that carries its mailbag hexid.
    Postoffice {
        /// The network name from NETWORK.GLB.
        network: String,
        /// The postoffice name from the XTN record.
        postoffice: String,
    },
    /// `NME\ADMIN.NME`: the postoffice address list.
    Pol,
    /// `NME\ADMINSHD.NME`: the POL's shadow, which must be identical (KB Q85647).
    PolShadow,
    /// `NME\GAL.NME`: the global address list.
    Gal,
    /// `NME\<hexid>.NME`: the personal address list of the user with that hexid.
    Personal {
        /// The user's hexid.
        hexid: Hexid,
    },
    /// A gateway's list: `NME\<gw>.NME`, or (reconstructed) the `.USR` whose
    /// hexid is a NETWORK.GLB record's own mailbag hexid. KB Q148666 documents
    /// that hexid as the KEY and MBG of the record's outgoing queue (the
    /// MSMAIL connection record); an FFAPI gateway's USR is named through its
    /// XTN file like a postoffice's.
    Gateway {
        /// The gateway's name.
        name: String,
    },
    /// A temporary file of REBUILD or Import (KB Q99117, Q148364, Q119018, Q96060).
    Temporary {
        /// The file name.
        name: String,
    },
    /// `USR\<hexid>.USR` whose hexid no XTN or NETWORK record carries.
    Unresolved {
        /// The hexid from the file name.
        hexid: Hexid,
    },
    /// A `.USR` file whose name is not a hexid.
    Unknown {
        /// The file name.
        name: String,
    },
}

impl std::fmt::Display for ListName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListName::Postoffice {
                network,
                postoffice,
            } => write!(f, "{network}/{postoffice}"),
            ListName::Pol => f.write_str("POL"),
            ListName::PolShadow => f.write_str("POL shadow"),
            ListName::Gal => f.write_str("GAL"),
            ListName::Personal { hexid } => write!(f, "PAL of {hexid}"),
            ListName::Gateway { name } => write!(f, "gateway {name}"),
            ListName::Temporary { name } => write!(f, "temporary {name}"),
            ListName::Unresolved { hexid } => write!(f, "unresolved {hexid}"),
            ListName::Unknown { name } => write!(f, "unknown {name}"),
        }
    }
}

/// One address list of the postoffice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressList {
    /// Where it is.
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// Its file name as stored.
    pub file_name: String,
    /// [`FileKind::Nme`] or [`FileKind::Usr`].
    pub kind: FileKind,
    /// What it is.
    pub name: ListName,
    /// Its size in bytes.
    pub size: u64,
    /// Whole records in it.
    pub entries: u64,
    /// Anything wrong with it or with how it was named.
    pub problems: Vec<String>,
}

/// One XTN record of a network, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct XtnEntry {
    /// Zero-based record index in the XTN file.
    pub index: u64,
    /// The record.
    pub record: XtnRecord,
}

/// One NETWORK.GLB record with the postoffices its XTN file lists.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkEntry {
    /// Zero-based record index in NETWORK.GLB.
    pub index: u64,
    /// The record.
    pub record: NetworkRecord,
    /// The XTN file, when the record names one and it exists.
    pub xtn_path: Option<PathBuf>,
    /// The XTN file's records (deleted ones included).
    pub postoffices: Vec<XtnEntry>,
}

/// A postoffice directory.
#[derive(Debug, Clone)]
pub struct Postoffice {
    root: PathBuf,
    folders: Vec<(Folder, PathBuf)>,
    files: Vec<PoFile>,
    networks: Vec<NetworkEntry>,
    lists: Vec<AddressList>,
    shadow: Option<Shadow>,
    unreadable: Vec<(PathBuf, String)>,
    problems: Vec<String>,
    codepage: CodePage,
}

/// A file that exists only while a program runs: left behind between
/// Dir-Sync cycles, it is debris of a run that failed or was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Temporary {
    /// The program that makes it.
    pub made_by: &'static str,
    /// Where that is documented.
    pub source: &'static str,
}

/// Says whether `name` in `folder` is a temporary file of Import, REBUILD,
/// SRVMAIN or REQMAIN (KB Q122750, Q96060, Q148705, Q123857, Q99117,
/// Q148364, Q119018), or one of glbtool's own (`.glbtool-*`, made while
/// writing a file safely). `SORTLOCK.GLB` is not one: it is the lock that
/// stops two Imports running at once (KB Q112301).
pub fn temporary(folder: Folder, name: &str) -> Option<Temporary> {
    const IMPORT: Temporary = Temporary {
        made_by: "Import",
        source: "KB Q122750, Q96060, Q148705",
    };
    const REBUILD: Temporary = Temporary {
        made_by: "REBUILD",
        source: "KB Q99117, Q148364, Q119018",
    };
    if name.starts_with(".glbtool-") {
        return Some(Temporary {
            made_by: "glbtool (an interrupted write)",
            source: "docs/safety.md",
        });
    }
    let upper = name.to_ascii_uppercase();
    let (stem, ext) = upper.rsplit_once('.').unwrap_or((upper.as_str(), ""));
    match (folder, ext) {
        (Folder::Glb, "GLB") => match stem {
            "IUSRTRAN" | "INMETRAN" | "IGWTRANS" | "ILOCAL" | "INDEX" => Some(IMPORT),
            "SRVUPDS" => Some(Temporary {
                made_by: "SRVMAIN (T2)",
                source: "KB Q122750, Q96060, Q123857",
            }),
            "TMPTRANS" => Some(Temporary {
                made_by: "SRVMAIN (a foreign requestor's reply)",
                source: "KB Q123857",
            }),
            "REQUPDS" => Some(Temporary {
                made_by: "REQMAIN",
                source: "KB Q122750, Q96060",
            }),
            "GALINDE$" | "GALTMP" | "TMPNETPO" => Some(REBUILD),
            _ => {
                let digits = stem.strip_prefix("SORT")?;
                (!digits.is_empty()
                    && digits.len() <= 4
                    && digits.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some(Temporary {
                    made_by: "Import's sort",
                    source: "KB Q122750, Q148705",
                })
            }
        },
        (Folder::Nme, "NME") => {
            let tmp = matches!(stem, "GAL$" | "TMPACC2" | "TMPGRP")
                || (stem.len() == 8 && stem.starts_with("TMP0000"));
            tmp.then_some(REBUILD)
        }
        (Folder::Usr, "USR") => (stem == "IMPORT").then_some(Temporary {
            made_by: "Import",
            source: "KB Q96060",
        }),
        _ => None,
    }
}

/// How `NME\ADMINSHD.NME` compares with `NME\ADMIN.NME`, which must be
/// identical (KB Q85647, Q135932).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Shadow {
    /// Same bytes.
    Identical,
    /// The files differ first at this byte offset (the shorter file's length
    /// when one is the start of the other).
    Differs {
        /// The first differing byte.
        first_difference: u64,
    },
    /// ADMIN.NME exists, ADMINSHD.NME does not.
    MissingShadow,
    /// ADMINSHD.NME exists, ADMIN.NME does not.
    MissingPol,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{what} {}", path.display()), e)
}

/// The entries of `dir`, sorted by name, as `(name, path, file type)`.
fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf, std::fs::FileType)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error("listing", dir, e))? {
        let entry = entry.map_err(|e| io_error("listing", dir, e))?;
        let ft = entry
            .file_type()
            .map_err(|e| io_error("examining", &entry.path(), e))?;
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
            ft,
        ));
    }
    out.sort_by(|a, b| {
        a.0.to_ascii_uppercase()
            .cmp(&b.0.to_ascii_uppercase())
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(out)
}

/// Reads every record of a small fixed-record file (NETWORK.GLB, an XTN),
/// salvaging what comes before any damage; the damage, or a file that cannot
/// be read at all, becomes a problem naming the file.
fn read_records<F: Format>(
    path: &Path,
    kind: FileKind,
    problems: &mut Vec<String>,
) -> Vec<(u64, F::Record)> {
    let mut out = Vec::new();
    if let Err(e) = read_records_into::<F>(path, kind, problems, &mut out) {
        problems.push(format!("{}: {e}", path.display()));
    }
    out
}

fn read_records_into<F: Format>(
    path: &Path,
    kind: FileKind,
    problems: &mut Vec<String>,
    out: &mut Vec<(u64, F::Record)>,
) -> Result<()> {
    let (src, size) = crate::open::buffered(path)?;
    if let Err(e) = F::check_size(kind, size) {
        problems.push(format!("{}: {e}", path.display()));
    }
    let opts = ReadOptions {
        salvage: true,
        ..ReadOptions::default()
    };
    let mut reader = Reader::<F, _>::new(src, kind, Some(size), opts)?;
    while let Some(r) = reader.next_record()? {
        out.push((r.index, r.record.clone()));
    }
    if let Some(e) = reader.salvage_error() {
        if !matches!(e, Error::Size { .. }) {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    Ok(())
}

/// The offset of the first byte where two files differ (the shorter one's
/// length when one is the start of the other), `None` when they are identical.
/// Compared buffer by buffer.
pub fn first_difference(a: &Path, b: &Path) -> Result<Option<u64>> {
    let open = |p: &Path| crate::open::buffered(p).map(|(r, _)| r);
    let (mut fa, mut fb) = (open(a)?, open(b)?);
    let mut offset = 0u64;
    loop {
        let ba = fa.fill_buf().map_err(|e| io_error("reading", a, e))?;
        let bb = fb.fill_buf().map_err(|e| io_error("reading", b, e))?;
        if ba.is_empty() || bb.is_empty() {
            return Ok((!(ba.is_empty() && bb.is_empty())).then_some(offset));
        }
        let n = ba.len().min(bb.len());
        if let Some(i) = ba[..n].iter().zip(&bb[..n]).position(|(x, y)| x != y) {
            return Ok(Some(offset + i as u64));
        }
        offset += n as u64;
        fa.consume(n);
        fb.consume(n);
    }
}

impl Postoffice {
    /// Opens the postoffice directory `dir`: the folder holding `GLB\`,
    /// `NME\`, `USR\` and `XTN\` (found in any letter case). Fails when `dir`
    /// cannot be listed or has none of them; the error names it. A folder or
    /// file that cannot be read, or a damaged NETWORK.GLB or XTN, is a
    /// [problem](Postoffice::problems) instead, and the rest is still read.
    /// Names are read in code page `cp`.
    pub fn open(dir: &Path, cp: CodePage) -> Result<Postoffice> {
        let mut problems = Vec::new();
        let mut folders: Vec<(Folder, PathBuf)> = Vec::new();
        for (name, path, ft) in list_dir(dir)? {
            let Some(folder) = Folder::ALL
                .into_iter()
                .find(|f| f.name().eq_ignore_ascii_case(&name))
            else {
                continue;
            };
            if !ft.is_dir() {
                continue;
            }
            if let Some((_, first)) = folders.iter().find(|(f, _)| *f == folder) {
                problems.push(format!(
                    "{} and {} are both the {} folder; using the first",
                    first.display(),
                    path.display(),
                    folder.name()
                ));
                continue;
            }
            folders.push((folder, path));
        }
        if folders.is_empty() {
            return Err(Error::io(
                format!("opening postoffice {}", dir.display()),
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not a postoffice directory: it has no GLB, NME, USR or XTN folder",
                ),
            ));
        }
        folders.sort();
        let mut files = Vec::new();
        let mut unreadable = Vec::new();
        for (folder, path) in &folders {
            let entries = match list_dir(path) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(e.to_string());
                    unreadable.push((path.clone(), e.to_string()));
                    continue;
                }
            };
            for (name, fpath, ft) in entries {
                // A file of a kind glbtool reads that is not a regular file
                // (a FIFO, a device, a directory, a dangling link) cannot be
                // read: it is reported, never opened, and never "missing".
                let known = FileKind::from_file_name(&name).is_some();
                if !ft.is_file() && !ft.is_symlink() {
                    if known {
                        let e =
                            io_error("opening", &fpath, crate::open::not_regular(&ft)).to_string();
                        problems.push(e.clone());
                        unreadable.push((fpath, e));
                    }
                    continue;
                }
                let size = match crate::open::metadata(&fpath) {
                    Ok(m) if m.is_file() => m.len(),
                    Ok(m) => {
                        if known {
                            let e = io_error(
                                "opening",
                                &fpath,
                                crate::open::not_regular(&m.file_type()),
                            )
                            .to_string();
                            problems.push(e.clone());
                            unreadable.push((fpath, e));
                        }
                        continue;
                    }
                    Err(e) => {
                        let e = io_error("examining", &fpath, e).to_string();
                        problems.push(e.clone());
                        unreadable.push((fpath, e));
                        continue;
                    }
                };
                files.push(PoFile {
                    kind: FileKind::from_file_name(&name),
                    path: fpath,
                    folder: *folder,
                    name,
                    size,
                });
            }
        }
        let mut po = Postoffice {
            root: dir.to_path_buf(),
            folders,
            files,
            networks: Vec::new(),
            lists: Vec::new(),
            shadow: None,
            unreadable,
            problems,
            codepage: cp,
        };
        po.read_networks();
        po.name_lists();
        Ok(po)
    }

    /// The postoffice directory a file sits in (`<po>/<GLB|NME|USR|XTN>/<file>`),
    /// its names read in code page `cp`: `Ok(None)` when the file does not
    /// sit in such a folder, the error of [`Postoffice::open`] (naming the
    /// directory) when it does but the directory cannot be opened, for the
    /// caller to say.
    pub fn around(path: &Path, cp: CodePage) -> Result<Option<Postoffice>> {
        let Some(folder) = path.parent() else {
            return Ok(None);
        };
        let in_folder = folder
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|name| {
                Folder::ALL
                    .iter()
                    .any(|f| f.name().eq_ignore_ascii_case(name))
            });
        if !in_folder {
            return Ok(None);
        }
        let root = match folder.parent() {
            Some(r) if !r.as_os_str().is_empty() => r,
            _ => Path::new("."),
        };
        Postoffice::open(root, cp).map(Some)
    }

    /// The code page its names are read in.
    pub fn codepage(&self) -> CodePage {
        self.codepage
    }

    /// The file `name` in `folder`, matched without regard to letter case.
    pub fn find(&self, folder: Folder, name: &str) -> Option<&PoFile> {
        self.files
            .iter()
            .find(|f| f.folder == folder && f.name.eq_ignore_ascii_case(name))
    }

    fn read_networks(&mut self) {
        let Some(network_glb) = self
            .find(Folder::Glb, "NETWORK.GLB")
            .map(|f| f.path.clone())
        else {
            if self.folders.iter().any(|(f, _)| *f == Folder::Glb)
                && !self.unreadable_in(Folder::Glb, "NETWORK.GLB")
            {
                self.problems
                    .push("GLB/NETWORK.GLB is missing: no USR file can be named".into());
            }
            return;
        };
        let records = read_records::<Network>(&network_glb, FileKind::Network, &mut self.problems);
        for (index, record) in records {
            let mut entry = NetworkEntry {
                index,
                record,
                xtn_path: None,
                postoffices: Vec::new(),
            };
            if let Some(xtn) = entry.record.xtn() {
                match self
                    .find(Folder::Xtn, &format!("{xtn}.XTN"))
                    .map(|f| f.path.clone())
                {
                    Some(path) => {
                        entry.postoffices =
                            read_records::<Xtn>(&path, FileKind::Xtn, &mut self.problems)
                                .into_iter()
                                .map(|(index, record)| XtnEntry { index, record })
                                .collect();
                        entry.xtn_path = Some(path);
                    }
                    None if !entry.record.is_deleted() => self.problems.push(format!(
                        "{} record {index} ({}) names XTN/{xtn}.XTN, which does not exist",
                        network_glb.display(),
                        entry.record.name.decode(self.codepage)
                    )),
                    None => {}
                }
            }
            self.networks.push(entry);
        }
    }

    /// Names a `<hexid>.USR` file; the second value says when the name came
    /// only through deleted records.
    fn resolve_usr(&self, hexid: Hexid) -> (ListName, Option<String>) {
        let mut best: Option<(u8, &NetworkEntry, &XtnEntry)> = None;
        for net in &self.networks {
            for po in &net.postoffices {
                if po.record.mailbag() != Some(hexid) {
                    continue;
                }
                let rank = u8::from(net.record.is_deleted()) + u8::from(po.record.is_deleted());
                if best.is_none_or(|(r, _, _)| rank < r) {
                    best = Some((rank, net, po));
                }
            }
        }
        if let Some((rank, net, po)) = best {
            let note = (rank > 0).then(|| {
                format!(
                    "named through a deleted record (NETWORK.GLB record {}, {} record {})",
                    net.index,
                    net.xtn_path
                        .as_deref()
                        .and_then(Path::file_name)
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                    po.index
                )
            });
            let name = ListName::Postoffice {
                network: net.record.name.decode(self.codepage),
                postoffice: po.record.postoffice.decode(self.codepage),
            };
            return (name, note);
        }
        let gateway = self
            .networks
            .iter()
            .filter(|n| n.record.mailbag() == Some(hexid))
            .min_by_key(|n| n.record.is_deleted());
        match gateway {
            Some(n) => (
                ListName::Gateway {
                    name: n.record.name.decode(self.codepage),
                },
                n.record
                    .is_deleted()
                    .then(|| format!("named through deleted NETWORK.GLB record {}", n.index)),
            ),
            None => (ListName::Unresolved { hexid }, None),
        }
    }

    fn name_lists(&mut self) {
        let mut lists = Vec::new();
        for f in &self.files {
            let (kind, entries, size_check) = match (f.folder, f.kind.and_then(FileKind::list_file))
            {
                (Folder::Nme, Some(ListFile::Nme)) => (
                    FileKind::Nme,
                    Nme::record_count_for_size(f.size),
                    Nme::check_size(FileKind::Nme, f.size),
                ),
                (Folder::Usr, Some(ListFile::Usr)) => (
                    FileKind::Usr,
                    Usr::record_count_for_size(f.size),
                    Usr::check_size(FileKind::Usr, f.size),
                ),
                // An address list out of its folder, or a file of no kind or
                // of a kind that is no address list.
                (_, Some(ListFile::Nme | ListFile::Usr) | None) => continue,
            };
            let upper = f.name.to_ascii_uppercase();
            let stem = upper.rsplit_once('.').map_or(upper.as_str(), |(s, _)| s);
            let mut problems = Vec::new();
            if let Err(e) = size_check {
                problems.push(format!("{}: {e}", f.path.display()));
            }
            let name = if temporary(f.folder, &f.name).is_some() {
                ListName::Temporary {
                    name: f.name.clone(),
                }
            } else if kind == FileKind::Nme {
                match (stem, Hexid::from_file_name(&upper)) {
                    ("ADMIN", _) => ListName::Pol,
                    ("ADMINSHD", _) => ListName::PolShadow,
                    ("GAL", _) => ListName::Gal,
                    (_, Some(hexid)) => ListName::Personal { hexid },
                    _ => ListName::Gateway {
                        name: stem.to_string(),
                    },
                }
            } else {
                match Hexid::from_file_name(&upper) {
                    Some(hexid) => {
                        let (name, note) = self.resolve_usr(hexid);
                        problems.extend(note);
                        name
                    }
                    None => ListName::Unknown {
                        name: f.name.clone(),
                    },
                }
            };
            lists.push(AddressList {
                path: f.path.clone(),
                file_name: f.name.clone(),
                kind,
                name,
                size: f.size,
                entries: entries.unwrap_or(0),
                problems,
            });
        }
        // KB Q85647, Q135932: ADMIN.NME and ADMINSHD.NME must be identical.
        let pol = lists.iter().position(|l| l.name == ListName::Pol);
        let shadow = lists.iter().position(|l| l.name == ListName::PolShadow);
        self.shadow = match (pol, shadow) {
            (Some(p), Some(s)) => match first_difference(&lists[p].path, &lists[s].path) {
                Ok(None) => Some(Shadow::Identical),
                Ok(Some(at)) => {
                    let msg = format!(
                        "{} differs from {} (first at byte {at}); the two must be identical (KB Q85647)",
                        lists[s].path.display(),
                        lists[p].path.display()
                    );
                    lists[s].problems.push(msg);
                    Some(Shadow::Differs {
                        first_difference: at,
                    })
                }
                Err(e) => {
                    lists[s].problems.push(e.to_string());
                    None
                }
            },
            (Some(_), None) => Some(Shadow::MissingShadow),
            (None, Some(_)) => Some(Shadow::MissingPol),
            (None, None) => None,
        };
        self.lists = lists;
    }

    /// The directory given to [`Postoffice::open`].
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folders found, with their paths as stored.
    pub fn folders(&self) -> &[(Folder, PathBuf)] {
        &self.folders
    }

    /// Every file in the folders, by folder then name.
    pub fn files(&self) -> &[PoFile] {
        &self.files
    }

    /// NETWORK.GLB's records with their postoffices, in file order.
    pub fn networks(&self) -> &[NetworkEntry] {
        &self.networks
    }

    /// Every NME and USR list, named, by folder then file name.
    pub fn address_lists(&self) -> &[AddressList] {
        &self.lists
    }

    /// How ADMINSHD.NME compares with ADMIN.NME; `None` when neither exists
    /// or they could not be compared (then the shadow's list names the problem).
    pub fn shadow(&self) -> Option<Shadow> {
        self.shadow
    }

    /// Folders that could not be listed and files that could not be examined,
    /// with the error; what they hold is missing from [`Postoffice::files`].
    pub fn unreadable(&self) -> &[(PathBuf, String)] {
        &self.unreadable
    }

    /// True when `folder` holds an entry called `name` (any letter case)
    /// that exists but cannot be read ([`Postoffice::unreadable`]).
    pub fn unreadable_in(&self, folder: Folder, name: &str) -> bool {
        self.unreadable_entry(folder, name).is_some()
    }

    /// The path of the entry called `name` (any letter case) in `folder`
    /// that exists but cannot be read, with the reason.
    pub fn unreadable_entry(&self, folder: Folder, name: &str) -> Option<&(PathBuf, String)> {
        let (_, dir) = self.folders.iter().find(|(f, _)| *f == folder)?;
        self.unreadable.iter().find(|(p, _)| {
            p.parent() == Some(dir.as_path())
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
        })
    }

    /// Problems found while reading the folders, NETWORK.GLB and the XTN files, each naming the file.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The user list of the postoffice `network`/`postoffice` (any letter
    /// case), preferring one named through active records.
    pub fn usr_for(&self, network: &str, postoffice: &str) -> Option<PathBuf> {
        self.lists
            .iter()
            .filter(|l| match &l.name {
                ListName::Postoffice {
                    network: n,
                    postoffice: p,
                } => n.eq_ignore_ascii_case(network) && p.eq_ignore_ascii_case(postoffice),
                _ => false,
            })
            .min_by_key(|l| !l.problems.is_empty())
            .map(|l| l.path.clone())
    }
}

#[cfg(test)]
mod tests {
    use glb_formats::codepage::CodePage;
    use glb_formats::fields::Text;
    use glb_formats::format::Document;
    use glb_formats::network::NetworkRecord;
    use glb_formats::usr::UsrRecord;

    use super::*;
    use crate::testdir::{put, temp};

    fn t<const N: usize>(s: &str) -> Text<N> {
        Text::encode(s, CodePage::Cp850).unwrap()
    }

    fn network(status: u8, ty: u8, name: &str, xtn: Option<u32>, mailbag: u32) -> NetworkRecord {
        NetworkRecord {
            status,
            network_type: ty,
            name: t(name),
            xtn_hexid: xtn.map(|x| Hexid(x).to_text()).unwrap_or_default(),
            mailbag_hexid: Hexid(mailbag).to_text(),
            ..NetworkRecord::default()
        }
    }

    fn xtn(status: u8, po: &str, mailbag: u32) -> XtnRecord {
        XtnRecord {
            status,
            postoffice: t(po),
            mailbag_hexid: Hexid(mailbag).to_text(),
            ..XtnRecord::default()
        }
    }

    fn file<F: Format>(kind: FileKind, records: Vec<F::Record>) -> Vec<u8> {
        let mut doc = Document::<F>::new(kind);
        doc.records = records;
        doc.to_bytes().unwrap()
    }

    /// A lower-case copy of a postoffice, as a Unix copy of a DOS volume may be.
    fn lower_case_po(root: &Path) {
        put(
            root,
            "glb/network.glb",
            &file::<Network>(
                FileKind::Network,
                vec![
                    network(1, 0x20, "POLYNOMIAL", Some(3), 4),
                    network(1, 0x10, "MSMAIL", None, 0x2E),
                    network(0, 0x20, "OLDNET", Some(0x20), 0x21),
                ],
            ),
        );
        put(
            root,
            "xtn/00000003.xtn",
            &file::<Xtn>(
                FileKind::Xtn,
                vec![
                    xtn(1, "TAYLOR", 5),
                    xtn(0, "EULER", 6),
                    xtn(1, "LAGRANGE", 7),
                ],
            ),
        );
        put(
            root,
            "xtn/00000020.xtn",
            &file::<Xtn>(FileKind::Xtn, vec![xtn(1, "OLDPO", 0x22)]),
        );
        let users = file::<Usr>(FileKind::Usr, vec![UsrRecord::default(); 3]);
        for name in [
            "00000005.usr",
            "00000006.usr",
            "0000002e.usr",
            "00000022.usr",
            "00000099.usr",
            "import.usr",
            "odd.usr",
        ] {
            put(root, &format!("usr/{name}"), &users);
        }
        put(root, "usr/00000007.usr", &users[..50]);
        put(root, "nme/admin.nme", &[0; 90]);
        put(root, "nme/adminshd.nme", &[1; 90]);
        for name in ["gal.nme", "0000000a.nme", "smtp.nme", "tmp00003.nme"] {
            put(root, &format!("nme/{name}"), &[0; 45]);
        }
        put(root, "nme/notes.txt", b"not a list");
    }

    #[test]
    fn every_list_is_named_in_a_lower_case_copy() {
        let dir = temp("lower");
        lower_case_po(&dir.0);
        let po = Postoffice::open(&dir.0, CodePage::Cp850).unwrap();
        assert_eq!(po.folders().len(), 4, "{:?}", po.folders());
        let named: Vec<(String, String, u64)> = po
            .address_lists()
            .iter()
            .map(|l| (l.file_name.clone(), l.name.to_string(), l.entries))
            .collect();
        let expect = |f: &str, n: &str, e: u64| (f.to_string(), n.to_string(), e);
        assert_eq!(
            named,
            vec![
                expect("0000000a.nme", "PAL of 0000000A", 1),
                expect("admin.nme", "POL", 2),
                expect("adminshd.nme", "POL shadow", 2),
                expect("gal.nme", "GAL", 1),
                expect("smtp.nme", "gateway SMTP", 1),
                expect("tmp00003.nme", "temporary tmp00003.nme", 1),
                expect("00000005.usr", "POLYNOMIAL/TAYLOR", 3),
                expect("00000006.usr", "POLYNOMIAL/EULER", 3),
                expect("00000007.usr", "POLYNOMIAL/LAGRANGE", 0),
                expect("00000022.usr", "OLDNET/OLDPO", 3),
                expect("0000002e.usr", "gateway MSMAIL", 3),
                expect("00000099.usr", "unresolved 00000099", 3),
                expect("import.usr", "temporary import.usr", 3),
                expect("odd.usr", "unknown odd.usr", 3),
            ]
        );
        let problems = |f: &str| {
            po.address_lists()
                .iter()
                .find(|l| l.file_name == f)
                .unwrap()
                .problems
                .join("\n")
        };
        assert!(problems("00000005.usr").is_empty());
        assert!(
            problems("00000006.usr").contains("deleted"),
            "{}",
            problems("00000006.usr")
        );
        assert!(problems("00000022.usr").contains("deleted"));
        let bad = problems("00000007.usr");
        assert!(
            bad.contains("53-byte") && bad.contains("00000007.usr"),
            "{bad}"
        );
        assert!(problems("adminshd.nme").contains("must be identical"));
        assert!(problems("admin.nme").is_empty());
        assert_eq!(
            po.usr_for("polynomial", "Taylor"),
            Some(dir.0.join("usr/00000005.usr"))
        );
        assert_eq!(po.usr_for("POLYNOMIAL", "GAUSS"), None);
        let txt = po.files().iter().find(|f| f.name == "notes.txt").unwrap();
        assert_eq!((txt.folder, txt.kind), (Folder::Nme, None));
        assert!(po.problems().is_empty(), "{:?}", po.problems());
    }

    #[test]
    fn missing_and_damaged_network_files_are_problems_naming_the_file() {
        let dir = temp("damaged");
        let root = &dir.0;
        let mut net = file::<Network>(
            FileKind::Network,
            vec![
                network(1, 0x10, "POLYNOMIAL", Some(3), 4),
                network(1, 0x10, "GONE", Some(9), 8),
            ],
        );
        net.extend_from_slice(b"junk");
        put(root, "GLB/NETWORK.GLB", &net);
        let mut x = file::<Xtn>(FileKind::Xtn, vec![xtn(1, "TAYLOR", 5)]);
        x.push(0);
        put(root, "XTN/00000003.XTN", &x);
        put(root, "USR/00000005.USR", &[]);
        let po = Postoffice::open(root, CodePage::Cp850).unwrap();
        let all = po.problems().join("\n");
        assert!(
            all.contains("NETWORK.GLB") && all.contains("122-byte"),
            "{all}"
        );
        assert!(
            all.contains("00000003.XTN") && all.contains("698-byte"),
            "{all}"
        );
        assert!(
            all.contains("XTN/00000009.XTN, which does not exist"),
            "{all}"
        );
        // What could be read was read: the USR file is still named.
        assert_eq!(po.address_lists()[0].name.to_string(), "POLYNOMIAL/TAYLOR");
    }

    #[test]
    fn a_directory_without_postoffice_folders_is_an_error_naming_it() {
        let dir = temp("empty");
        let err = Postoffice::open(&dir.0, CodePage::Cp850).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&dir.0.display().to_string()) && msg.contains("not a postoffice"),
            "{msg}"
        );
        let missing = dir.0.join("nowhere");
        let err = Postoffice::open(&missing, CodePage::Cp850).unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
    }

    #[test]
    fn list_names_serialize_with_a_type_tag() {
        let v = serde_json::to_value(ListName::Postoffice {
            network: "POLYNOMIAL".into(),
            postoffice: "TAYLOR".into(),
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "postoffice", "network": "POLYNOMIAL", "postoffice": "TAYLOR"})
        );
        let v = serde_json::to_value(ListName::Personal { hexid: Hexid(3) }).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "personal", "hexid": "00000003"})
        );
        assert_eq!(
            serde_json::to_value(ListName::Gal).unwrap(),
            serde_json::json!({"type": "gal"})
        );
    }
}
