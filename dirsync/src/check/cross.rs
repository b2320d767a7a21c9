//! Checks across files: the sync-number rules that decide whether Dir-Sync
//! works, from `../shared/research/dirsync-facts.md` sections 1, 2 and 5.
//!
//! | code | rule | source |
//! |---|---|---|
//! | GLB171 | no REQTRANS record numbered above REQCONF ReqSync while some lie below it (or the dummy does): T1 sends nothing | KB Q133428, Q119452, Q96060 |
//! | GLB014 | RESYNC header numbers below the requestors' | KB Q215505, Q119449 |
//! | GLB310 | RESYNC header numbers above the KB Q119449 rule (warning only) | KB Q119449 |
//! | GLB313 | a number not checked because the server's record is unknown | KB Q119449 |
//! | GLB317 | RESYNC.GLB waits on a requestor whose REQTRANS.GLB holds changes not yet sent: IMPORT -Q changes ReqSync and they are ignored | KB Q119452, Q119449 |
//! | GLB138 | a SrvSync above the highest MSTTRANS number (server restored) | KB Q96060 Problem 9, Q113453 |
//! | GLB139 | a SrvSync below the lowest remaining MSTTRANS number (purged) | KB Q108067, Q96060 |
//! | GLB341 | a requestor's numbers behind the server's record (reply not applied) | KB Q142841, Q96060 |
//! | GLB320 | ReqSync greater than SrvSync (heuristic) | KB Q96060 |
//!
//! Files are related by directory: a REQTRANS.GLB and a REQCONF.GLB in the
//! same directory belong to one postoffice; a requestor's REQCONF.GLB is
//! matched to its SRVCONF.GLB record by the postoffice directory it sits in
//! (`<PO>/GLB/REQCONF.GLB`), and only when that names no record by its
//! `local_network/local_postoffice`, fields glbtool reconstructed that MS
//! Mail's REQCONF.GLB may not hold (KB Q123437, Q112301: a REQCONF.GLB copied
//! from another postoffice and reset is a supported repair).

use std::path::Path;

use glb_formats::kind::SyncFile;
use glb_formats::reqconf::ReqConf;
use glb_formats::srvconf::{self, RequestorRecord, SrvConfHeader};

use super::file::{Facts, ProcessFacts};
use super::queue::QueueFacts;
use super::{shell_quote, FileRef, Finding, Fix, Predicted, Severity};
use crate::resync::{self, ServerRecord};

/// One checked file with its facts.
pub type Checked<'a> = (&'a FileRef, &'a Facts);

fn dir_of(path: &str) -> &Path {
    Path::new(path).parent().unwrap_or(Path::new(""))
}

fn same_dir(a: &FileRef, b: &FileRef) -> bool {
    dir_of(&a.path) == dir_of(&b.path)
}

struct View<'a> {
    reqtrans: Vec<(&'a FileRef, &'a QueueFacts)>,
    msttrans: Vec<(&'a FileRef, &'a QueueFacts)>,
    resync: Vec<(&'a FileRef, &'a QueueFacts)>,
    reqconf: Vec<(&'a FileRef, &'a ReqConf)>,
    srvconf: Vec<(&'a FileRef, &'a SrvConfHeader, &'a [RequestorRecord])>,
    process: Vec<(&'a FileRef, &'a ProcessFacts)>,
}

impl<'a> View<'a> {
    /// Each requestor's REQCONF.GLB (outside the server's directory) with
    /// the server's SRVCONF.GLB and the record it holds for that requestor
    /// ([`record_for`]): `(reqconf, its values, record index, record)`.
    fn requestor_records(
        &self,
    ) -> impl Iterator<Item = (&'a FileRef, &'a ReqConf, usize, &'a RequestorRecord)> + '_ {
        self.srvconf.iter().flat_map(move |&(sc, _, records)| {
            self.reqconf.iter().filter_map(move |&(f, conf)| {
                if same_dir(f, sc) {
                    return None;
                }
                record_for(records, f, conf).map(|(i, r)| (f, conf, i, r))
            })
        })
    }
}

fn view<'a>(files: &[Checked<'a>]) -> View<'a> {
    let mut v = View {
        reqtrans: vec![],
        msttrans: vec![],
        resync: vec![],
        reqconf: vec![],
        srvconf: vec![],
        process: vec![],
    };
    for &(file, facts) in files {
        match facts {
            Facts::Queue(q) => match file.kind.sync_file() {
                Some(SyncFile::Reqtrans) => v.reqtrans.push((file, q)),
                Some(SyncFile::Msttrans) => v.msttrans.push((file, q)),
                Some(SyncFile::Resync) => v.resync.push((file, q)),
                Some(SyncFile::Reqconf | SyncFile::Srvconf | SyncFile::Process) | None => {}
            },
            Facts::ReqConf(c) => v.reqconf.push((file, c)),
            Facts::SrvConf { header, records } => v.srvconf.push((file, header, records)),
            Facts::Process(p) => v.process.push((file, p)),
            Facts::None => {}
        }
    }
    v
}

/// Picks the partner of `file` among `candidates`: the one in the same
/// directory, or the only one when there is exactly one.
fn partner<'a, T: Copy>(
    file: &FileRef,
    candidates: &[(&'a FileRef, T)],
) -> Option<(&'a FileRef, T)> {
    candidates
        .iter()
        .find(|(f, _)| same_dir(f, file))
        .or(if candidates.len() == 1 {
            candidates.first()
        } else {
            None
        })
        .copied()
}

/// The postoffice a file's directory names: `TAYLOR` for
/// `.../TAYLOR/GLB/REQCONF.GLB`; `None` when the file is not in a `GLB`
/// folder.
fn postoffice_dir(path: &str) -> Option<String> {
    let glb = Path::new(path).parent()?;
    let name = glb.file_name()?.to_string_lossy();
    if !name.eq_ignore_ascii_case("GLB") {
        return None;
    }
    Some(glb.parent()?.file_name()?.to_string_lossy().into_owned())
}

/// The SRVCONF record of a requestor known by its REQCONF.GLB at `path`: the
/// one record whose postoffice is the directory the file sits in, else the
/// record named by REQCONF's reconstructed `local_network/local_postoffice`.
fn record_for<'r>(
    records: &'r [RequestorRecord],
    file: &FileRef,
    conf: &ReqConf,
) -> Option<(usize, &'r RequestorRecord)> {
    let (path, cp) = (file.path.as_str(), file.codepage);
    let by_dir = postoffice_dir(path).and_then(|po| {
        let mut m = records.iter().enumerate().filter(|(_, r)| {
            r.net_po(cp)
                .rsplit('/')
                .next()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case(&po))
        });
        match (m.next(), m.next()) {
            (Some(one), None) => Some(one.0),
            _ => None,
        }
    });
    let i = match by_dir {
        Some(i) => i,
        None => srvconf::position_of(records, &conf.local(cp)?, cp)?,
    };
    Some((i, &records[i]))
}

/// Which SRVCONF record is the server postoffice's own
/// ([`resync::server_record`], the one function that decides it): named by
/// the server's REQCONF.GLB (the one in the same directory as SRVCONF.GLB),
/// else by the registration of the requestors' REQCONF.GLB files given.
pub fn server_record(
    srvconf: &FileRef,
    records: &[RequestorRecord],
    reqconfs: &[(&FileRef, &ReqConf)],
) -> ServerRecord {
    let own = reqconfs.iter().filter(|(f, _)| same_dir(f, srvconf));
    let others = reqconfs.iter().filter(|(f, _)| !same_dir(f, srvconf));
    resync::server_record(
        records,
        own.chain(others).map(|(_, c)| *c),
        srvconf.codepage,
    )
}

