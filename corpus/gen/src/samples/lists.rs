//! Postoffice-directory samples (`docs/formats/postoffice.md`): the address
//! lists of two postoffices of the POLYNOMIAL network, the same people as the
//! queue samples (`queue.rs`), after the changes in the MSTTRANS sample
//! (apple deleted, Paul renamed "Paul Montgomery").
//!
//! * `postoffice/server`: MONTGOMERY, the Dir-Sync server. Local users, a
//!   group, an external user in the POL pointing into NETPO.GLB, Paul's PAL
//!   with an external entry and a deleted NETPO record, the two NETWORK.GLB
//!   records of KB Q148666 (an FFAPI gateway whose XTN file lists its
//!   postoffice, whose mailbag names its USR file; the MSMAIL connection
//!   record with its outgoing queue's mailbag and no XTN), and André Weil
//!   (CP850 accents), added after the last Dir-Sync export, so TAYLOR does
//!   not know him yet.
//! * `postoffice/requestor`: TAYLOR, a requestor. Its copy of MONTGOMERY's
//!   user list keeps apple as a deleted record; its XTN keeps the deleted
//!   postoffice EULER.
//!
//! Everything is derived from the `Site` tables below. The byte layouts
//! are glbtool's reconstructions (see the specs); ADMIN.GRP, ACCESS2.GLB and
//! the other files the records point into are left out because glbtool does
//! not model them.

use glb_formats::codepage::CodePage;
use glb_formats::fields::Text;
use glb_formats::fixed::{ACTIVE, DELETED};
use glb_formats::format::{Document, Format};
use glb_formats::hexid::Hexid;
use glb_formats::netpo::{self, Galnetpo, GalnetpoHeader, Netpo, NetpoHeader, NetpoRecord};
use glb_formats::network::{network_type, Network, NetworkRecord};
use glb_formats::nme::{self, entry_type, Nme, NmeRecord};
use glb_formats::usr::{Usr, UsrRecord};
use glb_formats::xtn::{Xtn, XtnRecord};
use glb_formats::FileKind;

use crate::Sample;

/// The network of every sample postoffice.
pub const NETWORK: &str = "POLYNOMIAL";
/// REBUILD's default first "new TID" for the GAL (KB Q135486).
const GAL_FIRST_TID: u32 = 0x7F67_697F;
/// ADMIN.GRP's header length (KB Q135932): the first group's chain starts after it.
const GRP_HEADER_LEN: u32 = 8;

/// A user of some postoffice, as Dir-Sync carries it.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    /// Mailbox name.
    pub mailbox: &'static str,
    /// Friendly name.
    pub name: &'static str,
    /// Deleted since it was exported (kept as a deleted USR record).
    pub deleted: bool,
    /// Already exported by Dir-Sync (false: only its own postoffice knows it).
    pub synced: bool,
}

const fn user(mailbox: &'static str, name: &'static str) -> Person {
    Person {
        mailbox,
        name,
        deleted: false,
        synced: true,
    }
}

/// MONTGOMERY's users in creation order (KB Q96060 LISTQ sample, then the MSTTRANS changes).
pub const MONTGOMERY_USERS: &[Person] = &[
    user("able", "able is he who knows his limit"),
    Person {
        deleted: true,
        ..user("apple", "apple")
    },
    user("paul", "Paul Montgomery"),
    user("bryan", "Bryan"),
    user("mark", "Mark"),
    Person {
        synced: false,
        ..user("andre", "Andr\u{e9} Weil")
    },
];
/// TAYLOR's users.
pub const TAYLOR_USERS: &[Person] = &[
    user("brook", "Brook Taylor"),
    user("colin", "Colin Maclaurin"),
];
/// LAGRANGE's users.
pub const LAGRANGE_USERS: &[Person] = &[user("joseph", "Joseph-Louis Lagrange")];

