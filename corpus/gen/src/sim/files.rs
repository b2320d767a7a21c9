//! Writing the simulated network as postoffice directories: one folder per
//! postoffice with `GLB/`, `NME/`, `USR/` and `XTN/` (`docs/simulator.md`
//! lists every file and the choices behind it).

use std::collections::BTreeMap;

use glb_formats::fields::Text;
use glb_formats::fixed::ACTIVE;
use glb_formats::format::{Document, Format};
use glb_formats::hexid::Hexid;
use glb_formats::import::Address;
use glb_formats::netpo::{self, Galnetpo, GalnetpoHeader, Netpo, NetpoHeader, NetpoRecord};
use glb_formats::network::{Network as NetworkFile, NetworkRecord};
use glb_formats::nme::{entry_type, Nme, NmeRecord};
use glb_formats::process::{schedule, ProcessKind, ProcessRecord, WEEK_SECONDS, WINDOW_ADMIN_32};
use glb_formats::queue::{Queue, QueueRecord};
use glb_formats::reqconf::ReqConfFile;
use glb_formats::srvconf::SrvConfFile;
use glb_formats::usr::{Usr, UsrRecord};
use glb_formats::xtn::{Xtn, XtnRecord};
use glb_formats::FileKind;

use super::people::{NETWORK, PROFS_GATEWAY};
use super::{cp850, epoch, text, Network, Postoffice, DAY, T1_AT, T2_AT, T3_AT};
use crate::Sample;
use glb_dirsync::replay;

/// REBUILD's default first "new TID" for the GAL (KB Q135486).
pub const GAL_FIRST_TID: u32 = 0x7F67_697F;
/// What a local user's NME pointer holds: 0. No article says; KB Q107767's
/// diagram links a local user's NME record to its ACCESS2.GLB record by TID,
/// not by a byte offset (reconstructed, as in the list samples).
pub const LOCAL_USER_POINTER: u32 = 0;
/// ADMIN.GRP's header length (KB Q135932): group chains start after it.
pub const GRP_HEADER_LEN: u32 = 8;

/// The alias and address of a GAL entry.
struct Entry {
    alias: Vec<u8>,
    address: Vec<u8>,
}

fn raw<const N: usize>(b: &[u8]) -> Text<N> {
    Text::from_bytes(b).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(b)))
}

fn bytes<F: Format>(kind: FileKind, header: Option<F::Header>, records: Vec<F::Record>) -> Vec<u8> {
    let mut doc = Document::<F>::new(kind);
    if header.is_some() {
        doc.header = header;
    }
    doc.records = records;
    doc.to_bytes().expect("simulated records are valid")
}

/// Bytes of a queue file.
pub fn queue_bytes(kind: FileKind, records: &[QueueRecord]) -> Vec<u8> {
    bytes::<Queue>(kind, None, records.to_vec())
}

fn nme(records: Vec<NmeRecord>) -> Vec<u8> {
    bytes::<Nme>(FileKind::Nme, None, records)
}

/// Sorts by [`glb_formats::nme::gal_order`], keeping equal names in their
/// order; its key is computed once per entry ([`glb_formats::nme::gal_key`]):
/// sorting a 20,000-name GAL compares names some 300,000 times.
fn sort_gal<T>(items: &mut [T], name: impl Fn(&T) -> &Text<31>) {
    items.sort_by_cached_key(|t| glb_formats::nme::gal_key(name(t), glb_formats::CodePage::Cp850));
}

fn sorted(mut records: Vec<NmeRecord>) -> Vec<NmeRecord> {
    sort_gal(&mut records, |r| &r.name);
    records
}

/// Where a postoffice keeps a received list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListHome {
    /// `USR\<hexid>.USR` of an external postoffice or PROFS node.
    Usr(u32),
    /// `NME\<TYPE>.NME` of gateway `gateways[i]`.
    Gateway(usize),
}

/// The third element of a 10/10/10 address (the mailbox or user).
pub fn mailbox_of(address: &[u8]) -> &[u8] {
    let a = Address::parse(address);
    a.body.rsplit(|&b| b == b'/').next().unwrap_or(a.body)
}

