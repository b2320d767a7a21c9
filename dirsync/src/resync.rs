//! Making RESYNC.GLB, the full address list a Dir-Sync server gives a
//! requestor to start over (KB Q119449, Q96060): which numbers its header
//! transaction carries, and the file itself.
//!
//! Header (KB Q119449): one RESYNC.GLB must suit every requestor, so REQSEQ
//! is the largest ReqSync over all SRVCONF.GLB requestor records and SRVSEQ
//! the server postoffice's own record's SrvSync; IMPSEQ is the largest import
//! count, which is what Exchange's DXA does with `GlobalMaxSeqInResync=1`
//! (KB Q215505; without it DXA took the numbers of the resynchronized
//! requestors only, and IMPORT -Q failed with `Fatal error 14`).
//!
//! Body: for each address list, an `R TYPE:NET/PO` transaction (replace the
//! whole list; `R TYPE:` for a whole gateway type, KB Q96060, Q112285)
//! followed by an `A alias<tab>address` transaction per entry,
//! with its template lines, numbered 1, 2, ... (the header has 0). The lists
//! come from a [`Directory`]: the server's own address lists
//! ([`add_postoffice_lists`]: every external postoffice's USR file, each
//! list under its own address type) over what replaying MSTTRANS.GLB gives
//! (the server's own users and the gateway lists, which no USR file holds). Which database IMPORT -S reads is not
//! documented; this choice is *reconstructed* (`docs/formats/queue.md`).
//! Replaying the written file gives back the same lists.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use glb_formats::error::{Error, Result};
use glb_formats::fields::Stamp;
use glb_formats::format::{ReadOptions, Reader, Writer};
use glb_formats::kind::FileKind;
use glb_formats::queue::{Queue, QueueRecord, ResyncHeader};
use glb_formats::reqconf::ReqConf;
use glb_formats::srvconf::{self, RequestorRecord};
use glb_formats::usr::Usr;
use serde::Serialize;

use crate::postoffice::{ListName, Postoffice};
use crate::replay::{Directory, Entry};

/// Which SRVCONF.GLB record is the server postoffice's own: the record KB
/// Q119449 takes SRVSEQ from ("the srvsync number corresponding to the server
/// postoffice record"). Nothing documents that it is record #1 (KB Q96060
/// shows one sample; SRVCONF.GLB grows by a record per requestor added,
/// KB Q77926), so glbtool decides it from a REQCONF.GLB or says it cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decided", rename_all = "lowercase")]
pub enum ServerRecord {
    /// The record at `index` (0-based), and how it was found.
    Named {
        /// Its index in the SRVCONF.GLB records.
        index: usize,
        /// How glbtool knows, for the output.
        by: String,
    },
    /// Not decided, and why (for the output).
    Unknown {
        /// Why not.
        reason: String,
    },
}

impl ServerRecord {
    /// The record's index, when decided.
    pub fn index(&self) -> Option<usize> {
        match self {
            ServerRecord::Named { index, .. } => Some(*index),
            ServerRecord::Unknown { .. } => None,
        }
    }
}

/// Decides which of `records` (SRVCONF.GLB's requestor records) is the server
/// postoffice's own ([`ServerRecord`]). The one function every command uses
/// (validate, doctor, patch-seq, resync).
///
/// `confs` are REQCONF.GLB files of the network, the server's own first: each
/// names the Dir-Sync server it is registered with (`server_network` and
/// `server_postoffice`, the registration of KB Q96060, Q134753; on the server
/// itself that is the server, as LISTDS `-r` shows on the KB's sample server),
/// and the first whose server is a record's name decides. The server's REQCONF
/// also records its own name (`local_network`/`local_postoffice`,
/// reconstructed), used only when no registration decides.
pub fn server_record<'a>(
    records: &[RequestorRecord],
    confs: impl IntoIterator<Item = &'a ReqConf>,
    cp: glb_formats::codepage::CodePage,
) -> ServerRecord {
    if records.is_empty() {
        return ServerRecord::Unknown {
            reason: "SRVCONF.GLB has no requestor records".into(),
        };
    }
    let confs: Vec<&ReqConf> = confs.into_iter().collect();
    for conf in &confs {
        let server = conf.server(cp);
        if server == "/" {
            continue;
        }
        if let Some(index) = srvconf::position_of(records, &server, cp) {
            return ServerRecord::Named {
                index,
                by: format!("the Dir-Sync server REQCONF.GLB names, {server}"),
            };
        }
    }
    for conf in &confs {
        if let Some(index) = conf
            .local(cp)
            .and_then(|local| srvconf::position_of(records, &local, cp))
        {
            return ServerRecord::Named {
                index,
                by: "the postoffice name the server's REQCONF.GLB records (reconstructed field)"
                    .into(),
            };
        }
    }
    let reason = match confs.first() {
        None => "no REQCONF.GLB names the Dir-Sync server (give the server's REQCONF.GLB, the one beside SRVCONF.GLB); glbtool does not assume record #1".to_string(),
        Some(c) => format!(
            "the REQCONF.GLB given names the Dir-Sync server {:?}, and no SRVCONF.GLB record carries that name; glbtool does not assume record #1",
            c.server(cp)
        ),
    };
    ServerRecord::Unknown { reason }
}