/// Another postoffice of the network, as this one knows it.
struct Remote {
    postoffice: &'static str,
    mailbag: u32,
    deleted: bool,
    people: &'static [Person],
}

/// An FFAPI gateway (KB Q148666 steps 7 and 8): a NETWORK.GLB record of type
/// 0x64 whose XTN file lists its postoffice; that XTN record's mailbag hexid
/// names the gateway's KEY, MBG, USR, TPL and INF files.
struct Ffapi {
    name: &'static str,
    xtn: u32,
    postoffice: Remote,
}

/// An external address copied into NETPO.GLB (by Admin Address/Create or a PAL).
struct External {
    postoffice: &'static str,
    mailbag: u32,
    person: Person,
    tid: u32,
    deleted: bool,
}

/// A PAL entry.
enum PalEntry {
    /// A local user, by mailbox.
    Local(&'static str),
    /// An external address, by NETPO.GLB record index.
    External(usize),
}

/// One sample postoffice directory.
struct Site {
    dir: &'static str,
    people: &'static [Person],
    /// Hexid of each of `people`, in order (0: deleted from ACCESS, not listed).
    hexids: &'static [u32],
    /// TID of each of `people`.
    tids: &'static [u32],
    /// `(name, tid)` of postoffice groups.
    groups: &'static [(&'static str, u32)],
    xtn: u32,
    remotes: &'static [Remote],
    /// FFAPI gateways.
    gateways: &'static [Ffapi],
    /// The mailbag of the Mail Connection's native-format outgoing queue,
    /// named by the MSMAIL record (KB Q148666 steps 5 and 6).
    msmail_queue: Option<u32>,
    externals: &'static [External],
    /// NETPO.GLB indices of the external users in the POL.
    pol_externals: &'static [usize],
    /// `(owner mailbox, entries)` of personal address lists.
    pals: &'static [(&'static str, &'static [PalEntry])],
    /// First TID for the USR records this site holds.
    first_usr_tid: u32,
}

const SERVER: Site = Site {
    dir: "samples/postoffice/server",
    people: MONTGOMERY_USERS,
    hexids: &[0x01, 0, 0x03, 0x04, 0x05, 0x09],
    tids: &[0x101, 0x102, 0x103, 0x104, 0x105, 0x10A],
    groups: &[("Polynomial Staff", 0x106)],
    xtn: 0x06,
    remotes: &[
        Remote {
            postoffice: "TAYLOR",
            mailbag: 0x07,
            deleted: false,
            people: TAYLOR_USERS,
        },
        Remote {
            postoffice: "LAGRANGE",
            mailbag: 0x08,
            deleted: false,
            people: LAGRANGE_USERS,
        },
    ],
    gateways: &[Ffapi {
        name: "PAGER",
        xtn: 0x0B,
        postoffice: Remote {
            postoffice: "PAGING",
            mailbag: 0x0A,
            deleted: false,
            // Its USR file (KB Q148666 step 8) is left out: Dir-Sync never
            // sends it, so a doctor of a network built from these samples
            // would rightly report it as a list the server does not know.
            people: &[],
        },
    }],
    msmail_queue: Some(0x0C),
    externals: &[
        External {
            postoffice: "LAGRANGE",
            mailbag: 0x08,
            person: LAGRANGE_USERS[0],
            tid: 0x107,
            deleted: false,
        },
        External {
            postoffice: "TAYLOR",
            mailbag: 0x07,
            person: TAYLOR_USERS[0],
            tid: 0x108,
            deleted: false,
        },
        External {
            postoffice: "TAYLOR",
            mailbag: 0x07,
            person: TAYLOR_USERS[1],
            tid: 0x109,
            deleted: true,
        },
    ],
    pol_externals: &[0],
    pals: &[("paul", &[PalEntry::External(1), PalEntry::Local("bryan")])],
    first_usr_tid: 0x201,
};

