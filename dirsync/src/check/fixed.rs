//! Single-file checks of the fixed-layout families (REQCONF, SRVCONF,
//! PROCESS, NME, USR, NETPO, NETWORK, XTN), in one streaming pass. The
//! layouts are in `docs/formats/`; the rules in `docs/checks.md`.
//!
//! | code | rule | source |
//! |---|---|---|
//! | GLB307 | a text field holds control characters (not a CP850 name) | KB Q103421, Q87432 |
//! | GLB309 | a text field has no NUL terminator | KB Q104869, Q123398 (name limits) |
//! | GLB045 | a REQCONF queue pointer below -1 (see also [`super::postoffice`]) | KB Q140462, Q112301 |
//! | GLB342 | GAL.NME out of name order (glbtool's reconstructed collation) | KB Q86375 |
//! | GLB344 | an NME record of entry type 0 (corrupt) | KB Q85647 |
//! | GLB345 | an NME entry type the documentation does not name | KB Q107767 |
//! | GLB346 | a PROCESS record whose times disagree, or an unknown process code | KB Q148718, Q96060 |
//! | GLB351 | an address list holding the same entry twice (USR: a mailbox; NME but the GAL: identical records) | KB Q105125 |
//!
//! Text fields are found through each model's field map ([`Annotate`]): every
//! span with [`Role::Text`] is a NUL-terminated code-page field, checked on
//! the raw bytes the reader read (password fields excepted: they may be
//! stored encoded).

use std::cmp::Ordering;
use std::io::Read;

use glb_formats::fields::Text;
use glb_formats::format::{Format, ReadOptions, Reader, RecordRef};
use glb_formats::layout::{Annotate, Role, Span};
use glb_formats::nme::{self, NmeRecord};
use glb_formats::process::{ProcessKind, ProcessRecord, WEEK_SECONDS};
use glb_formats::reqconf::{ReqConf, NO_POINTER};
use glb_formats::srvconf::{self, RequestorRecord};
use glb_formats::usr::UsrRecord;

use super::{from_error, Capped, FileRef, Finding, Fix, Predicted};