/// The header numbers that suit every requestor and the server postoffice's
/// name, from SRVCONF.GLB's `records` and the REQCONF.GLB `conf` beside it
/// ([`server_record`], [`header_for`]); or, when the server's own record
/// (whose SrvSync is SRVSEQ, KB Q119449) cannot be told, why not.
pub fn header_from_srvconf(
    records: &[RequestorRecord],
    conf: Option<&ReqConf>,
    cp: glb_formats::codepage::CodePage,
) -> Result<(ResyncHeader, String), String> {
    let server = server_record(records, conf, cp);
    match &server {
        ServerRecord::Named { index, .. } => Ok((
            header_for(records, &server),
            records[*index].name.decode(cp),
        )),
        ServerRecord::Unknown { reason } => Err(reason.clone()),
    }
}

/// The header numbers that suit every requestor (KB Q119449, Q215505), from
/// SRVCONF's requestor records and the server's own record (SRVSEQ is 0 when
/// that is unknown: check [`ServerRecord::index`] before using it).
pub fn header_for(records: &[RequestorRecord], server: &ServerRecord) -> ResyncHeader {
    ResyncHeader {
        impseq: records.iter().map(|r| r.impsync).max().unwrap_or(0),
        reqseq: records.iter().map(|r| r.reqsync).max().unwrap_or(0),
        srvseq: server
            .index()
            .and_then(|i| records.get(i))
            .map_or(0, |r| r.srvsync),
    }
}

/// The header numbers the KB Q119449 rule gives over the requestors whose
/// REQCONF.GLB files are `confs`, when there is no SRVCONF.GLB to read (an
/// Exchange server, KB Q215505, Q150976): REQSEQ the largest ReqSync, IMPSEQ
/// the largest import count, SRVSEQ the largest SrvSync (what Exchange's DXA
/// takes with `GlobalMaxSeqInResync=1`: the highest of every requestor). Only
/// as high as the requestors given: one not given may hold more.
pub fn header_from_reqconfs<'a>(confs: impl IntoIterator<Item = &'a ReqConf>) -> ResyncHeader {
    let mut h = ResyncHeader::default();
    for c in confs {
        h.impseq = h.impseq.max(c.impsync);
        h.reqseq = h.reqseq.max(c.reqsync);
        h.srvseq = h.srvseq.max(c.srvsync);
    }
    h
}

/// The transaction text of one entry: `A alias<tab>address`, then its template lines.
fn add_text(e: &Entry, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"A ");
    out.extend_from_slice(&e.alias);
    out.push(b'\t');
    out.extend_from_slice(&e.address);
    for (prompt, value) in &e.template {
        out.extend_from_slice(b"\r\n- ");
        out.extend_from_slice(prompt);
        out.push(b'/');
        out.extend_from_slice(value);
    }
}

/// Writes a RESYNC.GLB holding `header` and every list of `dir` to `out`;
/// every record gets the date stamp `stamp`. Returns the sink and the number
/// of records written.
pub fn write<W: Write>(
    out: W,
    header: ResyncHeader,
    stamp: Stamp,
    dir: &Directory,
) -> Result<(W, u64)> {
    let mut w = Writer::<Queue, W>::new(out, FileKind::Resync);
    w.record(&QueueRecord::resync_header(header, stamp))?;
    let mut sync: u32 = 0;
    let mut text = Vec::new();
    let mut next = |text: &[u8], w: &mut Writer<Queue, W>| -> Result<()> {
        sync = sync.checked_add(1).ok_or_else(|| Error::Patch {
            at: None,
            message: "more transactions than 32-bit sync numbers can count".into(),
        })?;
        w.record(&QueueRecord::new(sync, stamp, text))
    };
    for (list, entries) in &dir.lists {
        text.clear();
        text.extend_from_slice(b"R ");
        text.extend_from_slice(list);
        next(&text, &mut w)?;
        for e in entries.values() {
            add_text(e, &mut text);
            next(&text, &mut w)?;
        }
    }
    let records = u64::from(sync) + 1;
    Ok((w.finish()?, records))
}