const REQUESTOR: Site = Site {
    dir: "samples/postoffice/requestor",
    people: TAYLOR_USERS,
    hexids: &[0x01, 0x02],
    tids: &[0x101, 0x102],
    groups: &[],
    xtn: 0x03,
    remotes: &[
        Remote {
            postoffice: "MONTGOMERY",
            mailbag: 0x04,
            deleted: false,
            people: MONTGOMERY_USERS,
        },
        Remote {
            postoffice: "LAGRANGE",
            mailbag: 0x05,
            deleted: false,
            people: LAGRANGE_USERS,
        },
        Remote {
            postoffice: "EULER",
            mailbag: 0x06,
            deleted: true,
            people: &[],
        },
    ],
    gateways: &[],
    msmail_queue: None,
    externals: &[],
    pol_externals: &[],
    pals: &[],
    first_usr_tid: 0x201,
};

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::encode(s, CodePage::Cp850).expect("sample text fits its field")
}

fn file<F: Format>(kind: FileKind, header: F::Header, records: Vec<F::Record>) -> Vec<u8> {
    let mut doc = Document::<F>::new(kind);
    doc.header = Some(header);
    doc.records = records;
    doc.to_bytes().expect("sample records are valid")
}

fn status(deleted: bool) -> u8 {
    if deleted {
        DELETED
    } else {
        ACTIVE
    }
}

fn nme_record(entry_type: u16, name: &str, tid: u32, pointer: u32, hexid: u32) -> NmeRecord {
    NmeRecord {
        entry_type,
        name: text(name),
        tid,
        pointer,
        hexid: Hexid(hexid),
    }
}

fn netpo_record(
    deleted: bool,
    tid: u32,
    postoffice: &str,
    mailbox: &str,
    mailbag: u32,
) -> NetpoRecord {
    NetpoRecord {
        status: u16::from(status(deleted)),
        tid,
        network: text(NETWORK),
        postoffice: text(postoffice),
        mailbox: text(mailbox),
        mailbag: Hexid(mailbag),
    }
}

fn sorted(mut records: Vec<NmeRecord>) -> Vec<NmeRecord> {
    records.sort_by(|a, b| nme::gal_order(&a.name, &b.name, CodePage::Cp850));
    records
}