/// Runs every cross-file check over the files given together.
pub fn check(files: &[Checked<'_>], out: &mut Vec<Finding>) {
    let v = view(files);
    reqtrans_below_reqsync(&v, out);
    resync_header(&v, out);
    mst_range(&v, out);
    behind_server(&v, out);
    reqsync_above_srvsync(&v, out);
    server_process_on_requestor(&v, out);
    import_count_above_server(&v, out);
    import_beyond_limit(&v, out);
    resync_over_pending_changes(&v, out);
}

/// GLB317 (KB Q119452, Q119449): a RESYNC.GLB waiting on a requestor (its
/// REQCONF.GLB beside it, no SRVCONF.GLB) whose REQTRANS.GLB holds changes
/// numbered above REQCONF's ReqSync, not yet sent. IMPORT -Q sets ReqSync to
/// the header's REQSEQ, and "transactions in REQTRANS.GLB that have a lower
/// number than ReqSync will be ignored": the KB says to apply RESYNC.GLB
/// before adding any transaction, and to re-add those added before. The
/// header's REQSEQ is read only from glbtool's reconstructed form; without it
/// the finding says which changes are at risk, not which will be lost.
fn resync_over_pending_changes(v: &View, out: &mut Vec<Finding>) {
    for &(rs, resync) in &v.resync {
        if v.srvconf.iter().any(|(sc, _, _)| same_dir(sc, rs)) {
            continue;
        }
        let Some(&(_, conf)) = v.reqconf.iter().find(|(f, _)| same_dir(f, rs)) else {
            continue;
        };
        let Some(&(rt, q)) = v.reqtrans.iter().find(|(f, _)| same_dir(f, rs)) else {
            continue;
        };
        let dummy = q.dummy.as_ref().map(|_| 0u64);
        let pending: Vec<u32> = q
            .syncs
            .iter()
            .filter(|(i, _, s)| *s > conf.reqsync && Some(*i) != dummy)
            .map(|&(_, _, s)| s)
            .collect();
        if pending.is_empty() {
            continue;
        }
        let (lo, hi) = (
            pending.iter().min().copied().unwrap_or(0),
            pending.iter().max().copied().unwrap_or(0),
        );
        let fate = match &resync.resync_header {
            Some(h) => {
                let lost = pending.iter().filter(|&&s| s < h.reqseq).count();
                format!(
                    "the header's REQSEQ is {} (read in glbtool's reconstructed header form), so {lost} of them {} numbered below it",
                    h.reqseq,
                    if lost == 1 { "is" } else { "are" }
                )
            }
            None => "the header's REQSEQ cannot be read (its encoding is not documented), so which of them fall below it cannot be told".to_string(),
        };
        out.push(
            rs.finding(
                "GLB317",
                format!(
                    "RESYNC.GLB waits to be applied while {} ({}) holds {} change(s) numbered {lo} to {hi}, above REQCONF ReqSync {}, not yet sent: IMPORT -Q sets ReqSync to the header's REQSEQ, and the transactions numbered lower are then ignored and never sent (KB Q119452); {fate}",
                    rt.kind,
                    rt.path,
                    pending.len(),
                    conf.reqsync,
                ),
            )
            .severity(Severity::Warning)
            .fix(Fix::Procedure {
                text: "apply RESYNC.GLB with IMPORT -Q before any change is made at the postoffice; changes made before it are entered again afterwards (KB Q119452: \"If transactions have already been added, they should be re-added\")".into(),
                source: "KB Q119452",
            }),
        );
    }
}

/// GLB161 (KB Q136487, Q96060): a postoffice that is no Dir-Sync server
/// (REQCONF.GLB beside PROCESS.GLB, no SRVCONF.GLB) whose PROCESS.GLB still
/// schedules T2: Dispatch launches `NSDA -S` and it fails with Fatal 161. The
/// server's T2 left behind when it was changed to a requestor (SRVCONF.GLB
/// and MSTTRANS.GLB are removed then, the schedule is not).
fn server_process_on_requestor(v: &View, out: &mut Vec<Finding>) {
    for &(pf, facts) in &v.process {
        let Some(&(index, offset)) = facts.server_runs.first() else {
            continue;
        };
        let postoffice = v.reqconf.iter().any(|(f, _)| same_dir(f, pf));
        let server = v.srvconf.iter().any(|(f, _, _)| same_dir(f, pf));
        if !postoffice || server {
            continue;
        }
        let path = shell_quote(&pf.path);
        out.push(
            pf.finding(
                "GLB161",
                format!(
                    "{} record(s) schedule T2 (NSDA -S, the Dir-Sync server's process; code 2 in glbtool's reconstructed encoding), but this postoffice is a requestor (REQCONF.GLB and no SRVCONF.GLB beside it): Dispatch launches NSDA -S and it fails. This happens when a server is changed to a requestor: SRVCONF.GLB and MSTTRANS.GLB are removed, the T2 schedule stays",
                    facts.server_runs.len()
                ),
            )
            .at(offset, Some(index))
            .predicts(Predicted::ms_mail("NSDA -S (DIRSYNC.LOG)", "Fatal ", 161))
            .fix(Fix::Procedure {
                text: format!("reset PROCESS.GLB to its 512-byte header (KB Q136487: DEBUG, rcx 200) and schedule T1 and T3 again in ADMIN or with DSSCHED; with glbtool: glbtool dump -f dssched {path} > times.txt, then glbtool build --kind process --from-dssched times.txt --base {path} --role requestor -o {path} (a requestor's schedule leaves the T2 lines out)"),
                source: "KB Q136487, Q96060",
            }),
        );
    }
}

/// GLB315 (KB Q99961): the server's record of a requestor holds a lower
/// import count than the requestor's REQCONF.GLB: the requestor was deleted
/// and registered again on the server (every number of its record back to
/// 0). The server's replies carry that import count, and the requestor
/// rejects them, silently, as old Dir-Sync mail.
fn import_count_above_server(v: &View, out: &mut Vec<Finding>) {
    for (f, conf, i, r) in v.requestor_records() {
        if r.impsync >= conf.impsync {
            continue;
        }
        let zeroed = r.reqsync == 0 && r.srvsync == 0 && r.impsync == 0;
        out.push(
            f.finding(
                "GLB315",
                format!(
                    "SRVCONF record #{} ({}) holds import count {}, below this requestor's {} ({}): {}the server's replies carry its import count, and the requestor rejects them as old Dir-Sync mail without any warning, cycle after cycle",
                    i + 1,
                    r.name.decode(f.codepage),
                    r.impsync,
                    conf.impsync,
                    f.path,
                    if zeroed {
                        "every number of the record is 0, as after the requestor was deleted and registered again on the server; "
                    } else {
                        ""
                    }
                ),
            )
            .predicts(Predicted {
                program: "REQMAIN -R",
                number: None,
                text: "no message: the server's updates are rejected as old Dir-Sync mail; DIRSYNC.LOG shows zero updates received".into(),
            })
            .fix(Fix::Procedure {
                text: "the requestor's administrator requests an Import (Config, Dir-Sync, Requestor, Import), or the server's administrator makes a RESYNC.GLB for it (glbtool resync --server DIR, or IMPORT -S) to apply with IMPORT -Q".into(),
                source: "KB Q99961",
            }),
        );
    }
}

/// GLB316 (KB Q119450, Q133719): a requestor about to receive a full import
/// (its REQCONF.GLB's ReqSync and SrvSync 0, or its SRVCONF record all 0,
/// KB Q96060, Q99961) with a Limit set: an import reply cannot be paced, so
/// if it is larger than the Limit, SRVMAIN -T fails with Fatal 118 and
/// Fatal 166. The Limit's unit is not documented, so whether it will be
/// exceeded cannot be told from the files: a warning.
fn import_beyond_limit(v: &View, out: &mut Vec<Finding>) {
    for &(f, conf) in &v.reqconf {
        if conf.size_limit == 0 || v.srvconf.iter().any(|(sc, _, _)| same_dir(sc, f)) {
            continue;
        }
        let by_reqconf = conf.reqsync == 0 && conf.srvsync == 0;
        let by_record = v.srvconf.iter().any(|&(_, _, records)| {
            record_for(records, f, conf)
                .is_some_and(|(_, r)| r.reqsync == 0 && r.srvsync == 0 && r.impsync == 0)
        });
        if !by_reqconf && !by_record {
            continue;
        }
        out.push(
            f.finding(
                "GLB316",
                format!(
                    "this requestor will receive a full import ({}) and its Limit (Config, Dir-Sync, Requestor, Options) is {} (unit undocumented; glbtool's reconstructed field): an import reply cannot be paced, so if it is larger than the Limit, SRVMAIN -T logs Fatal 118 Transaction limit reached and Fatal 166 Manual Import required for this postoffice",
                    if by_reqconf {
                        "its ReqSync and SrvSync are 0"
                    } else {
                        "its SRVCONF record is all 0, so the server assumes an Import request"
                    },
                    conf.size_limit
                ),
            )
            .fix(Fix::Procedure {
                text: "give the requestor its addresses with a RESYNC.GLB made on the server (glbtool resync --server DIR, or IMPORT -S) and IMPORT -Q, or clear the Limit for the import".into(),
                source: "KB Q119450, Q133719",
            }),
        );
    }
}

/// GLB171, from the numbers alone (KB Q133428, Q119452, Q96060): T1 sends the
/// REQTRANS.GLB records numbered above REQCONF's ReqSync; one numbered equal
/// to it is the last confirmed transaction (REQMAIN's dummy, whatever its
/// text); ones numbered below it are taken as sent and acknowledged and are
/// never sent. The first record whose text is no transaction is taken as the
/// dummy ([`QueueFacts::dummy`]); nothing else depends on a record's text.
fn reqtrans_below_reqsync(v: &View, out: &mut Vec<Finding>) {
    for &(rt, q) in &v.reqtrans {
        let Some((_, conf)) = partner(rt, &v.reqconf) else {
            continue;
        };
        let r = conf.reqsync;
        let path = shell_quote(&rt.path);
        let dummy = q.dummy.as_ref();
        // The first record taken for the dummy but numbered above ReqSync is
        // sent at T1 as a transaction: what Import says of it counts.
        if let Some(d) = dummy.filter(|d| d.sync > r) {
            out.extend(d.held.iter().cloned());
        }
        if q.records == 0 {
            if r > 0 {
                out.push(
                    rt.finding(
                        "GLB171",
                        format!(
                            "REQTRANS.GLB is empty while REQCONF ReqSync is {r}: it was re-created, and the changes made now will be numbered from 1 (KB Q119014) and ignored by T1 until their numbers pass {r} (KB Q119452)"
                        ),
                    )
                    .severity(Severity::Warning)
                    .fix(Fix::Procedure {
                        text: "apply a RESYNC.GLB from the server with IMPORT -Q before any change is made (it writes the last confirmed number into REQTRANS.GLB), or reset the requestor as KB Q119014 describes".into(),
                        source: "KB Q119014, Q119452",
                    }),
                );
            }
            continue;
        }
        let dummy_index = dummy.map(|_| 0u64);
        let below: Vec<&(u64, u64, u32)> = q
            .syncs
            .iter()
            .filter(|(i, _, s)| *s < r && Some(*i) != dummy_index)
            .collect();
        let counted = if (q.syncs.len() as u64) < q.records {
            "at least "
        } else {
            ""
        };
        let highest = q.max_sync.unwrap_or(0);
        let dummy_behind = dummy.filter(|d| d.sync < r);
        let below_text = below.first().map(|&&(_, _, first)| {
            format!(
                "{counted}{} transaction(s), the first numbered {first}, lie below ReqSync {r}: T1 takes them as sent and acknowledged (KB Q133428) and never sends them",
                below.len()
            )
        });
        // KB Q119452: "the ReqSync number in REQCONF.GLB may be higher than the
        // transaction number in REQTRANS.GLB": nothing is sent, and the next
        // changes are numbered below ReqSync too.
        if highest < r {
            let mut parts = vec![format!(
                "the highest number in REQTRANS.GLB is {highest}, below REQCONF ReqSync {r}, so T1 sends nothing and the changes made next will be numbered {}.. and ignored until their numbers pass {r}",
                u64::from(highest) + 1
            )];
            parts.extend(below_text);
            if let Some(d) = dummy_behind {
                parts.push(format!(
                    "the first record is taken as REQMAIN's dummy, which should keep the last confirmed ReqSync (KB Q96060, Q133428), and holds {}",
                    d.sync
                ));
            }
            let (offset, record, sync) = below
                .first()
                .map(|&&(i, o, s)| (o, i, s))
                .or(dummy_behind.map(|d| (d.offset, 0, d.sync)))
                .unwrap_or((0, 0, 0));
            out.push(
                rt.finding("GLB171", parts.join("; "))
                    .at(offset + 4, Some(record))
                    .sync(sync)
                    .predicts(Predicted {
                        program: "REQMAIN -T (DSSERVER.LOG)",
                        number: Some(171),
                        text: "No requestor updates to send".into(),
                    })
                    .fix(
                        Fix::command(format!(
                            "glbtool patch-seq {path} --renumber-from {}",
                            r.saturating_add(1)
                        ))
                        .on_ms_mail_checksums(q.checksums.foreign()),
                    ),
            );
        } else if let Some(&&(record, offset, sync)) = below.first() {
            out.push(
                rt.finding(
                    "GLB171",
                    format!(
                        "{}; the highest, {highest}, is at or above it. If they are changes made after REQTRANS.GLB was re-created, not transactions the server already confirmed, they are lost",
                        below_text.unwrap_or_default()
                    ),
                )
                .severity(Severity::Warning)
                .at(offset + 4, Some(record))
                .sync(sync)
                .fix(Fix::Procedure {
                    text: format!("if the server already confirmed them, nothing; if they are changes not yet sent, number them above ReqSync (glbtool patch-seq {path} --renumber-from {}), re-enter them in ADMIN, or send the whole list again with Config, Dir-Sync, Requestor, Export", r.saturating_add(1)),
                    source: "KB Q119452, Q133428",
                }),
            );
        }
    }
}

/// Compares one RESYNC header number with what the KB Q119449 rule gives.
fn against_rule(
    name: &str,
    have: u32,
    want: u32,
    what: &str,
    below: &mut Vec<String>,
    above: &mut Vec<String>,
) {
    if have < want {
        below.push(format!("{name} {have} is below {what} ({want})"));
    } else if have > want {
        above.push(format!("{name} {have} is above {what} ({want})"));
    }
}

fn resync_header(v: &View, out: &mut Vec<Finding>) {
    for &(rs, q) in &v.resync {
        let Some(h) = q.resync_header else { continue };
        // Numbers below the rule predict Error 14 (KB Q215505); numbers above
        // it break the rule too, but no article says what Import does then.
        let mut below = Vec::new();
        let mut above = Vec::new();
        let mut unchecked = None;
        let mut fix_from = None;
        if let Some((sc, _header, records)) = v.srvconf.first().copied() {
            let server = server_record(sc, records, &v.reqconf);
            let want = resync::header_for(records, &server);
            let who = records
                .iter()
                .find(|r| r.reqsync == want.reqseq)
                .map(|r| format!(", {}", r.name.decode(sc.codepage)))
                .unwrap_or_default();
            against_rule(
                "REQSEQ",
                h.reqseq,
                want.reqseq,
                &format!("the largest ReqSync in SRVCONF.GLB{who}"),
                &mut below,
                &mut above,
            );
            against_rule(
                "IMPSEQ",
                h.impseq,
                want.impseq,
                "the largest import count in SRVCONF.GLB",
                &mut below,
                &mut above,
            );
            match &server {
                ServerRecord::Named { index, by } => against_rule(
                    "SRVSEQ",
                    h.srvseq,
                    want.srvseq,
                    &format!(
                        "the server postoffice's SrvSync (record #{} {}, {by})",
                        index + 1,
                        records[*index].name.decode(sc.codepage)
                    ),
                    &mut below,
                    &mut above,
                ),
                ServerRecord::Unknown { reason } => {
                    unchecked = Some(format!(
                        "SRVSEQ {} is not checked: which SRVCONF.GLB record is the server postoffice's is not known ({reason})",
                        h.srvseq
                    ));
                }
            }
            fix_from = Some((sc, want, server));
        }
        // The requestor that will import it: a REQCONF in the same directory
        // (the administrator copied RESYNC.GLB there), or one given alone.
        let target_at = v.reqconf.iter().position(|(f, _)| same_dir(f, rs)).or(
            if v.srvconf.is_empty() && v.reqconf.len() == 1 {
                Some(0)
            } else {
                None
            },
        );
        let target = target_at.map(|i| &v.reqconf[i]);
        // No SRVCONF.GLB (Exchange as the server has none, KB Q215505): the
        // rule over the requestors' REQCONF.GLB files given, the target's
        // own numbers included.
        let mut from_reqconfs = None;
        if v.srvconf.is_empty() && !v.reqconf.is_empty() {
            let mut peers: Vec<&(&FileRef, &ReqConf)> = target.into_iter().collect();
            peers.extend(
                v.reqconf
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| Some(*i) != target_at)
                    .map(|(_, p)| p),
            );
            let want = resync::header_from_reqconfs(peers.iter().map(|(_, c)| *c));
            let who = |n: fn(&ReqConf) -> u32, value: u32| {
                peers
                    .iter()
                    .find(|(_, c)| n(c) == value)
                    .map(|(f, _)| format!(", {}", f.path))
                    .unwrap_or_default()
            };
            let what = if peers.len() == 1 {
                "the requestor's own REQCONF.GLB"
            } else {
                "the requestors' REQCONF.GLB files read"
            };
            let mut ignored = Vec::new();
            against_rule(
                "REQSEQ",
                h.reqseq,
                want.reqseq,
                &format!(
                    "the largest ReqSync of {what}{}",
                    who(|c| c.reqsync, want.reqseq)
                ),
                &mut below,
                &mut ignored,
            );
            against_rule(
                "IMPSEQ",
                h.impseq,
                want.impseq,
                &format!("the largest import count of {what}"),
                &mut below,
                &mut ignored,
            );
            against_rule(
                "SRVSEQ",
                h.srvseq,
                want.srvseq,
                &format!(
                    "the largest SrvSync of {what}{}",
                    who(|c| c.srvsync, want.srvseq)
                ),
                &mut below,
                &mut ignored,
            );
            from_reqconfs = Some(
                peers
                    .iter()
                    .map(|(f, _)| shell_quote(&f.path))
                    .collect::<Vec<_>>(),
            );
        } else if let Some((_, conf)) = target {
            if h.reqseq < conf.reqsync {
                below.push(format!(
                    "REQSEQ {} is below the requestor's own REQCONF ReqSync ({})",
                    h.reqseq, conf.reqsync
                ));
            }
            if h.impseq < conf.impsync {
                below.push(format!(
                    "IMPSEQ {} is below the requestor's own import count ({})",
                    h.impseq, conf.impsync
                ));
            }
        }
        let fix = match &fix_from {
            Some((sc, _, ServerRecord::Named { .. })) => Fix::command(format!(
                "glbtool patch-seq {} --from-srvconf {}",
                shell_quote(&rs.path),
                shell_quote(&sc.path)
            )),
            // The server's record is unknown: set the numbers the rule gives
            // without it, and leave SRVSEQ to the administrator.
            Some((_, want, ServerRecord::Unknown { .. })) => Fix::command(format!(
                "glbtool patch-seq {} --impseq {} --reqseq {}",
                shell_quote(&rs.path),
                want.impseq,
                want.reqseq
            )),
            None => match &from_reqconfs {
                Some(paths) => Fix::command(format!(
                    "glbtool patch-seq {} --from-reqconf {}",
                    shell_quote(&rs.path),
                    paths.join(" ")
                )),
                None => Fix::Procedure {
                    text: "make RESYNC.GLB again on the Dir-Sync server with the highest numbers of all requestors (Exchange: Dxa.exe 5.5.2524+ and GlobalMaxSeqInResync=1), or patch it with glbtool patch-seq --from-srvconf SRVCONF.GLB".into(),
                    source: "KB Q215505",
                },
            },
        }
        // A file MS Mail wrote: the repair needs --force, and says what it risks.
        .on_ms_mail_checksums(q.checksums.foreign());
        if from_reqconfs.is_some() && !below.is_empty() {
            below.push("without SRVCONF.GLB (Exchange as the Dir-Sync server keeps none) the numbers are checked against the requestors' REQCONF.GLB files read only: a requestor not given may hold higher ones, which Exchange's DXA takes with GlobalMaxSeqInResync=1 (KB Q215505); give every requestor's REQCONF.GLB to --from-reqconf".into());
        }
        if !below.is_empty() {
            out.push(
                rs.finding(
                    "GLB014",
                    format!(
                        "{}; KB Q119449 makes REQSEQ the largest ReqSync of every requestor and SRVSEQ the server postoffice's SrvSync, so that one file suits every requestor; Exchange's DXA before the GlobalMaxSeqInResync fix took the highest numbers only from the requestors being resynchronised (those named in ResyncConnectionRDNs), and importing such a file fails",
                        below.join("; ")
                    ),
                )
                .at(0, Some(0))
                .predicts(Predicted { program: "IMPORT -Q", number: Some(14), text: "Fatal error 14: \"Error processing Resync.glb\"".into() })
                .fix(fix.clone()),
            );
        }
        if !above.is_empty() {
            out.push(
                rs.finding(
                    "GLB310",
                    format!(
                        "{}: higher than the KB Q119449 rule gives; no article says what Import does with a higher number, so glbtool predicts no error, but the requestor's numbers will be set above the server's",
                        above.join("; ")
                    ),
                )
                .at(0, Some(0))
                .fix(fix),
            );
        }
        if let Some(text) = unchecked {
            out.push(rs.finding("GLB313", text).at(0, Some(0)).fix(Fix::Procedure {
                text: "give the server's REQCONF.GLB (the one beside SRVCONF.GLB) with --against, which names the server postoffice".into(),
                source: "KB Q119449",
            }));
        }
    }
}