/// Replays a queue file (MSTTRANS.GLB, a RESYNC.GLB) into `dir`, in file
/// order, its text in code page `cp`.
pub fn replay_queue(
    path: &Path,
    kind: FileKind,
    dir: &mut Directory,
    cp: glb_formats::codepage::CodePage,
) -> Result<()> {
    let (src, size) = crate::open::buffered(path)?;
    let mut reader = Reader::<Queue, _>::new(src, kind, Some(size), ReadOptions::default())?;
    let mut last = (0, 0);
    let held = |dir: &Directory, (sync, offset)| {
        dir.check_held(|| replayed(sync, offset), NEEDED_FOR)
            .map_err(|e| Error::in_file(path, e))
    };
    while let Some(r) = reader.next_record()? {
        if r.index % 4096 == 4095 {
            held(dir, (r.record.sync, r.offset))?;
        }
        last = (r.record.sync, r.offset);
        dir.apply_text(r.record.sync, &r.record.text, cp);
    }
    held(dir, last)
}

/// What holding the replayed lists is for, in [`crate::replay::too_much`].
const NEEDED_FOR: &str = "write RESYNC.GLB";

/// Where a replay stopped.
fn replayed(sync: u32, offset: u64) -> String {
    format!("replayed up to sync number {sync} (byte offset {offset})")
}

/// What [`add_postoffice_lists`] took from the USR files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Taken {
    /// Lists taken from USR files.
    pub lists: usize,
    /// USR files left out, and why.
    pub skipped: Vec<String>,
}

/// The key of the list a USR file of `NET/PO` is, with its address type
/// (KB Q119449: a list keeps its address type): the one list of that `NET/PO`
/// the replayed transactions name (`PROFS:PROFSGW/NODE1`), else PCM when the
/// replayed transactions name a PCM list of another postoffice of the same
/// network (an MS Mail network: NETWORK.GLB's type code cannot tell, the code
/// of an ordinary PC Mail network is undocumented and 0x10 is the MSMAIL
/// connection record, KB Q148666); `None` when neither says.
fn typed_key(dir: &Directory, network: &str, postoffice: &str) -> Option<Vec<u8>> {
    let body = format!("{network}/{postoffice}")
        .to_ascii_uppercase()
        .into_bytes();
    let mut named = dir.lists.keys().filter(|k| {
        k.iter().position(|&b| b == b':').is_some_and(|i| {
            glb_formats::import::AddressType::from_name(&k[..i]).is_elemental()
                && k[i + 1..] == body[..]
        })
    });
    match (named.next(), named.next()) {
        (Some(k), None) => return Some(k.clone()),
        (Some(_), Some(_)) => return None,
        _ => {}
    }
    let pcm_network = format!("PCM:{network}/").to_ascii_uppercase().into_bytes();
    let mail = dir
        .lists
        .keys()
        .any(|k| k.to_ascii_uppercase().starts_with(&pcm_network));
    mail.then(|| [&b"PCM:"[..], &body].concat())
}

