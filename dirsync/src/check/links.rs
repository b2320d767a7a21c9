//! Pointers between the files of one postoffice: that an address list's
//! entries lead where they claim to.
//!
//! | code | rule | source |
//! |---|---|---|
//! | GLB352 | an external entry (type 2) of the POL, its shadow, a PAL or the GAL points at the start of an active NETPO.GLB (GALNETPO.GLB for the GAL) record whose TID and mailbag agree with it | KB Q107767 (byte offset into NETPO.GLB), Q77926 (4-byte header, 43-byte records), Q86375 (GAL, shared gateway records; the GAL's link by offset is reconstructed) |
//! | GLB353 | a group entry (type 4) of the POL points at a whole record of ADMIN.GRP, when ADMIN.GRP is there | KB Q107767, Q135932 (8-byte header and records) |
//!
//! The pointer rules are documented; the places of the TID, the status and
//! the mailbag inside a NETPO record are glbtool's reconstruction
//! (`docs/formats/netpo.md`), so a disagreement of those is a warning that
//! says so, and nothing here predicts an MS Mail error.

use std::path::Path;

use glb_formats::codepage::CodePage;
use glb_formats::format::{ReadOptions, Reader};
use glb_formats::kind::{Family, FileKind};
use glb_formats::netpo::{self, Lookup, NetpoRecord};
use glb_formats::nme::{entry_type, Nme, NmeRecord};

use super::{Finding, Fix, Severity};
use crate::postoffice::{AddressList, Folder, ListName, Postoffice};

/// Bytes of ADMIN.GRP's header and of each of its records (KB Q135932).
const GRP_RECORD: u64 = 8;

/// The NETPO file the external entries of `list` point into: GALNETPO.GLB
/// for the GAL, NETPO.GLB for the POL, its shadow and the PALs (KB Q107767,
/// Q86375, Q112904); `None` for lists whose pointers lead elsewhere (a
/// gateway's name list points into its own address file `GLB\<gw>.GLB`,
/// whose layout is not decoded).
pub fn netpo_for(list: &ListName) -> Option<&'static str> {
    match list {
        ListName::Gal => Some("GALNETPO.GLB"),
        ListName::Pol | ListName::PolShadow | ListName::Personal { .. } => Some("NETPO.GLB"),
        _ => None,
    }
}

/// Checks every NME list of `po` whose pointers lead into NETPO.GLB,
/// GALNETPO.GLB or ADMIN.GRP.
pub fn check(po: &Postoffice, out: &mut Vec<Finding>) {
    for list in po.address_lists() {
        check_list(po, list, out);
    }
}

/// Checks the pointers of the NME list at `path`, or of every list that
/// points into the NETPO file at `path`, inside the postoffice it sits in,
/// its names read in code page `cp`.
pub fn check_file(path: &Path, kind: FileKind, cp: CodePage, out: &mut Vec<Finding>) {
    // A postoffice directory that cannot be opened is not checked here (the
    // commands that show the file say why on standard error).
    let Ok(Some(po)) = Postoffice::around(path, cp) else {
        return;
    };
    let same = |p: &Path| {
        p.file_name()
            .zip(path.file_name())
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
            && p.parent().and_then(Path::file_name) == path.parent().and_then(Path::file_name)
    };
    for list in po.address_lists() {
        let wanted = match kind.family() {
            Family::Nme => same(&list.path),
            Family::Netpo | Family::Galnetpo => netpo_for(&list.name)
                .and_then(|n| po.find(Folder::Glb, n))
                .is_some_and(|f| same(&f.path)),
            Family::Queue
            | Family::ReqConf
            | Family::SrvConf
            | Family::Process
            | Family::Usr
            | Family::Network
            | Family::Xtn => false,
        };
        if wanted {
            check_list(&po, list, out);
        }
    }
}

/// GLB352 findings of the lists of the postoffice around `target` (a
/// NETPO.GLB or GALNETPO.GLB path) that point into it, with its records read
/// from `new` instead: what a new version of the file would break. `None`
/// when `target` is not in a postoffice. Names are read in code page `cp`.
pub fn with_new_netpo(target: &Path, new: &Path, cp: CodePage) -> Option<Vec<Finding>> {
    let po = Postoffice::around(target, cp).ok().flatten()?;
    let name = target.file_name()?.to_str()?.to_ascii_uppercase();
    let mut out = Vec::new();
    for list in po.address_lists() {
        if netpo_for(&list.name).is_some_and(|n| n == name) {
            check_list_with(&po, list, Some(new), &mut out);
        }
    }
    out.retain(|f| f.code == "GLB352");
    Some(out)
}