/// An entry of the GAL before sorting, with what its GALNETPO record holds.
enum GalLink {
    Own,
    Netpo(NetpoRecord),
    Shared(usize),
}

impl Postoffice {
    /// REBUILD -F: makes GAL.NME and GALNETPO.GLB from the POL, the gateway
    /// lists and the USR lists as they are now (T3; KB Q96060).
    pub fn rebuild_gal(&mut self) {
        self.gal = self.build_gal();
    }

    /// Where the list `key` (`PCM:NET/PO`, `PROFS:GW/NODE`, `SMTP:`) lives here.
    pub fn list_home(&self, key: &[u8]) -> Option<ListHome> {
        let key = String::from_utf8_lossy(key).to_ascii_uppercase();
        if let Some(po) = key.strip_prefix(&format!("PCM:{NETWORK}/")) {
            return self
                .remotes
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(po))
                .map(|r| ListHome::Usr(r.hexid));
        }
        if let Some(node) = key.strip_prefix(&format!("PROFS:{PROFS_GATEWAY}/")) {
            return self
                .nodes
                .iter()
                .find(|n| n.name.eq_ignore_ascii_case(node))
                .map(|n| ListHome::Usr(n.hexid));
        }
        let ty = key.strip_suffix(':')?;
        self.gateways
            .iter()
            .position(|g| g.name == ty)
            .map(ListHome::Gateway)
    }

    /// The records of `USR\<hexid>.USR`: the received list that lives there,
    /// in arrival order (by TID).
    pub fn usr_records(&self, hexid: u32) -> Vec<UsrRecord> {
        let mut out: Vec<UsrRecord> = Vec::new();
        for (key, list) in &self.received.lists {
            if self.list_home(key) != Some(super::files::ListHome::Usr(hexid)) {
                continue;
            }
            for (k, e) in list {
                out.push(UsrRecord {
                    status: ACTIVE,
                    mailbox: raw(mailbox_of(&e.address)),
                    name: raw(&e.alias),
                    tid: self.received_tids[k],
                    ..UsrRecord::default()
                });
            }
        }
        out.sort_by_key(|r| r.tid);
        out
    }

    /// The records of `NME\<TYPE>.NME` for gateway `gateways[g]`, sorted by
    /// name. The pointer is the entry's index in the gateway address file
    /// `GLB\<TYPE>.GLB`, which is not written (a placeholder).
    pub fn gateway_records(&self, g: usize) -> Vec<NmeRecord> {
        let mut out = Vec::new();
        for (key, list) in &self.received.lists {
            if self.list_home(key) != Some(ListHome::Gateway(g)) {
                continue;
            }
            for (k, e) in list {
                out.push(NmeRecord {
                    entry_type: entry_type::EXTERNAL_USER,
                    name: raw(&e.alias),
                    tid: self.received_tids[k],
                    pointer: 0,
                    hexid: Hexid(self.gateways[g].hexid),
                });
            }
        }
        let mut out = sorted(out);
        for (i, r) in out.iter_mut().enumerate() {
            r.pointer = i as u32;
        }
        out
    }

    /// NETPO.GLB records: one per gateway address in the POL, in POL order.
    /// Every external entry of the POL (type 2) resolves through NETPO.GLB
    /// by byte offset (KB Q107767), and external addresses added to the POL
    /// are copied there (KB Q175694); PROFS addresses also live there
    /// (`nme-usr-facts.md` section 6). A PROFS record holds gateway, node and
    /// user with the node's hexid; an SMTP or FAX address, whose address has
    /// no 10/10/10 form, the gateway's name and hexid, like GALNETPO's shared
    /// gateway record (the fields inside a record are reconstructed).
    fn netpo_records(&self) -> Vec<NetpoRecord> {
        self.gateway_addresses
            .iter()
            .map(|a| self.gateway_netpo(a))
            .collect()
    }

    fn gateway_netpo(&self, a: &super::GatewayAddress) -> NetpoRecord {
        let addr = Address::parse(a.address.as_bytes());
        let ty = addr.type_upper();
        if ty == "PROFS" {
            let mut parts = addr.body.split(|&b| b == b'/');
            let (gw, node, user) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let hexid = self
                .nodes
                .iter()
                .find(|n| n.name.as_bytes().eq_ignore_ascii_case(node))
                .map_or(0, |n| n.hexid);
            return NetpoRecord {
                status: u16::from(ACTIVE),
                tid: a.tid,
                network: raw(gw),
                postoffice: raw(node),
                mailbox: raw(user),
                mailbag: Hexid(hexid),
            };
        }
        let g = self
            .gateways
            .iter()
            .find(|g| g.name == ty)
            .expect("SMTP or FAX");
        NetpoRecord {
            status: u16::from(ACTIVE),
            tid: a.tid,
            network: text(&g.name),
            mailbag: Hexid(g.hexid),
            ..NetpoRecord::default()
        }
    }

    /// Local users, groups and gateway addresses: what the POL and the GAL share.
    fn own_entries(&self) -> Vec<NmeRecord> {
        let mut out: Vec<NmeRecord> = self
            .active_users()
            .map(|(_, u)| NmeRecord {
                entry_type: entry_type::LOCAL_USER,
                name: text(&u.person.name),
                tid: u.tid,
                pointer: LOCAL_USER_POINTER,
                hexid: Hexid(u.hexid),
            })
            .collect();
        for (g, group) in self.groups.iter().enumerate() {
            out.push(NmeRecord {
                entry_type: entry_type::GROUP,
                name: text(&group.person.name),
                tid: group.tid,
                pointer: GRP_HEADER_LEN * (g as u32 + 1),
                hexid: Hexid(0),
            });
        }
        for (i, a) in self.gateway_addresses.iter().enumerate() {
            // Each points at its own NETPO.GLB record (netpo_records, KB Q107767).
            let rec = self.gateway_netpo(a);
            out.push(NmeRecord {
                entry_type: entry_type::EXTERNAL_USER,
                name: text(&a.name),
                tid: a.tid,
                pointer: netpo::record_offset(i as u64).expect("small index"),
                hexid: rec.mailbag,
            });
        }
        out
    }

    /// GAL.NME and GALNETPO.GLB as REBUILD makes them: every own entry and
    /// every received name, sorted by full name; external entries get TIDs
    /// going up from REBUILD's default start in that order (the start is KB
    /// Q135486's, following the sorted order KB Q116436's; going up one by
    /// one is glbtool's reconstruction) and point at their GALNETPO record;
    /// gateway names share one record per gateway (KB Q86375).
    fn build_gal(&self) -> (Vec<NmeRecord>, Vec<NetpoRecord>) {
        // Local users and groups keep their POL records; every external or
        // gateway name, this postoffice's own gateway addresses included,
        // goes through GALNETPO.GLB.
        let mut entries: Vec<(NmeRecord, GalLink)> = self
            .own_entries()
            .into_iter()
            .filter(|r| r.entry_type != entry_type::EXTERNAL_USER)
            .map(|r| (r, GalLink::Own))
            .collect();
        let own_gateway = self.gateway_addresses.iter().map(|a| {
            let list = replay::list_key(&Address::parse(a.address.as_bytes()));
            (list, cp850(&a.name), a.address.as_bytes().to_vec())
        });
        let received = self.received.lists.iter().flat_map(|(key, list)| {
            list.values()
                .map(move |e| (key.clone(), e.alias.clone(), e.address.clone()))
        });
        for (key, alias, address) in own_gateway.chain(received) {
            let Some(home) = self.list_home(&key) else {
                continue;
            };
            {
                let e = Entry { alias, address };
                let (hexid, link) = match home {
                    ListHome::Usr(hexid) => {
                        let a = Address::parse(&e.address);
                        let mut parts = a.body.split(|&b| b == b'/');
                        let net = parts.next().unwrap_or_default();
                        let po = parts.next().unwrap_or_default();
                        let rec = NetpoRecord {
                            status: u16::from(ACTIVE),
                            tid: 0,
                            network: raw(net),
                            postoffice: raw(po),
                            mailbox: raw(mailbox_of(&e.address)),
                            mailbag: Hexid(hexid),
                        };
                        (hexid, GalLink::Netpo(rec))
                    }
                    ListHome::Gateway(g) => (self.gateways[g].hexid, GalLink::Shared(g)),
                };
                entries.push((
                    NmeRecord {
                        entry_type: entry_type::EXTERNAL_USER,
                        name: raw(&e.alias),
                        tid: 0,
                        pointer: 0,
                        hexid: Hexid(hexid),
                    },
                    link,
                ));
            }
        }
        sort_gal(&mut entries, |e| &e.0.name);
        let mut galnetpo: Vec<NetpoRecord> = Vec::new();
        let mut shared: BTreeMap<usize, u32> = BTreeMap::new();
        let mut next_tid = GAL_FIRST_TID;
        let mut gal = Vec::with_capacity(entries.len());
        for (mut r, link) in entries {
            match link {
                GalLink::Own => {}
                GalLink::Netpo(mut rec) => {
                    r.tid = next_tid;
                    next_tid += 1;
                    rec.tid = r.tid;
                    r.pointer = netpo::record_offset(galnetpo.len() as u64).expect("GAL fits");
                    galnetpo.push(rec);
                }
                GalLink::Shared(g) => {
                    r.tid = next_tid;
                    next_tid += 1;
                    r.pointer = *shared.entry(g).or_insert_with(|| {
                        galnetpo.push(NetpoRecord {
                            status: u16::from(ACTIVE),
                            tid: r.tid,
                            network: text(&self.gateways[g].name),
                            mailbag: Hexid(self.gateways[g].hexid),
                            ..NetpoRecord::default()
                        });
                        netpo::record_offset(galnetpo.len() as u64 - 1).expect("GAL fits")
                    });
                }
            }
            gal.push(r);
        }
        (gal, galnetpo)
    }

    /// PROCESS.GLB: T1 daily at 22:00, T2 (server only) at 01:00, T3 at
    /// 03:00 (the KB Q119590 sample schedule), one record per process and
    /// weekday (KB Q197407), each at its next run after Dispatch last ran,
    /// with ADMIN 3.2's 8-hour window and times stored as UTC.
    fn process(&self, server: bool) -> Vec<ProcessRecord> {
        let mut kinds = vec![(ProcessKind::RequestorSends, T1_AT)];
        if server {
            kinds.push((ProcessKind::ServerProcess, T2_AT));
        }
        kinds.push((ProcessKind::RequestorProcesses, T3_AT));
        let mut out = Vec::new();
        for (kind, minutes) in kinds {
            for weekday in 0..7u32 {
                let mut at = epoch().0 + weekday * DAY + minutes * 60;
                while at <= self.clock.0 {
                    at += WEEK_SECONDS;
                }
                let id = out.len() as u16 + 1;
                out.push(ProcessRecord::scheduled(
                    id,
                    kind,
                    glb_formats::fields::Stamp(at),
                    WINDOW_ADMIN_32,
                    0,
                ));
            }
        }
        out
    }

    fn network_records(&self) -> Vec<NetworkRecord> {
        let mut out = vec![
            NetworkRecord {
                status: ACTIVE,
                network_type: crate::UNDOCUMENTED_NETWORK_TYPE,
                name: text(NETWORK),
                xtn_hexid: Hexid(self.xtn).to_text(),
                ..NetworkRecord::default()
            },
            NetworkRecord {
                status: ACTIVE,
                network_type: crate::UNDOCUMENTED_NETWORK_TYPE,
                name: text(&self.profs.name),
                xtn_hexid: Hexid(self.profs_xtn).to_text(),
                mailbag_hexid: Hexid(self.profs.hexid).to_text(),
                ..NetworkRecord::default()
            },
        ];
        for g in &self.gateways {
            out.push(NetworkRecord {
                status: ACTIVE,
                network_type: crate::UNDOCUMENTED_NETWORK_TYPE,
                name: text(&g.name),
                mailbag_hexid: Hexid(g.hexid).to_text(),
                ..NetworkRecord::default()
            });
        }
        out
    }

    fn xtn(list: &[super::Mailbag]) -> Vec<u8> {
        let records = list
            .iter()
            .map(|m| XtnRecord {
                status: ACTIVE,
                postoffice: text(&m.name),
                mailbag_hexid: Hexid(m.hexid).to_text(),
                ..XtnRecord::default()
            })
            .collect();
        bytes::<Xtn>(FileKind::Xtn, None, records)
    }

    /// Every file of this postoffice, paths below its own folder.
    pub fn files(&self, server: bool) -> Vec<(String, Vec<u8>)> {
        let pol = nme(sorted(self.own_entries()));
        let (gal, galnetpo) = self.gal.clone();
        let mut out = vec![
            (
                "GLB/REQCONF.GLB".to_string(),
                bytes::<ReqConfFile>(FileKind::Reqconf, Some(self.reqconf.clone()), Vec::new()),
            ),
            (
                "GLB/REQTRANS.GLB".into(),
                queue_bytes(FileKind::Reqtrans, &self.reqtrans),
            ),
            (
                "GLB/SRVTRANS.GLB".into(),
                queue_bytes(FileKind::Srvtrans, &self.srvtrans),
            ),
            ("GLB/USRTRANS.GLB".into(), Vec::new()),
            ("GLB/NMETRANS.GLB".into(), Vec::new()),
            ("GLB/GWTRANS.GLB".into(), Vec::new()),
            (
                "GLB/PROCESS.GLB".into(),
                schedule(self.process(server))
                    .to_bytes()
                    .expect("valid schedule"),
            ),
            (
                "GLB/NETWORK.GLB".into(),
                bytes::<NetworkFile>(FileKind::Network, None, self.network_records()),
            ),
            (
                "GLB/NETPO.GLB".into(),
                bytes::<Netpo>(
                    FileKind::Netpo,
                    Some(NetpoHeader::default()),
                    self.netpo_records(),
                ),
            ),
            (
                "GLB/GALNETPO.GLB".into(),
                bytes::<Galnetpo>(
                    FileKind::Galnetpo,
                    Some(GalnetpoHeader::default()),
                    galnetpo,
                ),
            ),
            // KB Q85647: ADMINSHD.NME is an identical twin of ADMIN.NME.
            ("NME/ADMIN.NME".into(), pol.clone()),
            ("NME/ADMINSHD.NME".into(), pol),
            ("NME/GAL.NME".into(), nme(gal)),
        ];
        for (g, gw) in self.gateways.iter().enumerate() {
            out.push((format!("NME/{}.NME", gw.name), nme(self.gateway_records(g))));
        }
        for m in self.remotes.iter().chain(&self.nodes) {
            out.push((
                format!("USR/{}.USR", Hexid(m.hexid)),
                bytes::<Usr>(FileKind::Usr, None, self.usr_records(m.hexid)),
            ));
        }
        out.push((
            format!("XTN/{}.XTN", Hexid(self.xtn)),
            Self::xtn(&self.remotes),
        ));
        out.push((
            format!("XTN/{}.XTN", Hexid(self.profs_xtn)),
            Self::xtn(&self.nodes),
        ));
        out.extend(self.extra.iter().cloned());
        out
    }
}

impl Network {
    /// Every file of the network, paths `<POSTOFFICE>/<FOLDER>/<FILE>`, in a
    /// fixed order.
    pub fn files(&self) -> Vec<Sample> {
        let mut out = Vec::new();
        for (i, po) in self.postoffices.iter().enumerate() {
            let mut files = po.files(i == 0);
            if i == 0 {
                files.push((
                    "GLB/SRVCONF.GLB".into(),
                    bytes::<SrvConfFile>(
                        FileKind::Srvconf,
                        Some(self.server.header.clone()),
                        self.server.records.clone(),
                    ),
                ));
                files.push((
                    "GLB/MSTTRANS.GLB".into(),
                    queue_bytes(FileKind::Msttrans, &self.server.msttrans),
                ));
            }
            for (path, bytes) in files {
                out.push(Sample::new(format!("{}/{path}", po.name), bytes));
            }
        }
        out
    }
}