/// The SrvSync values the requestors hold: every SRVCONF record, and every
/// requestor REQCONF (with the file that holds it).
fn srvsyncs<'a>(v: &View<'a>) -> Vec<(&'a FileRef, String, u32, Option<u64>)> {
    let mut out = Vec::new();
    for &(sc, _, records) in &v.srvconf {
        for (i, r) in records.iter().enumerate() {
            out.push((
                sc,
                format!("SRVCONF record #{} {}", i + 1, r.name.decode(sc.codepage)),
                r.srvsync,
                Some(i as u64),
            ));
        }
    }
    for &(f, c) in &v.reqconf {
        if v.srvconf.iter().any(|(sc, _, _)| same_dir(sc, f)) {
            continue; // the server's own REQCONF mirrors its SRVCONF record
        }
        out.push((
            f,
            format!(
                "requestor {}",
                postoffice_dir(&f.path).unwrap_or_else(|| f.path.clone())
            ),
            c.srvsync,
            None,
        ));
    }
    out
}

/// What KB Q108067 prescribes for a requestor that was away longer than
/// Keep Updates (GLB139): its complete list to the server, then the
/// server's complete lists.
pub const PURGED_GAP_REMEDY: &str = "on that requestor, send its complete address list to the server (ADMIN: Config, Dir-Sync, Requestor, Export) and request the server's full list (Config, Dir-Sync, Requestor, Import), so that it resynchronises and its list reaches every other requestor; raise Keep Updates (Config, Dir-Sync, Server, Options) if requestors are often away this long";