/// Puts the user list of every external postoffice of `po` (its USR files,
/// named through NETWORK.GLB and XTN, KB Q77926) into `dir`, replacing what
/// `dir` held for it. Each list keeps its address type (`typed_key`): a
/// PROFS node's USR file replaces `PROFS:GW/NODE`, never a new PCM list
/// (KB Q119449, one `R` per list; a requestor would create a bogus PCM
/// postoffice, KB Q96060). A USR file whose type nothing says is left out,
/// and said so. Deleted records are left out. An entry keeps the template
/// lines the replay gave its address; in a gateway node's list, the entries
/// the replay holds that the server's POL names (its own gateway addresses,
/// which its Import skips, so its USR file lacks them) are kept.
pub fn add_postoffice_lists(po: &Postoffice, dir: &mut Directory) -> Result<Taken> {
    let mut taken = Taken::default();
    let own = crate::compare::pol_others(po)?;
    for list in po.address_lists() {
        let ListName::Postoffice {
            network,
            postoffice,
        } = &list.name
        else {
            continue;
        };
        let Some(key) = typed_key(dir, network, postoffice) else {
            taken.skipped.push(format!(
                "{} ({network}/{postoffice}, {} records): left out: its address type is unknown \
                 (no transaction replayed names the list, nor a PCM list of another postoffice \
                 of {network})",
                list.path.display(),
                list.entries
            ));
            continue;
        };
        let ty = String::from_utf8_lossy(&key[..key.iter().position(|&b| b == b':').unwrap_or(0)])
            .into_owned();
        let (src, _) = crate::open::buffered(&list.path)?;
        let mut reader =
            Reader::<Usr, _>::new(src, FileKind::Usr, Some(list.size), ReadOptions::default())?;
        let before = dir.lists.remove(&key).unwrap_or_default();
        let held = dir.held() + before.len();
        let mut entries = BTreeMap::new();
        while let Some(r) = reader.next_record()? {
            if held + entries.len() > crate::replay::MAX_HELD {
                let what = format!(
                    "the lists with this file's up to record {} (byte offset {})",
                    r.index, r.offset
                );
                return Err(Error::in_file(
                    &list.path,
                    crate::replay::too_much(&what, NEEDED_FOR),
                ));
            }
            let u = r.record;
            if u.is_deleted() {
                continue;
            }
            let mut address = format!("{ty}:{network}/{postoffice}/").into_bytes();
            address.extend_from_slice(u.mailbox.bytes());
            let ek = entry_key(&address);
            let template = before
                .get(&ek)
                .map(|e| e.template.clone())
                .unwrap_or_default();
            let entry = Entry {
                alias: u.name.bytes().to_vec(),
                address,
                template,
                sync: 0,
            };
            entries.insert(ek, entry);
        }
        if ty != "PCM" {
            for (k, e) in before {
                let folded: Vec<u8> = e.alias.iter().map(u8::to_ascii_uppercase).collect();
                if !entries.contains_key(&k) && own.binary_search(&folded).is_ok() {
                    entries.insert(k, e);
                }
            }
        }
        dir.lists.insert(key, entries);
        taken.lists += 1;
    }
    Ok(taken)
}

/// The key replay uses for an entry's address.
fn entry_key(address: &[u8]) -> Vec<u8> {
    glb_formats::import::Address::parse(address).key()
}

#[cfg(test)]
mod tests {
    use glb_formats::fields::Text;
    use glb_formats::format::Document;

    use super::*;

    fn rec(name: &str, reqsync: u32, srvsync: u32, impsync: u32) -> RequestorRecord {
        crate::testdir::requestor(name, reqsync, srvsync, impsync)
    }

    fn conf(server: &str, local: &str) -> ReqConf {
        let (sn, sp) = server.split_once('/').unwrap_or(("", ""));
        let (ln, lp) = local.split_once('/').unwrap_or(("", ""));
        ReqConf {
            server_network: Text::from_bytes(sn.as_bytes()).unwrap(),
            server_postoffice: Text::from_bytes(sp.as_bytes()).unwrap(),
            local_network: Text::from_bytes(ln.as_bytes()).unwrap(),
            local_postoffice: Text::from_bytes(lp.as_bytes()).unwrap(),
            ..ReqConf::default()
        }
    }