impl Site {
    /// The local users still in ACCESS, as `(ACCESS2 index, person, hexid, tid)`.
    fn locals(&self) -> impl Iterator<Item = (u32, &Person, u32, u32)> + '_ {
        self.people
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.deleted)
            .map(|(i, p)| (i as u32, p, self.hexids[i], self.tids[i]))
    }

    fn local_entry(&self, mailbox: &str) -> NmeRecord {
        let (_, p, hexid, tid) = self
            .locals()
            .find(|l| l.1.mailbox == mailbox)
            .expect("a local user");
        // KB Q107767 links a local user's record to ACCESS2.GLB by its TID;
        // what its pointer holds is undocumented: 0 here (reconstructed).
        nme_record(entry_type::LOCAL_USER, p.name, tid, 0, hexid)
    }

    fn external_entry(&self, index: usize) -> NmeRecord {
        let e = &self.externals[index];
        let pointer = netpo::record_offset(index as u64).expect("small index");
        nme_record(
            entry_type::EXTERNAL_USER,
            e.person.name,
            e.tid,
            pointer,
            e.mailbag,
        )
    }

    /// Local users and groups: what the POL and the GAL share.
    fn own_entries(&self) -> Vec<NmeRecord> {
        let mut out: Vec<NmeRecord> = self
            .locals()
            .map(|l| self.local_entry(l.1.mailbox))
            .collect();
        // Each group's member chain starts right after the previous group's
        // (one 8-byte node per group here; reconstructed offsets).
        for (g, &(name, tid)) in self.groups.iter().enumerate() {
            out.push(nme_record(
                entry_type::GROUP,
                name,
                tid,
                GRP_HEADER_LEN * (g as u32 + 1),
                0,
            ));
        }
        out
    }

    fn pol(&self) -> Vec<u8> {
        let mut entries = self.own_entries();
        entries.extend(self.pol_externals.iter().map(|&i| self.external_entry(i)));
        file::<Nme>(FileKind::Nme, Default::default(), sorted(entries))
    }

    /// The GAL and its GALNETPO.GLB: own entries plus every active user of
    /// every active remote postoffice, sorted by name; the external entries'
    /// TIDs go up from REBUILD's default 0x7F67697F (KB Q135486) in that order
    /// (KB Q116436 says TIDs follow the sorted order; going up one by one is
    /// glbtool's reconstruction).
    fn gal(&self) -> (Vec<u8>, Vec<u8>) {
        let mut remote_people = Vec::new();
        for r in self.remotes.iter().filter(|r| !r.deleted) {
            for p in r.people.iter().filter(|p| !p.deleted && p.synced) {
                remote_people.push((r, p));
            }
        }
        remote_people
            .sort_by(|a, b| nme::gal_order(&text(a.1.name), &text(b.1.name), CodePage::Cp850));
        let mut galnetpo = Vec::new();
        let mut gal = self.own_entries();
        for (i, (r, p)) in remote_people.into_iter().enumerate() {
            let tid = GAL_FIRST_TID + i as u32;
            let pointer = netpo::record_offset(i as u64).expect("small index");
            gal.push(nme_record(
                entry_type::EXTERNAL_USER,
                p.name,
                tid,
                pointer,
                r.mailbag,
            ));
            galnetpo.push(netpo_record(false, tid, r.postoffice, p.mailbox, r.mailbag));
        }
        (
            file::<Nme>(FileKind::Nme, Default::default(), sorted(gal)),
            // Its first 4 bytes (what REBUILD reads to determine the next TID,
            // KB Q135486) are not documented: zero here.
            file::<Galnetpo>(FileKind::Galnetpo, GalnetpoHeader::default(), galnetpo),
        )
    }

    fn netpo(&self) -> Vec<u8> {
        let records: Vec<NetpoRecord> = self
            .externals
            .iter()
            .map(|e| netpo_record(e.deleted, e.tid, e.postoffice, e.person.mailbox, e.mailbag))
            .collect();
        // Reconstructed: the delete chain holds the offset of the last deleted record.
        let chain = self
            .externals
            .iter()
            .rposition(|e| e.deleted)
            .and_then(|i| netpo::record_offset(i as u64))
            .unwrap_or(0);
        file::<Netpo>(
            FileKind::Netpo,
            NetpoHeader {
                delete_chain: chain,
            },
            records,
        )
    }

    fn network(&self) -> Vec<u8> {
        // The type code of an ordinary PC Mail network is undocumented.
        let mut records = vec![NetworkRecord {
            status: ACTIVE,
            network_type: crate::UNDOCUMENTED_NETWORK_TYPE,
            name: text(NETWORK),
            xtn_hexid: Hexid(self.xtn).to_text(),
            ..NetworkRecord::default()
        }];
        // KB Q148666 step 8: the hexid after an FFAPI (PROXYNET) record's name
        // names its XTN file.
        for g in self.gateways {
            records.push(NetworkRecord {
                status: ACTIVE,
                network_type: network_type::FFAPI,
                name: text(g.name),
                xtn_hexid: Hexid(g.xtn).to_text(),
                ..NetworkRecord::default()
            });
        }
        // KB Q148666 steps 5 and 6: the MSMAIL connection record has no XTN;
        // the hexid after its name names the outgoing queue's KEY and MBG.
        if let Some(queue) = self.msmail_queue {
            records.push(NetworkRecord {
                status: ACTIVE,
                network_type: network_type::MSMAIL_CONNECTION,
                name: text("MSMAIL"),
                mailbag_hexid: Hexid(queue).to_text(),
                ..NetworkRecord::default()
            });
        }
        file::<Network>(FileKind::Network, Default::default(), records)
    }

    fn xtn(remotes: &[&Remote]) -> Vec<u8> {
        let records = remotes
            .iter()
            .map(|r| XtnRecord {
                status: status(r.deleted),
                postoffice: text(r.postoffice),
                mailbag_hexid: Hexid(r.mailbag).to_text(),
                ..XtnRecord::default()
            })
            .collect();
        file::<Xtn>(FileKind::Xtn, Default::default(), records)
    }

    /// Every XTN file: the network's, then each FFAPI gateway's.
    fn xtns(&self) -> Vec<(u32, Vec<u8>)> {
        let mut out = vec![(
            self.xtn,
            Self::xtn(&self.remotes.iter().collect::<Vec<_>>()),
        )];
        for g in self.gateways {
            out.push((g.xtn, Self::xtn(&[&g.postoffice])));
        }
        out
    }

    /// One USR file per active remote postoffice, in export order, deleted users kept.
    fn usrs(&self) -> Vec<(u32, Vec<u8>)> {
        let mut tid = self.first_usr_tid;
        let mut out = Vec::new();
        for r in self.remotes.iter().filter(|r| !r.deleted) {
            let records = r
                .people
                .iter()
                .filter(|p| p.synced)
                .map(|p| {
                    tid += 1;
                    UsrRecord {
                        status: status(p.deleted),
                        mailbox: text(p.mailbox),
                        name: text(p.name),
                        tid: tid - 1,
                        ..UsrRecord::default()
                    }
                })
                .collect();
            out.push((
                r.mailbag,
                file::<Usr>(FileKind::Usr, Default::default(), records),
            ));
        }
        out
    }

    fn pal(&self, entries: &[PalEntry]) -> Vec<u8> {
        let records = entries
            .iter()
            .map(|e| match e {
                PalEntry::Local(mailbox) => self.local_entry(mailbox),
                PalEntry::External(i) => self.external_entry(*i),
            })
            .collect();
        file::<Nme>(FileKind::Nme, Default::default(), sorted(records))
    }

    fn samples(&self) -> Vec<Sample> {
        let at = |rel: String| format!("{}/{rel}", self.dir);
        let (gal, galnetpo) = self.gal();
        let pol = self.pol();
        let mut out = vec![
            Sample::new(at("GLB/NETWORK.GLB".into()), self.network()),
            Sample::new(at("GLB/NETPO.GLB".into()), self.netpo()),
            Sample::new(at("GLB/GALNETPO.GLB".into()), galnetpo),
            // KB Q85647: ADMINSHD.NME is an identical twin of ADMIN.NME.
            Sample::new(at("NME/ADMIN.NME".into()), pol.clone()),
            Sample::new(at("NME/ADMINSHD.NME".into()), pol),
            Sample::new(at("NME/GAL.NME".into()), gal),
        ];
        for (owner, entries) in self.pals {
            let hexid = self
                .locals()
                .find(|l| l.1.mailbox == *owner)
                .expect("PAL owner")
                .2;
            out.push(Sample::new(
                at(format!("NME/{}.NME", Hexid(hexid))),
                self.pal(entries),
            ));
        }
        for (mailbag, bytes) in self.usrs() {
            out.push(Sample::new(
                at(format!("USR/{}.USR", Hexid(mailbag))),
                bytes,
            ));
        }
        for (xtn, bytes) in self.xtns() {
            out.push(Sample::new(at(format!("XTN/{}.XTN", Hexid(xtn))), bytes));
        }
        out
    }
}