fn mst_range(v: &View, out: &mut Vec<Finding>) {
    let Some(&(mst, q)) = v.msttrans.first() else {
        return;
    };
    let highest = v.srvconf.first().map(|(_, h, _)| h.highest_srvsync);
    let top = match (q.max_sync, highest) {
        (Some(m), Some(h)) => m.max(h),
        (Some(m), None) => m,
        (None, Some(h)) => h,
        (None, None) => 0,
    };
    for (file, who, srvsync, record) in srvsyncs(v) {
        if srvsync > top {
            let mut f = file
                .finding(
                    "GLB138",
                    format!(
                        "{who} has SrvSync {srvsync}, above the highest transaction the server has ({top}, {}): the server was restored from an older backup, and transactions {}..{srvsync} no longer exist",
                        mst.path,
                        top + 1
                    ),
                )
                .predicts(Predicted { program: "SRVMAIN -T", number: Some(138), text: format!("Error [138] Server sync does not exist anymore; Error [139] Number of missing transactions = {}", srvsync - top) })
                .fix(Fix::Procedure {
                    text: "every requestor does Config, Dir-Sync, Requestor, Export; after one cycle make RESYNC.GLB on the server (IMPORT -S, or glbtool resync) and apply it on every requestor with IMPORT -Q".into(),
                    source: "KB Q96060 Problem 9, Q113453",
                });
            if let Some(r) = record {
                f = f.at(1024 + r * 1024, Some(r));
            }
            out.push(f);
        } else if let Some(min) = q.min_sync {
            if srvsync > 0 && srvsync.saturating_add(1) < min {
                let mut f = file
                    .finding(
                        "GLB139",
                        format!(
                            "{who} has SrvSync {srvsync}, but MSTTRANS.GLB's oldest remaining transaction is {min}: transactions {}..{} were purged (Keep Updates) before this requestor received them and will never reach it",
                            srvsync + 1,
                            min - 1
                        ),
                    )
                    .predicts(Predicted { program: "SRVMAIN -T", number: Some(139), text: format!("Error [138] Server sync does not exist anymore; Error [139] Number of missing transactions = {}", min - 1 - srvsync) })
                    .fix(Fix::Procedure {
                        text: PURGED_GAP_REMEDY.into(),
                        source: "KB Q108067, Q96060",
                    });
                if let Some(r) = record {
                    f = f.at(1024 + r * 1024, Some(r));
                }
                out.push(f);
            }
        }
    }
}