    #[test]
    fn the_header_takes_the_largest_numbers_and_the_server_record() {
        // The LISTDS -s sample of KB Q96060 (config samples), with a second import on OCTOBER.
        let records = vec![
            rec("PCM:POLYNOMIAL/MONTGOMERY", 17, 80, 1),
            rec("PCM:POLYNOMIAL/NOVEMBER", 18, 0, 1),
            rec("PCM:POLYNOMIAL/OCTOBER", 12, 71, 2),
        ];
        // The server's REQCONF names its Dir-Sync server: itself (the LISTDS -r
        // sample of KB Q96060 is MONTGOMERY's, registered with MONTGOMERY).
        let server = server_record(
            &records,
            [&conf("POLYNOMIAL/MONTGOMERY", "")],
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(server.index(), Some(0));
        let h = header_for(&records, &server);
        assert_eq!(
            h,
            ResyncHeader {
                impseq: 2,
                reqseq: 18,
                srvseq: 80
            }
        );
        // The server's record is found wherever it is, not assumed first.
        let moved = vec![records[1].clone(), records[2].clone(), records[0].clone()];
        let server = server_record(
            &moved,
            [&conf("polynomial/Montgomery", "")],
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(server.index(), Some(2));
        assert_eq!(header_for(&moved, &server).srvseq, 80);
        // A requestor's REQCONF names the same server.
        let server = server_record(
            &records,
            [&conf("POLYNOMIAL/OCTOBER", "POLYNOMIAL/NOVEMBER")],
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(server.index(), Some(2));
        // The local name decides only when no registration does.
        let server = server_record(
            &records,
            [&conf("", "polynomial/October")],
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(server.index(), Some(2));
        // Without a REQCONF, or one naming no record: undecided, never record #1.
        let none: [&ReqConf; 0] = [];
        let undecided = server_record(&records, none, glb_formats::codepage::CodePage::Cp850);
        assert_eq!(undecided.index(), None);
        assert!(
            matches!(&undecided, ServerRecord::Unknown { reason } if reason.contains("record #1"))
        );
        assert_eq!(header_for(&records, &undecided).srvseq, 0);
        let stranger = server_record(
            &records,
            [&conf("OTHER/NET", "OTHER/PO")],
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(stranger.index(), None);
        assert_eq!(
            server_record(&[], none, glb_formats::codepage::CodePage::Cp850).index(),
            None
        );
        assert_eq!(header_for(&[], &undecided), ResyncHeader::default());
    }

    #[test]
    fn replaying_the_written_file_gives_back_the_lists() {
        let mut dir = Directory::new();
        for (i, t) in [
            &b"R PCM:POLY/TAYLOR"[..],
            b"A Brook Taylor\tPCM:POLY/TAYLOR/brook",
            b"A Andr\x82 Weil\tPCM:POLY/MONT/andre",
            b"A Brook Taylor Jr\tPROFS:PROFSGW/NODE1/brookjr\r\n- Phone:/(206) 635-7022",
            b"A Fax Lagrange\tFAX:Joseph Lagrange~Turin~Lagrange~011 39 555 0100",
        ]
        .iter()
        .enumerate()
        {
            dir.apply_text(i as u32 + 1, t, glb_formats::codepage::CodePage::Cp850);
        }
        let h = ResyncHeader {
            impseq: 1,
            reqseq: 18,
            srvseq: 80,
        };
        let (bytes, n) = write(Vec::new(), h, Stamp(7), &dir).unwrap();
        let doc = Document::<Queue>::from_bytes(&bytes, FileKind::Resync, ReadOptions::default())
            .unwrap();
        assert_eq!(doc.records.len() as u64, n);
        assert_eq!(doc.records[0].resync_header_numbers(), Some(h));
        // 4 lists (FAX:, PCM:POLY/MONT, PCM:POLY/TAYLOR, PROFS:PROFSGW/NODE1),
        // each with its `R`, and 4 entries.
        assert_eq!(n, 1 + 4 + 4);
        assert!(doc.records.iter().any(|r| r.text == b"R FAX:"));
        // Every transaction passes Import's rules.
        for r in &doc.records[1..] {
            let t = glb_formats::import::parse(&r.text, glb_formats::codepage::CodePage::Cp850);
            assert!(
                t.issues.is_empty(),
                "{:?}: {:?}",
                String::from_utf8_lossy(&r.text),
                t.issues
            );
        }
        let syncs: Vec<u32> = doc.records.iter().map(|r| r.sync).collect();
        assert_eq!(syncs, (0..n as u32).collect::<Vec<_>>());
        assert!(doc.records.iter().all(|r| r.checksum_ok()));
        let mut back = Directory::new();
        for r in &doc.records {
            back.apply_text(r.sync, &r.text, glb_formats::codepage::CodePage::Cp850);
        }
        assert!(back.events.is_empty(), "{:?}", back.events);
        // Lists compared without the sync numbers (they are renumbered).
        let strip = |d: &Directory| {
            let mut d = d.clone();
            for e in d.lists.values_mut().flat_map(|l| l.values_mut()) {
                e.sync = 0;
            }
            d.lists
        };
        assert_eq!(strip(&back), strip(&dir));
        // The template line survived.
        assert!(doc
            .records
            .iter()
            .any(|r| r.text.ends_with(b"\r\n- Phone:/(206) 635-7022")));
    }
}