fn check_list(po: &Postoffice, list: &AddressList, out: &mut Vec<Finding>) {
    check_list_with(po, list, None, out);
}

fn check_list_with(
    po: &Postoffice,
    list: &AddressList,
    netpo_at: Option<&Path>,
    out: &mut Vec<Finding>,
) {
    if list.kind != FileKind::Nme {
        return;
    }
    let target = netpo_for(&list.name);
    let grp = matches!(list.name, ListName::Pol | ListName::PolShadow)
        .then(|| po.find(Folder::Nme, "ADMIN.GRP"))
        .flatten();
    if target.is_none() && grp.is_none() {
        return;
    }
    let Ok((src, size)) = crate::open::buffered(&list.path) else {
        return; // unreadable lists are reported elsewhere (GLB301)
    };
    let Ok(mut reader) =
        Reader::<Nme, _>::new(src, FileKind::Nme, Some(size), ReadOptions::default())
    else {
        return; // a size error is reported by the file's own check
    };
    // A copy of the NME folder alone (no GLB folder) says nothing about NETPO.
    let has_glb = po.folders().iter().any(|(f, _)| *f == Folder::Glb);
    let target = target.filter(|_| has_glb);
    let netpo_file = target.and_then(|t| po.find(Folder::Glb, t));
    let mut lookup = match netpo_at {
        Some(p) => crate::open::netpo_lookup(p).ok(),
        None => netpo_file.and_then(|f| crate::open::netpo_lookup(&f.path).ok()),
    };
    let shown = list.path.display().to_string();
    let mut missing_said = false;
    while let Ok(Some(r)) = reader.next_record() {
        let (index, offset, rec) = (r.index, r.offset, r.record.clone());
        match rec.entry_type {
            entry_type::EXTERNAL_USER => {
                let Some(t) = target else { continue };
                match lookup.as_mut() {
                    Some(l) => {
                        if let Some(f) = external(&shown, t, index, offset, &rec, l, po.codepage())
                        {
                            out.push(f);
                        }
                    }
                    None if !missing_said => {
                        missing_said = true;
                        out.push(
                            finding(
                                &shown,
                                index,
                                offset,
                                Severity::Error,
                                "GLB352",
                                format!(
                                    "{} is an external user, whose address is in {t} (KB Q107767), but GLB/{t} is missing or unreadable: none of this list's external entries can be resolved",
                                    name(&rec, po.codepage())
                                ),
                            )
                            .fix(restore(t)),
                        );
                    }
                    None => {}
                }
            }
            entry_type::GROUP => {
                if let Some(g) = grp {
                    let p = u64::from(rec.pointer);
                    let whole = p >= GRP_RECORD && p % GRP_RECORD == 0 && p + GRP_RECORD <= g.size;
                    if !whole {
                        out.push(
                            finding(
                                &shown,
                                index,
                                offset,
                                Severity::Error,
                                "GLB353",
                                format!(
                                    "group {} points at byte {p} of ADMIN.GRP ({} bytes), which is not the start of a member record: ADMIN.GRP is an 8-byte header and 8-byte records (KB Q135932), and a group's pointer is where its first member's record begins (KB Q107767)",
                                    name(&rec, po.codepage()),
                                    g.size
                                ),
                            )
                            .fix(Fix::Procedure {
                                text: "restore ADMIN.NME, ADMINSHD.NME, ADMIN.GRP and ADMINSHD.GRP together from the same backup; otherwise recreate the group in ADMIN".into(),
                                source: "KB Q107767, Q135932",
                            }),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

fn name(r: &NmeRecord, cp: CodePage) -> String {
    format!("\"{}\"", r.name.decode(cp))
}

fn finding(
    file: &str,
    index: u64,
    offset: u64,
    severity: Severity,
    code: &'static str,
    cause: String,
) -> Finding {
    Finding::new(code, file.to_string(), Some(FileKind::Nme), cause)
        .at(offset + 37, Some(index))
        .severity(severity)
}

fn restore(target: &str) -> Fix {
    if target == "GALNETPO.GLB" {
        Fix::Procedure {
            text: "rebuild the GAL (REBUILD -F), which writes GAL.NME and GALNETPO.GLB together"
                .into(),
            source: "KB Q96060, Q86375",
        }
    } else {
        Fix::Procedure {
            text: "restore NETPO.GLB together with ADMIN.NME and ADMINSHD.NME from the same backup; or delete the entry (ADMIN: Address, Delete) and add it again (Address, Create), which writes both".into(),
            source: "KB Q107767, Q101140, Q110223",
        }
    }
}

/// GLB352 for one external entry, or `None` when it resolves.
fn external(
    file: &str,
    target: &str,
    index: u64,
    offset: u64,
    rec: &NmeRecord,
    lookup: &mut Lookup<std::io::BufReader<std::fs::File>>,
    cp: CodePage,
) -> Option<Finding> {
    let p = rec.pointer;
    let who = name(rec, cp);
    // For the GAL the offset rule itself is glbtool's reconstruction
    // (docs/formats/nme.md, netpo.md): a warning that says so.
    let gal = target == "GALNETPO.GLB";
    let documented = |cause: String| {
        let (severity, cause) = if gal {
            (
                Severity::Warning,
                format!("{cause} (for the GAL, that GAL.NME points into GALNETPO.GLB by byte offset and that its records are 43 bytes are glbtool's reconstruction, docs/formats/nme.md)"),
            )
        } else {
            (Severity::Error, cause)
        };
        Some(finding(file, index, offset, severity, "GLB352", cause).fix(restore(target)))
    };
    if netpo::record_index(p).is_none() {
        return documented(format!(
            "{who} points at byte {p} of {target}, which is not the start of a record: the pointer of an external entry is the byte offset of its {target} record (KB Q107767), and records start at 4 + 43 × n (KB Q77926)"
        ));
    }
    let r: NetpoRecord = match lookup.get(p) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return documented(format!(
                "{who} points at byte {p} of {target}, past its last record: the pointer of an external entry is the byte offset of its {target} record (KB Q107767)"
            ))
        }
        Err(e) => return documented(format!("{who}: {target} cannot be read: {e}")),
    };
    let at = format!(
        "record {} of {target} ({})",
        netpo::record_index(p).unwrap_or(0),
        r.address(cp)
    );
    let mut wrong = Vec::new();
    if r.status != u16::from(glb_formats::fixed::ACTIVE) {
        wrong.push(format!("it is not active (status {})", r.status));
    }
    if r.mailbag != rec.hexid {
        wrong.push(format!(
            "its mailbag {} is not the entry's hexid {}",
            r.mailbag, rec.hexid
        ));
    }
    // A gateway's GAL names share one record (KB Q86375), whose TID is one
    // of theirs: the TIDs are compared for addresses of their own only.
    let shared = target == "GALNETPO.GLB" && r.mailbox.bytes().is_empty();
    if !shared && r.tid != rec.tid {
        wrong.push(format!(
            "its TID {:08X} is not the entry's {:08X}",
            r.tid, rec.tid
        ));
    }
    if wrong.is_empty() {
        return None;
    }
    Some(
        finding(
            file,
            index,
            offset,
            Severity::Warning,
            "GLB352",
            format!(
                "{who} points at {at}, but {}: the entry probably leads to another address (a record was removed or moved, and the pointers after it now lead to the next ones). Status, TID and mailbag are at glbtool's reconstructed places in a NETPO record (docs/formats/netpo.md)",
                wrong.join(", ")
            ),
        )
        .fix(restore(target)),
    )
}

#[cfg(test)]
mod tests {
    use glb_formats::codepage::CodePage;
    use glb_formats::fields::Text;
    use glb_formats::format::Document;
    use glb_formats::hexid::Hexid;
    use glb_formats::netpo::{Netpo, NetpoHeader};

    use super::*;
    use crate::testdir::{put, temp};

    fn nme(entries: &[(u16, &str, u32, u32, u32)]) -> Vec<u8> {
        let mut d = Document::<Nme>::new(FileKind::Nme);
        for &(ty, name, tid, pointer, hexid) in entries {
            d.records.push(NmeRecord {
                entry_type: ty,
                name: Text::encode(name, CodePage::Cp850).unwrap(),
                tid,
                pointer,
                hexid: Hexid(hexid),
            });
        }
        d.to_bytes().unwrap()
    }

    fn netpo(records: &[(u16, u32, &str, u32)]) -> Vec<u8> {
        let mut d = Document::<Netpo>::new(FileKind::Netpo);
        d.header = Some(NetpoHeader::default());
        for &(status, tid, mailbox, mailbag) in records {
            d.records.push(NetpoRecord {
                status,
                tid,
                network: Text::encode("POLYNOMIAL", CodePage::Cp850).unwrap(),
                postoffice: Text::encode("TAYLOR", CodePage::Cp850).unwrap(),
                mailbox: Text::encode(mailbox, CodePage::Cp850).unwrap(),
                mailbag: Hexid(mailbag),
            });
        }
        d.to_bytes().unwrap()
    }

    fn run(root: &Path) -> Vec<Finding> {
        let po = Postoffice::open(root, glb_formats::codepage::CodePage::Cp850).unwrap();
        let mut out = Vec::new();
        check(&po, &mut out);
        out
    }

    #[test]
    fn external_pointers_are_byte_offsets_of_whole_netpo_records() {
        // KB Q107767: an external entry's pointer is the byte offset of its
        // NETPO.GLB record; KB Q77926: a 4-byte header, then 43-byte records.
        // So the records start at 4, 47, 90: the first record is at 4, never 0.
        let d = temp("links-offsets");
        put(
            &d.0,
            "GLB/NETPO.GLB",
            &netpo(&[(1, 0x200, "brook", 2), (1, 0x201, "colin", 2)]),
        );
        let pol = nme(&[
            (1, "Paul", 0x100, 0, 10),
            (2, "Brook", 0x200, 4, 2),
            (2, "Colin", 0x201, 47, 2),
        ]);
        put(&d.0, "NME/ADMIN.NME", &pol);
        put(&d.0, "NME/ADMINSHD.NME", &pol);
        assert!(run(&d.0).is_empty(), "{:#?}", run(&d.0));

        for (pointer, says) in [
            (0, "not the start of a record"),
            (46, "not the start of a record"),
            (90, "past its last record"),
        ] {
            let pol = nme(&[(2, "Brook", 0x200, pointer, 2)]);
            put(&d.0, "NME/ADMIN.NME", &pol);
            put(&d.0, "NME/ADMINSHD.NME", &pol);
            let f = run(&d.0);
            assert_eq!(f.len(), 2, "the POL and its shadow: {f:#?}");
            assert_eq!(f[0].code, "GLB352");
            assert_eq!(f[0].severity, Severity::Error);
            assert!(f[0].cause.contains(says), "{pointer}: {}", f[0].cause);
            assert_eq!((f[0].record, f[0].offset), (Some(0), Some(37)));
        }
    }

    #[test]
    fn a_record_of_another_address_is_a_reconstruction_warning() {
        let d = temp("links-other");
        // Record 0 deleted, record 1 someone else's: what deleting a record
        // from the array leaves behind.
        put(
            &d.0,
            "GLB/NETPO.GLB",
            &netpo(&[(0, 0x200, "brook", 2), (1, 0x202, "mark", 3)]),
        );
        let pol = nme(&[(2, "Brook", 0x200, 4, 2), (2, "Colin", 0x201, 47, 2)]);
        put(&d.0, "NME/ADMIN.NME", &pol);
        let f = run(&d.0);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f
            .iter()
            .all(|f| f.code == "GLB352" && f.severity == Severity::Warning));
        assert!(f[0].cause.contains("not active"), "{}", f[0].cause);
        assert!(f[1].cause.contains("mailbag 00000003"), "{}", f[1].cause);
        assert!(f[1].cause.contains("TID 00000202"), "{}", f[1].cause);
        assert!(f[1].cause.contains("reconstructed"), "{}", f[1].cause);
    }

    #[test]
    fn gal_entries_use_galnetpo_and_gateway_lists_are_not_checked() {
        let d = temp("links-gal");
        put(&d.0, "GLB/NETPO.GLB", &netpo(&[]));
        put(
            &d.0,
            "GLB/GALNETPO.GLB",
            &netpo(&[(1, 0x7F67_697F, "brook", 2), (1, 0x7F67_6980, "", 8)]),
        );
        // Two gateway names share one record (KB Q86375): TIDs not compared.
        let gal = nme(&[
            (2, "Brook", 0x7F67_697F, 4, 2),
            (2, "Info", 0x7F67_6980, 47, 8),
            (2, "Sales", 0x7F67_6981, 47, 8),
        ]);
        put(&d.0, "NME/GAL.NME", &gal);
        put(&d.0, "NME/SMTP.NME", &nme(&[(2, "Info", 0x113, 0, 8)]));
        put(&d.0, "GLB/SMTP.GLB", &[0; 4]);
        assert!(run(&d.0).is_empty(), "{:#?}", run(&d.0));
        let gal = nme(&[(2, "Brook", 0x7F67_6999, 4, 2)]);
        put(&d.0, "NME/GAL.NME", &gal);
        let f = run(&d.0);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].cause.contains("GALNETPO.GLB"), "{}", f[0].cause);
    }

    #[test]
    fn group_pointers_land_on_admin_grp_records() {
        let d = temp("links-grp");
        let pol = nme(&[(4, "Staff", 0x104, 8, 0), (4, "Other", 0x105, 12, 0)]);
        put(&d.0, "NME/ADMIN.NME", &pol);
        // Without ADMIN.GRP nothing is said.
        assert!(run(&d.0).is_empty());
        put(&d.0, "NME/ADMIN.GRP", &[0; 24]);
        let f = run(&d.0);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].code, "GLB353");
        assert_eq!(f[0].record, Some(1));
    }
}