fn behind_server(v: &View, out: &mut Vec<Finding>) {
    for (f, conf, i, r) in v.requestor_records() {
        let mut behind = Vec::new();
        if conf.srvsync < r.srvsync {
            behind.push(format!(
                "SrvSync {} < {} in the server's record",
                conf.srvsync, r.srvsync
            ));
        }
        if conf.reqsync < r.reqsync {
            behind.push(format!(
                "ReqSync {} < {} in the server's record",
                conf.reqsync, r.reqsync
            ));
        }
        if behind.is_empty() {
            continue;
        }
        out.push(
            f.finding(
                "GLB341",
                format!(
                    "{}'s REQCONF is behind SRVCONF record #{} ({}): the server's last reply was not applied (lost, or several T2 runs between this requestor's T1 and T3); the next cycle resends from the requestor's SrvSync",
                    r.net_po(f.codepage),
                    i + 1,
                    behind.join(", ")
                ),
            )
            .fix(Fix::Procedure {
                text: "let the next Dir-Sync cycle run (T1, T2, T3 in order); if the gap remains, make RESYNC.GLB for this requestor".into(),
                source: "KB Q142841, Q96060",
            }),
        );
    }
}

fn reqsync_above_srvsync(v: &View, out: &mut Vec<Finding>) {
    for &(f, c) in &v.reqconf {
        if c.srvsync > 0 && c.reqsync > c.srvsync {
            out.push(
                f.finding(
                    "GLB320",
                    format!(
                        "ReqSync {} is greater than SrvSync {}: a requestor normally receives more updates than it sends; a heuristic only (the documentation's own sample breaks it)",
                        c.reqsync, c.srvsync
                    ),
                )
                .severity(Severity::Warning),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use glb_formats::fields::Text;
    use glb_formats::kind::FileKind;
    use glb_formats::queue::ResyncHeader;

    use super::*;

    fn fref(path: &str, kind: FileKind) -> FileRef {
        FileRef::new(path, kind, glb_formats::codepage::CodePage::Cp850)
    }

    fn conf(local: &str, reqsync: u32, srvsync: u32, impsync: u32) -> ReqConf {
        let (n, p) = local.split_once('/').unwrap();
        ReqConf {
            reqsync,
            srvsync,
            impsync,
            local_network: Text::from_bytes(n.as_bytes()).unwrap(),
            local_postoffice: Text::from_bytes(p.as_bytes()).unwrap(),
            ..ReqConf::default()
        }
    }

    fn rec(name: &str, reqsync: u32, srvsync: u32, impsync: u32) -> RequestorRecord {
        crate::testdir::requestor(name, reqsync, srvsync, impsync)
    }

    fn codes(files: &[(FileRef, Facts)]) -> Vec<&'static str> {
        let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
        let mut out = Vec::new();
        check(&checked, &mut out);
        out.iter().map(|f| f.code).collect()
    }

    fn server_files(records: Vec<RequestorRecord>, mst: (u32, u32)) -> Vec<(FileRef, Facts)> {
        vec![
            (
                fref("srv/SRVCONF.GLB", FileKind::Srvconf),
                Facts::SrvConf {
                    header: Box::new(SrvConfHeader {
                        highest_srvsync: mst.1,
                        ..Default::default()
                    }),
                    records,
                },
            ),
            (
                fref("srv/REQCONF.GLB", FileKind::Reqconf),
                Facts::ReqConf(Box::new(conf("POLY/MONT", 17, 80, 1))),
            ),
            (
                fref("srv/MSTTRANS.GLB", FileKind::Msttrans),
                Facts::Queue(QueueFacts {
                    min_sync: Some(mst.0),
                    max_sync: Some(mst.1),
                    records: 1,
                    complete: true,
                    ..Default::default()
                }),
            ),
        ]
    }

    /// A REQTRANS.GLB's facts: records numbered `syncs` (49 bytes each), the
    /// first taken as REQMAIN's dummy when `dummy`.
    fn reqtrans(syncs: &[u32], dummy: bool) -> QueueFacts {
        QueueFacts {
            records: syncs.len() as u64,
            min_sync: syncs.iter().copied().min(),
            max_sync: syncs.iter().copied().max(),
            syncs: syncs
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u64, 49 * i as u64, *s))
                .collect(),
            dummy: (dummy && !syncs.is_empty()).then(|| super::super::queue::Dummy {
                sync: syncs[0],
                offset: 0,
                comment: false,
                held: vec![fref("po/REQTRANS.GLB", FileKind::Reqtrans).finding("GLB013", "held")],
            }),
            complete: true,
            ..Default::default()
        }
    }

    /// The findings (code, severity) for a REQTRANS.GLB beside a REQCONF.GLB
    /// whose ReqSync is `reqsync`.
    fn reqtrans_verdict(q: QueueFacts, reqsync: u32) -> Vec<(&'static str, Severity)> {
        let files = [
            (fref("po/REQTRANS.GLB", FileKind::Reqtrans), Facts::Queue(q)),
            (
                fref("po/REQCONF.GLB", FileKind::Reqconf),
                Facts::ReqConf(Box::new(conf("N/P", reqsync, 40, 1))),
            ),
        ];
        let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
        let mut out = Vec::new();
        check(&checked, &mut out);
        out.iter().map(|f| (f.code, f.severity)).collect()
    }

    #[test]
    fn reqtrans_numbers_are_judged_against_reqsync_whatever_the_text() {
        use Severity::{Error, Warning};
        let e171 = vec![("GLB171", Error)];
        // KB Q133428: above ReqSync is sent; equal is the last confirmed
        // transaction (the 49-byte dummy); below is taken as acknowledged.
        // Healthy: the dummy at ReqSync, alone or followed by new changes,
        // whatever the dummy's text.
        for dummy in [true, false] {
            assert!(reqtrans_verdict(reqtrans(&[17], dummy), 17).is_empty());
            assert!(reqtrans_verdict(reqtrans(&[17, 18, 19], dummy), 17).is_empty());
        }
        // REQTRANS re-created, changes numbered 1 and 2, ReqSync 12 (KB
        // Q119452): nothing above ReqSync, so T1 sends nothing.
        assert_eq!(reqtrans_verdict(reqtrans(&[1, 2], false), 12), e171);
        // A dummy behind ReqSync (REQTRANS restored from an older backup):
        // the next changes will be numbered below it.
        assert_eq!(reqtrans_verdict(reqtrans(&[12], true), 17), e171);
        assert_eq!(reqtrans_verdict(reqtrans(&[12, 13, 14], true), 17), e171);
        // The highest at ReqSync, transactions below it: taken as sent and
        // acknowledged (not trimmed?), or lost: a warning, no prediction.
        let warn = vec![("GLB171", Warning)];
        assert_eq!(reqtrans_verdict(reqtrans(&[15, 16, 17], true), 17), warn);
        assert_eq!(reqtrans_verdict(reqtrans(&[15, 16, 17], false), 17), warn);
        // Some below, some above: the ones above are sent, the ones below
        // may be lost: a warning too.
        assert_eq!(
            reqtrans_verdict(reqtrans(&[5, 6, 18], false), 17),
            vec![("GLB171", Warning)]
        );
        // The dummy below and changes above: the usual state after changes.
        assert!(reqtrans_verdict(reqtrans(&[12, 18], true), 17).is_empty());
        // An empty REQTRANS while ReqSync is above 0: a warning (KB Q119014).
        assert_eq!(
            reqtrans_verdict(reqtrans(&[], false), 17),
            vec![("GLB171", Warning)]
        );
        assert!(reqtrans_verdict(reqtrans(&[], false), 0).is_empty());
        // The record taken for the dummy but numbered above ReqSync is sent:
        // what Import says of its text is given.
        assert_eq!(
            reqtrans_verdict(reqtrans(&[18], true), 17),
            vec![("GLB013", Error)]
        );
        // The fix renumbers from ReqSync + 1.
        let files = [
            (
                fref("po/REQTRANS.GLB", FileKind::Reqtrans),
                Facts::Queue(reqtrans(&[1, 2], false)),
            ),
            (
                fref("po/REQCONF.GLB", FileKind::Reqconf),
                Facts::ReqConf(Box::new(conf("N/P", 12, 40, 1))),
            ),
        ];
        let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
        let mut out = Vec::new();
        check(&checked, &mut out);
        assert_eq!(
            out[0].fix,
            Fix::Command {
                command: "glbtool patch-seq po/REQTRANS.GLB --renumber-from 13".into(),
                risk: None
            }
        );
        assert_eq!((out[0].record, out[0].offset), (Some(0), Some(4)));
    }

    #[test]
    fn resync_below_the_largest_reqsync_is_error_14() {
        let records = vec![
            rec("PCM:POLY/MONT", 17, 80, 1),
            rec("PCM:POLY/TAYLOR", 30, 80, 2),
        ];
        let bad = ResyncHeader {
            impseq: 1,
            reqseq: 17,
            srvseq: 80,
        };
        let mut files = server_files(records.clone(), (1, 80));
        files.push((
            fref("req/RESYNC.GLB", FileKind::Resync),
            Facts::Queue(QueueFacts {
                resync_header: Some(bad),
                ..Default::default()
            }),
        ));
        assert_eq!(codes(&files), vec!["GLB014"]);
        let good = ResyncHeader {
            impseq: 2,
            reqseq: 30,
            srvseq: 80,
        };
        let mut files = server_files(records, (1, 80));
        files.push((
            fref("req/RESYNC.GLB", FileKind::Resync),
            Facts::Queue(QueueFacts {
                resync_header: Some(good),
                ..Default::default()
            }),
        ));
        assert!(codes(&files).is_empty());
    }

    fn resync_file(h: ResyncHeader) -> (FileRef, Facts) {
        (
            fref("req/RESYNC.GLB", FileKind::Resync),
            Facts::Queue(QueueFacts {
                resync_header: Some(h),
                ..Default::default()
            }),
        )
    }

    fn header(impseq: u32, reqseq: u32, srvseq: u32) -> ResyncHeader {
        ResyncHeader {
            impseq,
            reqseq,
            srvseq,
        }
    }

    #[test]
    fn the_server_record_is_the_one_its_reqconf_names_wherever_it_is() {
        // The server MONT is registered last; record #1 is TAYLOR, whose
        // SrvSync (30) is lower than the server's (36). The server's REQCONF
        // (srv/, POLY/MONT registered with POLY/MONT) names MONT.
        let records = vec![
            rec("PCM:POLY/TAYLOR", 12, 30, 1),
            rec("PCM:POLY/LAGRANGE", 11, 30, 1),
            rec("PCM:POLY/MONT", 12, 36, 1),
        ];
        let mut conf_mont = conf("POLY/MONT", 12, 36, 1);
        conf_mont.server_network = Text::from_bytes(b"POLY").unwrap();
        conf_mont.server_postoffice = Text::from_bytes(b"MONT").unwrap();
        let server = |h| {
            let mut files = server_files(records.clone(), (1, 36));
            files[1].1 = Facts::ReqConf(Box::new(conf_mont.clone()));
            files.push(resync_file(h));
            codes(&files)
        };
        // By KB Q119449: REQSEQ 12 (largest), SRVSEQ 36 (MONT's record): clean.
        assert!(server(header(1, 12, 36)).is_empty());
        // Record #1's SrvSync is not the server's: below the rule, Error 14.
        assert_eq!(server(header(1, 12, 30)), vec!["GLB014"]);
        // Above the rule: a warning, no Error 14 predicted.
        assert_eq!(server(header(1, 13, 36)), vec!["GLB310"]);
        assert_eq!(server(header(2, 12, 36)), vec!["GLB310"]);
        assert_eq!(server(header(1, 12, 40)), vec!["GLB310"]);
        // Both at once.
        assert_eq!(server(header(1, 11, 40)), vec!["GLB014", "GLB310"]);
        // SRVCONF.GLB without any REQCONF.GLB: SRVSEQ is not checked, and the
        // output says so; REQSEQ and IMPSEQ still are.
        let alone = |h| {
            let mut files = server_files(records.clone(), (1, 36));
            files.remove(1);
            files.push(resync_file(h));
            let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
            let mut out = Vec::new();
            check(&checked, &mut out);
            out
        };
        let out = alone(header(1, 12, 30));
        let c: Vec<&str> = out.iter().map(|f| f.code).collect();
        assert_eq!(c, vec!["GLB313"]);
        let c: Vec<&str> = alone(header(1, 12, 36)).iter().map(|f| f.code).collect();
        assert_eq!(c, vec!["GLB313"]);
        assert!(out[0].cause.contains("not checked"), "{}", out[0].cause);
        let out = alone(header(1, 11, 30));
        let c: Vec<&str> = out.iter().map(|f| f.code).collect();
        assert_eq!(c, vec!["GLB014", "GLB313"]);
        // Its fix sets what the rule gives without the server's record.
        assert_eq!(
            out[0].fix,
            Fix::Command {
                command: "glbtool patch-seq req/RESYNC.GLB --impseq 1 --reqseq 12".into(),
                risk: None
            }
        );
    }

    #[test]
    fn without_srvconf_the_rule_runs_over_the_requestors_reqconf_files() {
        // Exchange as the server: no SRVCONF.GLB. TAYLOR (the target, beside
        // RESYNC.GLB) 12/37/1, LAGRANGE 13/37/1: REQSEQ must be at least 13.
        let files = |h| {
            vec![
                resync_file(h),
                (
                    fref("req/REQCONF.GLB", FileKind::Reqconf),
                    Facts::ReqConf(Box::new(conf("POLY/TAYLOR", 12, 37, 1))),
                ),
                (
                    fref("lag/REQCONF.GLB", FileKind::Reqconf),
                    Facts::ReqConf(Box::new(conf("POLY/LAGRANGE", 13, 37, 1))),
                ),
            ]
        };
        let out = |h| {
            let f = files(h);
            let checked: Vec<Checked> = f.iter().map(|(f, x)| (f, x)).collect();
            let mut out = Vec::new();
            check(&checked, &mut out);
            out
        };
        let bad = out(header(1, 12, 37));
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].code, "GLB014");
        assert!(bad[0].cause.contains("may hold higher"), "{}", bad[0].cause);
        assert_eq!(
            bad[0].fix,
            Fix::command(
                "glbtool patch-seq req/RESYNC.GLB --from-reqconf req/REQCONF.GLB lag/REQCONF.GLB"
            )
        );
        assert_eq!(out(header(1, 13, 36))[0].code, "GLB014");
        // At the rule: clean; above it: no verdict (others may be higher).
        assert!(out(header(1, 13, 37)).is_empty());
        assert!(out(header(2, 20, 40)).is_empty());
    }

    #[test]
    fn t2_on_a_requestor_is_161_and_on_the_server_nothing() {
        let process = |dir: &str, t2: &[(u64, u64)]| {
            (
                fref(&format!("{dir}/PROCESS.GLB"), FileKind::Process),
                Facts::Process(ProcessFacts {
                    server_runs: t2.to_vec(),
                }),
            )
        };
        let reqconf = |dir: &str| {
            (
                fref(&format!("{dir}/REQCONF.GLB"), FileKind::Reqconf),
                Facts::ReqConf(Box::new(conf("POLY/TAYLOR", 12, 35, 1))),
            )
        };
        let codes_of = |files: Vec<(FileRef, Facts)>| {
            let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
            let mut out = Vec::new();
            check(&checked, &mut out);
            out.iter().map(|f| (f.code, f.record)).collect::<Vec<_>>()
        };
        // KB Q136487: a requestor (REQCONF.GLB, no SRVCONF.GLB) with T2 scheduled.
        assert_eq!(
            codes_of(vec![
                process("taylor", &[(7, 1891), (8, 2088)]),
                reqconf("taylor")
            ]),
            vec![("GLB161", Some(7))]
        );
        // Without T2, or on the server (SRVCONF.GLB beside it): nothing.
        assert!(codes_of(vec![process("taylor", &[]), reqconf("taylor")]).is_empty());
        let mut server = server_files(vec![rec("PCM:POLY/MONT", 17, 80, 1)], (1, 80));
        server.push(process("srv", &[(7, 1891)]));
        assert!(codes_of(server).is_empty());
        // Without REQCONF.GLB beside it, not known to be a requestor's: nothing.
        assert!(codes_of(vec![process("taylor", &[(7, 1891)])]).is_empty());
    }

    /// The server's files (MONT and `record` in SRVCONF, MSTTRANS 1..80) and
    /// TAYLOR's REQCONF.GLB holding `taylor`.
    fn server_and_taylor(record: RequestorRecord, taylor: ReqConf) -> Vec<(FileRef, Facts)> {
        let mut f = server_files(vec![rec("PCM:POLY/MONT", 17, 80, 1), record], (1, 80));
        f.push((
            fref("taylor/REQCONF.GLB", FileKind::Reqconf),
            Facts::ReqConf(Box::new(taylor)),
        ));
        f
    }

    #[test]
    fn a_requestor_deleted_and_registered_again_is_315() {
        // KB Q99961: TAYLOR's record zeroed on the server (deleted and added
        // back) while its REQCONF holds import count 1 from earlier cycles.
        let files = server_and_taylor;
        assert_eq!(
            codes(&files(
                rec("PCM:POLY/TAYLOR", 0, 0, 0),
                conf("POLY/TAYLOR", 12, 35, 1)
            )),
            vec!["GLB315"]
        );
        // Equal import counts, or the requestor's lower: nothing.
        assert!(codes(&files(
            rec("PCM:POLY/TAYLOR", 12, 80, 1),
            conf("POLY/TAYLOR", 12, 80, 1)
        ))
        .is_empty());
        assert!(codes(&files(
            rec("PCM:POLY/TAYLOR", 12, 80, 2),
            conf("POLY/TAYLOR", 12, 80, 1)
        ))
        .is_empty());
    }

    #[test]
    fn a_resync_waiting_over_changes_not_sent_is_317() {
        // KB Q119452: IMPORT -Q sets ReqSync to the header's REQSEQ, and
        // REQTRANS.GLB's transactions numbered lower are then ignored. TAYLOR:
        // ReqSync 12, its dummy at 12, changes 13 and 14 not yet sent.
        let taylor = |syncs: &[u32], header: Option<ResyncHeader>| {
            let files = [
                (
                    fref("TAYLOR/GLB/REQCONF.GLB", FileKind::Reqconf),
                    Facts::ReqConf(Box::new(conf("POLY/TAYLOR", 12, 35, 1))),
                ),
                (
                    fref("TAYLOR/GLB/REQTRANS.GLB", FileKind::Reqtrans),
                    Facts::Queue(reqtrans(syncs, true)),
                ),
                (
                    fref("TAYLOR/GLB/RESYNC.GLB", FileKind::Resync),
                    Facts::Queue(QueueFacts {
                        resync_header: header,
                        ..Default::default()
                    }),
                ),
            ];
            let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
            let mut out = Vec::new();
            check(&checked, &mut out);
            out.retain(|f| f.code == "GLB317");
            out
        };
        // The header's REQSEQ 20 (glbtool's form): both changes lie below it.
        let f = taylor(&[12, 13, 14], Some(header(1, 20, 40)));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].predicts.is_none());
        assert!(
            f[0].cause.contains("2 change(s) numbered 13 to 14"),
            "{}",
            f[0].cause
        );
        assert!(
            f[0].cause.contains("so 2 of them are numbered below it"),
            "{}",
            f[0].cause
        );
        // A header in another form: its REQSEQ is not guessed.
        let f = taylor(&[12, 13, 14], None);
        assert_eq!(f.len(), 1);
        assert!(f[0].cause.contains("cannot be read"), "{}", f[0].cause);
        // Only the dummy (the usual state after a healthy cycle): nothing.
        assert!(taylor(&[12], Some(header(1, 20, 40))).is_empty());
        // On the server (SRVCONF.GLB beside it) GLB332 speaks instead.
        let mut files = server_files(vec![rec("PCM:POLY/MONT", 17, 80, 1)], (1, 80));
        files.push((
            fref("srv/REQTRANS.GLB", FileKind::Reqtrans),
            Facts::Queue(reqtrans(&[17, 18], true)),
        ));
        files.push((
            fref("srv/RESYNC.GLB", FileKind::Resync),
            Facts::Queue(QueueFacts::default()),
        ));
        assert!(!codes(&files).contains(&"GLB317"));
    }

    #[test]
    fn an_import_with_a_limit_set_is_316() {
        // KB Q119450, Q133719: an import reply cannot be paced.
        let taylor = |reqsync, srvsync, limit| {
            let mut c = conf("POLY/TAYLOR", reqsync, srvsync, 1);
            c.size_limit = limit;
            vec![(
                fref("taylor/REQCONF.GLB", FileKind::Reqconf),
                Facts::ReqConf(Box::new(c)),
            )]
        };
        assert_eq!(codes(&taylor(0, 0, 100)), vec!["GLB316"]);
        // No limit, or no import: nothing.
        assert!(codes(&taylor(0, 0, 0)).is_empty());
        assert!(codes(&taylor(12, 35, 100)).is_empty());
        // The server assumes an import when the requestor's record is all 0.
        let mut c = conf("POLY/TAYLOR", 12, 35, 0);
        c.size_limit = 100;
        let f = server_and_taylor(rec("PCM:POLY/TAYLOR", 0, 0, 0), c);
        assert_eq!(codes(&f), vec!["GLB316"]);
    }

    #[test]
    fn srvsync_above_mst_is_138_and_below_its_start_is_139() {
        let mut files = server_files(vec![rec("PCM:POLY/MONT", 17, 80, 1)], (1, 80));
        files.push((
            fref("taylor/REQCONF.GLB", FileKind::Reqconf),
            Facts::ReqConf(Box::new(conf("POLY/TAYLOR", 5, 95, 1))),
        ));
        assert_eq!(codes(&files), vec!["GLB138"]);
        let mut files = server_files(vec![rec("PCM:POLY/MONT", 17, 80, 1)], (60, 80));
        files.push((
            fref("taylor/REQCONF.GLB", FileKind::Reqconf),
            Facts::ReqConf(Box::new(conf("POLY/TAYLOR", 5, 40, 1))),
        ));
        assert_eq!(codes(&files), vec!["GLB139"]);
        // KB Q108067's resolution: Export, then Import, on the requestor.
        let checked: Vec<Checked> = files.iter().map(|(f, x)| (f, x)).collect();
        let mut f = Vec::new();
        check(&checked, &mut f);
        let Fix::Procedure { text, source } = &f[0].fix else {
            panic!("{:?}", f[0].fix)
        };
        assert!(
            text.contains("Config, Dir-Sync, Requestor, Export")
                && text.contains("Config, Dir-Sync, Requestor, Import"),
            "{text}"
        );
        assert!(source.starts_with("KB Q108067"));
    }

    #[test]
    fn a_requestor_behind_its_server_record_is_341() {
        let files = server_and_taylor(
            rec("PCM:POLY/TAYLOR", 5, 80, 1),
            conf("POLY/TAYLOR", 5, 70, 1),
        );
        assert_eq!(codes(&files), vec!["GLB341"]);
    }

    /// The file's own checks and the cross-file checks over `files` (the
    /// first given as bytes): errors and predictions.
    fn verdicts(kind: FileKind, bytes: &[u8], others: &[(FileRef, Facts)]) -> Vec<String> {
        let path = match kind {
            FileKind::Resync => "TAYLOR/GLB/RESYNC.GLB",
            _ => "TAYLOR/GLB/REQTRANS.GLB",
        };
        let file = fref(path, kind);
        let mut out = Vec::new();
        let facts = super::super::file::check(&file, bytes, Some(bytes.len() as u64), &mut out);
        let mut checked: Vec<Checked> = vec![(&file, &facts)];
        checked.extend(others.iter().map(|(f, x)| (f, x)));
        check(&checked, &mut out);
        out.iter()
            .filter(|f| f.severity == Severity::Error || f.predicts.is_some())
            .map(|f| format!("{} {}", f.code, f.cause))
            .collect()
    }

    /// TAYLOR's REQCONF.GLB (ReqSync 12) and the server's SRVCONF.GLB,
    /// REQCONF.GLB and MSTTRANS.GLB, TAYLOR's record above a RESYNC header
    /// of low numbers.
    fn taylor_and_server() -> Vec<(FileRef, Facts)> {
        let mut files = server_files(
            vec![
                rec("PCM:POLY/MONT", 17, 80, 1),
                rec("PCM:POLY/TAYLOR", 30, 80, 2),
            ],
            (1, 80),
        );
        files.push((
            fref("TAYLOR/GLB/REQCONF.GLB", FileKind::Reqconf),
            Facts::ReqConf(Box::new(conf("POLY/TAYLOR", 12, 80, 2))),
        ));
        files
    }

    fn queue_bytes(kind: FileKind, records: Vec<glb_formats::queue::QueueRecord>) -> Vec<u8> {
        let mut doc = glb_formats::format::Document::<glb_formats::queue::Queue>::new(kind);
        doc.records = records;
        doc.to_bytes().unwrap()
    }

    /// The harness of the two properties below sees a prediction when there
    /// is one: glbtool's header form with numbers below the rule is GLB014,
    /// a dummy behind ReqSync is GLB171.
    #[test]
    fn the_harness_sees_the_predictions_the_numbers_give() {
        use glb_formats::fields::Stamp;
        use glb_formats::queue::QueueRecord;
        let bytes = queue_bytes(
            FileKind::Resync,
            vec![QueueRecord::resync_header(header(1, 12, 80), Stamp(0))],
        );
        let v = verdicts(FileKind::Resync, &bytes, &taylor_and_server());
        assert!(v.iter().any(|f| f.starts_with("GLB014")), "{v:?}");
        let bytes = queue_bytes(
            FileKind::Reqtrans,
            vec![QueueRecord::new(9, Stamp(0), b"# Last confirmed ReqSync")],
        );
        let v = verdicts(FileKind::Reqtrans, &bytes, &taylor_and_server());
        assert!(v.iter().any(|f| f.starts_with("GLB171")), "{v:?}");
    }

    proptest::proptest! {
        /// Issue 15: a RESYNC.GLB whose first record is any text other than
        /// glbtool's header form predicts no MS Mail failure, with the
        /// server's and the requestor's files beside it.
        #[test]
        fn any_other_resync_header_predicts_nothing(
            text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
            sync in proptest::prelude::any::<u32>(),
        ) {
            proptest::prop_assume!(ResyncHeader::from_text(&text).is_none());
            use glb_formats::queue::QueueRecord;
            use glb_formats::fields::Stamp;
            let bytes = queue_bytes(FileKind::Resync, vec![
                QueueRecord::new(sync, Stamp(0), &text),
                QueueRecord::new(1, Stamp(0), b"R PCM:POLY/MONT"),
                QueueRecord::new(2, Stamp(0), b"A Paul\tPCM:POLY/MONT/paul"),
            ]);
            let v = verdicts(FileKind::Resync, &bytes, &taylor_and_server());
            proptest::prop_assert!(v.is_empty(), "{:?}: {:?}", text, v);
        }

        /// Issue 15: a 49-byte REQTRANS.GLB (the dummy holding the last
        /// confirmed ReqSync, KB Q133428) whose 24 bytes of text are
        /// anything predicts no MS Mail failure.
        #[test]
        fn any_dummy_text_of_a_49_byte_reqtrans_predicts_nothing(
            text in proptest::collection::vec(proptest::prelude::any::<u8>(), 24),
        ) {
            use glb_formats::queue::QueueRecord;
            use glb_formats::fields::Stamp;
            let bytes = queue_bytes(FileKind::Reqtrans, vec![QueueRecord::new(12, Stamp(0), &text)]);
            proptest::prop_assert_eq!(bytes.len(), 49);
            let v = verdicts(FileKind::Reqtrans, &bytes, &taylor_and_server());
            proptest::prop_assert!(v.is_empty(), "{:?}: {:?}", text, v);
        }
    }
}