/// True for the bytes no name or text field may hold: C0 controls and DEL.
/// (Tab, CR and LF are not allowed in a fixed name field either.)
pub fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// Reads a whole file of format `F`, checking every text field of the header
/// and of each record, and calling `each` on every record. A read error
/// becomes a finding and ends the scan. Returns the header and the record
/// count when the whole file was read.
pub fn scan<F: Format, R: Read>(
    file: &FileRef,
    src: R,
    size: Option<u64>,
    findings: &mut Vec<Finding>,
    mut each: impl FnMut(&RecordRef<'_, F::Record>, &mut Capped),
) -> Option<(Option<F::Header>, u64)> {
    let opts = ReadOptions {
        codepage: file.codepage,
        ..ReadOptions::default()
    };
    let mut reader = match Reader::<F, R>::new(src, file.kind, size, opts) {
        Ok(r) => r,
        Err(e) => {
            findings.push(from_error(file, &e));
            return None;
        }
    };
    let mut out = Capped::new(findings);
    let mut spans = Vec::new();
    if let Some(h) = reader.header() {
        h.spans(file.codepage, &mut spans);
        text_fields(file, 0, None, &spans, reader.header_raw(), &mut out);
    }
    let result = loop {
        match reader.next_record() {
            Ok(Some(r)) => {
                spans.clear();
                r.record.spans(file.codepage, &mut spans);
                text_fields(file, r.offset, Some(r.index), &spans, r.raw, &mut out);
                each(&r, &mut out);
            }
            Ok(None) => break Some((reader.header().cloned(), reader.records_read())),
            Err(e) => {
                out.push(from_error(file, &e));
                break None;
            }
        }
    };
    out.summarise(file);
    result
}

/// Checks the text fields of one item (header or record) at `offset`.
fn text_fields(
    file: &FileRef,
    offset: u64,
    record: Option<u64>,
    spans: &[Span],
    raw: &[u8],
    out: &mut Capped,
) {
    // Passwords are not judged: MS Mail encrypts the password fields of
    // MASTER.GLB and ACCESS.GLB (KB Q130322), and whether it encodes those of
    // REQCONF and SRVCONF is not documented.
    for s in spans
        .iter()
        .filter(|s| s.role == Role::Text && s.name != "password")
    {
        let Some(bytes) = raw.get(s.start..s.start + s.len) else {
            continue;
        };
        let end = bytes.iter().position(|&b| b == 0);
        let text = &bytes[..end.unwrap_or(bytes.len())];
        if let Some(i) = text.iter().position(|&b| is_control(b)) {
            out.push(
                file.finding(
                    "GLB307",
                    format!(
                        "the `{}` field holds the control character 0x{:02x}: MS Mail keeps names as CP850 text",
                        s.name, text[i]
                    ),
                )
                .at(offset + (s.start + i) as u64, record)
                .fix(correct_entry()),
            );
        }
        if end.is_none() {
            out.push(
                file.finding(
                    "GLB309",
                    format!(
                        "the {}-byte `{}` field has no NUL terminator: its text fills the field, one character more than the field holds, and a reader runs into the next field",
                        s.len, s.name
                    ),
                )
                .at(offset + s.start as u64, record)
                .fix(correct_entry()),
            );
        }
    }
}

fn correct_entry() -> Fix {
    Fix::Procedure {
        text: "correct the entry in ADMIN (or the configuration in Config, Dir-Sync) so that MS Mail writes the field again; restore the file from backup if it was damaged".into(),
        source: "KB Q103421",
    }
}

/// REQCONF.GLB alone: a queue pointer below -1 is no offset at all.
pub fn reqconf(file: &FileRef, conf: &ReqConf, out: &mut Vec<Finding>) {
    for (i, (queue, p)) in conf.pointers().into_iter().enumerate() {
        if p < NO_POINTER {
            out.push(pointer_finding(
                file,
                conf,
                queue,
                i,
                format!(
                    "the {queue} pointer is {p}; a queue pointer is a byte offset or -1 (none)"
                ),
            ));
        }
    }
}

/// Byte offset of the `index`th queue pointer in REQCONF.GLB (see `reqconf.rs`).
fn pointer_offset(index: usize) -> u64 {
    51 + 4 * index as u64
}

/// A GLB045 finding about the pointer into `queue` (`SRVTRANS.GLB`, ...) of
/// `conf`, the REQCONF.GLB `file`.
pub fn pointer_finding(
    file: &FileRef,
    conf: &ReqConf,
    queue: &str,
    index: usize,
    cause: String,
) -> Finding {
    let stem = queue.trim_end_matches(".GLB");
    let path = super::shell_quote(&file.path);
    file.finding("GLB045", cause)
        .at(pointer_offset(index), None)
        .predicts(Predicted {
            program: "IMPORT -Q",
            number: Some(45),
            text: format!("Error [ 45] File error sorting queue: {stem}"),
        })
        .fix(Fix::Procedure {
            text: format!(
                "set all four queue pointers to -1 (LISTDS 3.5 -r -z does not): `glbtool dump -f json {path} > r.json`, set srvtrans_pointer, usrtrans_pointer, gwtrans_pointer and nmetrans_pointer to -1, `glbtool build --kind reqconf r.json -o {path}`; or `glbtool patch-seq {path} --reset --reqsync {} --srvsync {} --impsync {}`, which also clears the requested types and options as LISTDS -r -z does (set them again in ADMIN)",
                conf.reqsync, conf.srvsync, conf.impsync
            ),
            source: "KB Q140462, Q112301",
        })
}

/// NME files: corrupt and undocumented entry types, and for GAL.NME the
/// name order. Returns the per-record hook for [`scan`].
pub fn nme_hook(file: &FileRef) -> impl FnMut(&RecordRef<'_, NmeRecord>, &mut Capped) + '_ {
    let is_gal = file
        .path
        .rsplit(['/', '\\'])
        .next()
        .is_some_and(|n| n.eq_ignore_ascii_case("GAL.NME"));
    let mut prev: Option<Text<31>> = None;
    let mut order_reported = false;
    let mut duplicates = (!is_gal).then(|| nme_duplicates(file));
    move |r, out| {
        if let Some(d) = &mut duplicates {
            d(r, out);
        }
        let rec = r.record;
        match rec.entry_type {
            nme::entry_type::CORRUPT => out.push(
                file.finding(
                    "GLB344",
                    format!(
                        "entry {:?} has entry type 0, the documented sign of a corrupt record",
                        rec.name.decode(file.codepage)
                    ),
                )
                .at(r.offset, Some(r.index))
                .fix(Fix::Procedure {
                    text: "delete and re-create the entry in ADMIN; for the POL, repair ADMIN.NME and copy it over ADMINSHD.NME, then let REBUILD -F rebuild the GAL".into(),
                    source: "KB Q85647",
                }),
            ),
            t if rec.entry_type_meaning().is_none() => out.push(
                file.finding(
                    "GLB345",
                    format!(
                        "entry {:?} has entry type {t}, which neither the documentation (2 external user, 4 group, KB Q107767) nor glbtool's reading (1 local user, reconstructed) names; 3 is probably a Macintosh address; MS Mail's tools skip such records",
                        rec.name.decode(file.codepage)
                    ),
                )
                .at(r.offset, Some(r.index)),
            ),
            _ => {}
        }
        if is_gal && !order_reported {
            if let Some(p) = &prev {
                if nme::gal_order(p, &rec.name, file.codepage) == Ordering::Greater {
                    order_reported = true;
                    out.push(
                        file.finding(
                            "GLB342",
                            format!(
                                "{:?} comes after {:?}: GAL.NME must be sorted by full name so clients can binary-search it; glbtool compares the names decoded in code page {} without regard to case, a reconstruction of C850SORT.GLB's undocumented collation (accented letters may legitimately sort elsewhere)",
                                rec.name.decode(file.codepage),
                                p.decode(file.codepage),
                                file.codepage
                            ),
                        )
                        .at(r.offset + nme::NAME_OFFSET as u64, Some(r.index))
                        .fix(Fix::Procedure {
                            text: "rebuild the GAL with REBUILD -F (Dir-Sync runs it at T3)".into(),
                            source: "KB Q86375, Q96060",
                        }),
                    );
                }
            }
            prev = Some(rec.name);
        }
    }
}

/// How many entries of one list the duplicate check remembers: a list of
/// more (no postoffice list comes near it) is checked up to there only, so
/// memory stays bounded (the key, a record index and the hash table's
/// overhead per entry: about 6 MB for USR files, 16 MB for NME files).
pub const DUPLICATES_TRACKED: usize = 250_000;

/// GLB351: the same entry twice in one address list. `key` gives what makes
/// an entry the same, a fixed-size key (`None` for records that are not
/// entries, such as deleted ones), and how to name it; `what` says it in
/// the finding.
fn duplicates_hook<'f, Rec, K: std::hash::Hash + Eq + 'f>(
    file: &'f FileRef,
    what: &'static str,
    key: impl Fn(&Rec) -> Option<K> + 'f,
    shown: impl Fn(&Rec) -> String + 'f,
) -> impl FnMut(&RecordRef<'_, Rec>, &mut Capped) + 'f {
    let mut seen: std::collections::HashMap<K, u64> = std::collections::HashMap::new();
    move |r, out| {
        let Some(k) = key(r.record) else {
            return;
        };
        if let Some(&first) = seen.get(&k) {
            out.push(
                file.finding(
                    "GLB351",
                    format!(
                        "{} is held a second time ({what} as record {first}): the list holds the same entry twice",
                        shown(r.record)
                    ),
                )
                .at(r.offset, Some(r.index))
                .fix(Fix::Procedure {
                    text: "let Dir-Sync rebuild the list from the server's: a full import on the requestor (ADMIN: Config, Dir-Sync, Requestor, Import), or RESYNC.GLB from the server processed with IMPORT -Q".into(),
                    source: "KB Q105125, Q119449",
                }),
            );
        } else if seen.len() < DUPLICATES_TRACKED {
            seen.insert(k, r.index);
        }
    }
}

/// USR files: the same mailbox (letter case ignored: MS Mail names are
/// case-insensitive) in two active records is the same address twice.
pub fn usr_hook(file: &FileRef) -> impl FnMut(&RecordRef<'_, UsrRecord>, &mut Capped) + '_ {
    duplicates_hook(
        file,
        "the same mailbox",
        |r: &UsrRecord| {
            (!r.is_deleted()).then(|| {
                let mut k = [0u8; 11];
                let m = r.mailbox.bytes();
                k[..m.len()].copy_from_slice(m);
                k.make_ascii_uppercase();
                k
            })
        },
        |r: &UsrRecord| {
            format!(
                "mailbox {:?} ({:?})",
                r.mailbox.decode(file.codepage),
                r.name.decode(file.codepage)
            )
        },
    )
}

/// NME files other than GAL.NME (which may hold one name many times, KB
/// Q86375, and is rebuilt whole by REBUILD): two records alike in every
/// byte are the same entry twice.
fn nme_duplicates(file: &FileRef) -> impl FnMut(&RecordRef<'_, NmeRecord>, &mut Capped) + '_ {
    duplicates_hook(
        file,
        "identical",
        |r: &NmeRecord| {
            let mut k = [0u8; 45];
            k[..2].copy_from_slice(&r.entry_type.to_le_bytes());
            k[2..33].copy_from_slice(&r.name.0);
            k[33..37].copy_from_slice(&r.tid.to_le_bytes());
            k[37..41].copy_from_slice(&r.pointer.to_le_bytes());
            k[41..].copy_from_slice(&r.hexid.0.to_le_bytes());
            Some(k)
        },
        |r: &NmeRecord| format!("entry {:?}", r.name.decode(file.codepage)),
    )
}

/// SRVCONF.GLB requestor records that name no requestor. The file holds one
/// 1024-byte record per registered requestor postoffice, each named
/// `TYPE:NET/PO` (KB Q77926, Q96060): a block of zero bytes holds no name and
/// no number whatever the layout (an error), and one whose name field, at
/// glbtool's reconstructed position, is empty names none (a warning).
pub fn srvconf_hook(
    file: &FileRef,
) -> impl FnMut(&RecordRef<'_, RequestorRecord>, &mut Capped) + '_ {
    move |r, out| {
        let fix = Fix::Procedure {
            text: "restore SRVCONF.GLB from a backup taken before the damage; on the server, Config, Dir-Sync, Server, Requestors lists the requestors it should hold (re-adding one sets its numbers to zero, KB Q99961)".into(),
            source: "KB Q96060, Q99961",
        };
        if srvconf::is_blank(r.raw) {
            out.push(
                file.finding(
                    "GLB354",
                    format!(
                        "requestor record {} is {} zero bytes: it names no requestor and holds no number, whatever the layout; SRVCONF.GLB holds one record per registered requestor, named TYPE:NET/PO (KB Q77926, Q96060), so this block is not a requestor's record: the file was padded or damaged",
                        r.index,
                        r.raw.len()
                    ),
                )
                .at(r.offset, Some(r.index))
                .fix(fix),
            );
        } else if r.record.name.bytes().is_empty() {
            out.push(
                file.finding(
                    "GLB354",
                    format!(
                        "requestor record {}'s name is empty: a registered requestor's record is named TYPE:NET/PO (KB Q96060); the name's position is glbtool's reconstruction (docs/formats/srvconf.md), so the record may be damaged or the layout may differ",
                        r.index
                    ),
                )
                .severity(super::Severity::Warning)
                .at(r.offset, Some(r.index))
                .fix(fix),
            );
        }
    }
}

/// PROCESS.GLB records: the times ADMIN and DSSCHED write together, and the process code.
pub fn process_hook(file: &FileRef) -> impl FnMut(&RecordRef<'_, ProcessRecord>, &mut Capped) + '_ {
    move |r, out| {
        let rec = r.record;
        let mut odd = Vec::new();
        if rec.kind().is_none() {
            odd.push(format!(
                "process code {} is none of 1 (T1), 2 (T2), 3 (T3)",
                rec.process
            ));
        }
        let deadline = rec.run_at.0.saturating_add(rec.window_seconds);
        if rec.deadline.0 != deadline {
            odd.push(format!(
                "the deadline is {} s after the run time, not the {}-second window",
                i64::from(rec.deadline.0) - i64::from(rec.run_at.0),
                rec.window_seconds
            ));
        }
        let next = rec.run_at.0.saturating_add(WEEK_SECONDS);
        if rec.next_run.0 != next {
            odd.push(format!(
                "the next run is {} s after the run time, not one week ({WEEK_SECONDS} s)",
                i64::from(rec.next_run.0) - i64::from(rec.run_at.0)
            ));
        }
        if odd.is_empty() {
            return;
        }
        let what = rec.kind().map_or_else(
            || "record".to_string(),
            |k: ProcessKind| k.tag().to_string(),
        );
        out.push(
            file.finding(
                "GLB346",
                format!(
                    "{what} (ID {}): {}; ADMIN and DSSCHED write them together, so the record was edited by other means (information only: Dispatch uses the run time)",
                    rec.id,
                    odd.join("; ")
                ),
            )
            .at(r.offset, Some(r.index))
            .fix(Fix::command(format!(
                "glbtool dump -f dssched {p} > times.txt && glbtool build --kind process --from-dssched times.txt --base {p} -o PROCESS.GLB",
                p = super::shell_quote(&file.path)
            ))),
        );
    }
}

#[cfg(test)]
mod tests {
    use glb_formats::codepage::CodePage;
    use glb_formats::fields::Stamp;
    use glb_formats::format::Document;
    use glb_formats::hexid::Hexid;
    use glb_formats::kind::FileKind;
    use glb_formats::nme::Nme;
    use glb_formats::process::{ProcessFile, ProcessHeader};
    use glb_formats::reqconf::ReqConfFile;

    use super::*;

    fn entry(entry_type: u16, name: &str) -> NmeRecord {
        NmeRecord {
            entry_type,
            name: Text::encode(name, CodePage::Cp850).unwrap(),
            tid: 1,
            pointer: 0,
            hexid: Hexid(1),
        }
    }

    fn nme_findings(path: &str, records: Vec<NmeRecord>) -> Vec<Finding> {
        let mut doc = Document::<Nme>::new(FileKind::Nme);
        doc.records = records;
        let bytes = doc.to_bytes().unwrap();
        let f = FileRef::new(path, FileKind::Nme, glb_formats::codepage::CodePage::Cp850);
        let mut out = Vec::new();
        let got = scan::<Nme, _>(
            &f,
            &bytes[..],
            Some(bytes.len() as u64),
            &mut out,
            nme_hook(&f),
        );
        assert!(got.is_some());
        out
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_sorted_gal_is_clean_and_the_first_misplaced_name_is_named() {
        let sorted = vec![entry(1, "able"), entry(2, "Bryan"), entry(1, "mark")];
        assert!(nme_findings("po/NME/GAL.NME", sorted).is_empty());
        let unsorted = vec![
            entry(1, "able"),
            entry(1, "Mark"),
            entry(1, "Bryan"),
            entry(1, "Adam"),
        ];
        let f = nme_findings("po/NME/gal.nme", unsorted.clone());
        assert_eq!(codes(&f), vec!["GLB342"]);
        assert_eq!(f[0].record, Some(2));
        assert_eq!(f[0].offset, Some(2 * 45 + 2));
        assert!(
            f[0].cause.contains("\"Bryan\" comes after \"Mark\""),
            "{}",
            f[0].cause
        );
        assert!(f[0].cause.contains("reconstruction"));
        // The POL is not required to be in GAL order.
        assert!(nme_findings("po/NME/ADMIN.NME", unsorted).is_empty());
    }

    /// Issue 14 point 8: the same entry twice in one list is a list finding.
    #[test]
    fn the_same_entry_twice_in_a_list_is_glb351() {
        use glb_formats::usr::{Usr, UsrRecord};
        let usr = |status: u8, mailbox: &str, name: &str| UsrRecord {
            status,
            mailbox: Text::encode(mailbox, CodePage::Cp850).unwrap(),
            name: Text::encode(name, CodePage::Cp850).unwrap(),
            ..UsrRecord::default()
        };
        let mut doc = Document::<Usr>::new(FileKind::Usr);
        doc.records = vec![
            usr(1, "paul", "Paul"),
            usr(0, "mark", "Mark"),
            usr(1, "mark", "Mark"),
            usr(1, "PAUL", "Paul Montgomery"),
        ];
        let bytes = doc.to_bytes().unwrap();
        let f = FileRef::new(
            "po/USR/00000002.USR",
            FileKind::Usr,
            glb_formats::codepage::CodePage::Cp850,
        );
        let mut out = Vec::new();
        scan::<Usr, _>(
            &f,
            &bytes[..],
            Some(bytes.len() as u64),
            &mut out,
            usr_hook(&f),
        )
        .unwrap();
        // The deleted Mark does not count; PAUL is paul (names are case-insensitive).
        assert_eq!(codes(&out), vec!["GLB351"]);
        assert_eq!(out[0].record, Some(3));
        assert!(out[0].cause.contains("as record 0"), "{}", out[0].cause);
        // Identical NME records in the POL; the GAL may repeat names.
        let twice = vec![entry(1, "able"), entry(2, "Sales"), entry(2, "Sales")];
        let f = nme_findings("po/NME/SMTP.NME", twice.clone());
        assert_eq!(codes(&f), vec!["GLB351"]);
        assert_eq!(f[0].record, Some(2));
        assert!(nme_findings("po/NME/GAL.NME", twice).is_empty());
        // Same name, another TID: two entries.
        let mut other = entry(2, "Sales");
        other.tid = 2;
        assert!(nme_findings("po/NME/SMTP.NME", vec![entry(2, "Sales"), other]).is_empty());
    }

    #[test]
    fn entry_type_0_is_corrupt_and_other_unknown_types_are_noted() {
        let f = nme_findings(
            "po/NME/ADMIN.NME",
            vec![entry(1, "a"), entry(0, "b"), entry(3, "c"), entry(4, "d")],
        );
        assert_eq!(codes(&f), vec!["GLB344", "GLB345"]);
        assert_eq!((f[0].record, f[0].offset), (Some(1), Some(45)));
        assert_eq!(f[0].severity, super::super::Severity::Error);
        assert_eq!(f[1].severity, super::super::Severity::Info);
        assert_eq!(f[1].record, Some(2));
    }

    #[test]
    fn control_characters_and_missing_terminators_in_names() {
        let mut bad = entry(1, "x");
        bad.name = Text::from_bytes(b"Bad\x07Name").unwrap();
        let mut full = entry(1, "x");
        full.name = Text([b'A'; 31]);
        let f = nme_findings("po/NME/ADMIN.NME", vec![entry(1, "ok"), bad, full]);
        assert_eq!(codes(&f), vec!["GLB307", "GLB309"]);
        // The control character's own byte: record 1 starts at 45, the name at +2.
        assert_eq!(f[0].offset, Some(45 + 2 + 3));
        assert!(f[0].cause.contains("0x07") && f[0].cause.contains("`name`"));
        assert_eq!((f[1].record, f[1].offset), (Some(2), Some(90 + 2)));
    }

    #[test]
    fn reqconf_text_fields_and_a_pointer_below_minus_one() {
        let conf = ReqConf {
            server_network: Text::from_bytes(b"POLY\x01").unwrap(),
            password: Text([7; 9]), // not judged: it may be stored encoded
            srvtrans_pointer: -1,
            usrtrans_pointer: -7,
            gwtrans_pointer: -1,
            nmetrans_pointer: -1,
            ..ReqConf::default()
        };
        let doc = Document::<ReqConfFile> {
            kind: FileKind::Reqconf,
            header: Some(conf.clone()),
            records: vec![],
            trailing: vec![],
        };
        let bytes = doc.to_bytes().unwrap();
        let f = FileRef::new(
            "REQCONF.GLB",
            FileKind::Reqconf,
            glb_formats::codepage::CodePage::Cp850,
        );
        let mut out = Vec::new();
        scan::<ReqConfFile, _>(&f, &bytes[..], Some(512), &mut out, |_, _| {});
        reqconf(&f, &conf, &mut out);
        assert_eq!(codes(&out), vec!["GLB307", "GLB045"]);
        assert_eq!(out[0].offset, Some(4));
        assert_eq!(out[1].offset, Some(55));
        assert_eq!(
            out[1].predicts.as_ref().unwrap().text,
            "Error [ 45] File error sorting queue: USRTRANS"
        );
        // The documented repair is named: all four pointers to -1.
        assert!(matches!(&out[1].fix, Fix::Procedure { text, .. } if text.contains("all four")));
    }

    #[test]
    fn process_records_whose_times_disagree_are_noted() {
        let good =
            ProcessRecord::scheduled(1, ProcessKind::RequestorSends, Stamp(1_000_000), 28_800, 0);
        let mut edited = good.clone();
        edited.id = 2;
        edited.deadline = Stamp(1_000_000 + 60);
        let mut odd_code = good.clone();
        odd_code.id = 3;
        odd_code.process = 9;
        let doc = Document::<ProcessFile> {
            kind: FileKind::Process,
            header: Some(ProcessHeader::default()),
            records: vec![good, edited, odd_code],
            trailing: vec![],
        };
        let bytes = doc.to_bytes().unwrap();
        let f = FileRef::new(
            "PROCESS.GLB",
            FileKind::Process,
            glb_formats::codepage::CodePage::Cp850,
        );
        let mut out = Vec::new();
        scan::<ProcessFile, _>(
            &f,
            &bytes[..],
            Some(bytes.len() as u64),
            &mut out,
            process_hook(&f),
        );
        assert_eq!(codes(&out), vec!["GLB346", "GLB346"]);
        assert_eq!(out[0].record, Some(1));
        assert!(out[0].cause.contains("60 s"), "{}", out[0].cause);
        assert!(out[1].cause.contains("process code 9"), "{}", out[1].cause);
        assert_eq!(out[0].severity, super::super::Severity::Info);
    }

    #[test]
    fn findings_of_one_code_are_capped_per_file() {
        let mut bad = entry(1, "x");
        bad.name = Text::from_bytes(b"\x01").unwrap();
        // Distinct TIDs: 150 entries (identical records would also be GLB351).
        let records = (0..150)
            .map(|tid| NmeRecord { tid, ..bad.clone() })
            .collect();
        let f = nme_findings("po/NME/ADMIN.NME", records);
        assert_eq!(f.len(), super::super::FINDINGS_PER_CODE + 1);
        assert!(f.last().unwrap().cause.contains("50 more"));
    }
}