/// The postoffice-directory samples.
pub fn samples() -> Vec<Sample> {
    let mut out = SERVER.samples();
    out.extend(REQUESTOR.samples());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use glb_formats::format::ReadOptions;

    fn get(path: &str) -> Vec<u8> {
        samples()
            .into_iter()
            .find(|s| s.path.ends_with(path))
            .unwrap_or_else(|| panic!("{path}"))
            .bytes
    }

    fn nme(path: &str) -> Vec<NmeRecord> {
        Document::<Nme>::from_bytes(&get(path), FileKind::Nme, ReadOptions::default())
            .unwrap()
            .records
    }

    #[test]
    fn the_people_agree_with_the_queue_samples() {
        let mst = super::super::queue::samples()
            .into_iter()
            .find(|s| s.path.ends_with("MSTTRANS.GLB"))
            .unwrap()
            .bytes;
        let mst = String::from_utf8_lossy(&mst).into_owned();
        for (po, people) in [
            ("MONTGOMERY", MONTGOMERY_USERS),
            ("TAYLOR", TAYLOR_USERS),
            ("LAGRANGE", LAGRANGE_USERS),
        ] {
            for p in people.iter().filter(|p| p.synced) {
                let addr = format!("PCM:{NETWORK}/{po}/{}", p.mailbox);
                assert!(
                    mst.contains(&format!("{}\t{addr}", p.name)),
                    "{} {addr}",
                    p.name
                );
                if p.deleted {
                    assert!(
                        mst.contains(&format!("D {}\t{addr}", p.name)),
                        "{addr} deleted"
                    );
                }
            }
        }
    }

    #[test]
    fn shadow_is_identical_and_lists_are_sorted_by_name() {
        assert_eq!(get("server/NME/ADMIN.NME"), get("server/NME/ADMINSHD.NME"));
        for path in [
            "server/NME/GAL.NME",
            "requestor/NME/GAL.NME",
            "server/NME/ADMIN.NME",
        ] {
            let records = nme(path);
            assert!(records.len() > 3);
            assert_eq!(
                nme::first_out_of_order(&records, glb_formats::CodePage::Cp850),
                None,
                "{path}"
            );
        }
    }

    #[test]
    fn server_pol_has_a_group_an_external_user_and_accented_name() {
        let pol = nme("server/NME/ADMIN.NME");
        let group = pol
            .iter()
            .find(|r| r.entry_type == entry_type::GROUP)
            .unwrap();
        assert_eq!(
            group.pointer, 8,
            "first chain after ADMIN.GRP's 8-byte header"
        );
        let ext = pol
            .iter()
            .find(|r| r.entry_type == entry_type::EXTERNAL_USER)
            .unwrap();
        assert_eq!(ext.netpo_record(), Some(0));
        let netpo = Document::<Netpo>::from_bytes(
            &get("server/GLB/NETPO.GLB"),
            FileKind::Netpo,
            ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(
            netpo.records[0].address(glb_formats::CodePage::Cp850),
            "POLYNOMIAL/LAGRANGE/joseph"
        );
        assert!(netpo.records[2].is_deleted());
        assert_eq!(netpo.header.unwrap().delete_chain, 90);
        let andre = pol
            .iter()
            .find(|r| r.name.bytes().starts_with(b"Andr"))
            .unwrap();
        assert_eq!(andre.name.bytes(), b"Andr\x82 Weil");
    }

    #[test]
    fn requestor_keeps_deleted_records() {
        let usr = Document::<Usr>::from_bytes(
            &get("requestor/USR/00000004.USR"),
            FileKind::Usr,
            ReadOptions::default(),
        )
        .unwrap();
        let apple = usr
            .records
            .iter()
            .find(|r| r.mailbox.bytes() == b"apple")
            .unwrap();
        assert!(apple.is_deleted());
        let xtn = Document::<Xtn>::from_bytes(
            &get("requestor/XTN/00000003.XTN"),
            FileKind::Xtn,
            ReadOptions::default(),
        )
        .unwrap();
        assert!(xtn
            .records
            .iter()
            .any(|r| r.is_deleted() && r.postoffice.bytes() == b"EULER"));
    }
}
