//! A Dir-Sync network simulator (`glb-corpus network`): one Dir-Sync server
//! postoffice and N-1 requestors of the POLYNOMIAL network, run through the
//! daily cycle of KB Q96060 and written out as postoffice directories.
//!
//! The model (see `docs/simulator.md`):
//!
//! * **T0** administrators add, rename and delete users; each change goes into
//!   the postoffice's ADMIN.NME and is appended to REQTRANS.GLB with the next
//!   ReqSync number.
//! * **T1** (`NSDA -RT`) each postoffice hands the server a ReqTx: the REQTRANS
//!   transactions above its REQCONF ReqSync, with ReqSync, SrvSync and the
//!   import count as in the ReqTx subject. No mail transport is modelled: the
//!   message goes straight to the server's in-tray.
//! * **T2** (`NSDA -S`) the server rejects transactions numbered less than its
//!   stored ReqSync for the requestor (KB Q96060's wording), appends the rest
//!   (one numbered equal to it, sent again after a lost reply, included) to
//!   MSTTRANS.GLB with new server
//!   numbers, updates SRVCONF.GLB, and answers each requestor with the
//!   MSTTRANS entries above the SrvSync it sent (everything, as a full import,
//!   to a requestor that sent ReqSync 0 and SrvSync 0); then MSTTRANS entries
//!   older than Keep Updates are purged by date stamp.
//! * **T3** (`NSDA -RR`) each requestor checks the echoed ReqSync, trims
//!   REQTRANS.GLB to the dummy transaction, stores the new SrvSync, and imports
//!   the reply through SRVTRANS.GLB (empty again afterwards) into its USR lists
//!   and gateway name lists; the GAL is rebuilt when the files are written.
//!
//! Everything is deterministic for a given seed: the random choices come from
//! [`rng::Rng`], every time stamp from a fixed calendar starting Monday 14
//! February 1994 (UTC), one cycle per day.

pub mod files;
pub mod people;
pub mod rng;
pub mod scenario;

use std::collections::{BTreeMap, BTreeSet};

use glb_dirsync::replay::{self, Directory};
use glb_formats::fields::{Stamp, Text};
use glb_formats::format::{Document, ReadOptions};
use glb_formats::import::{self, Address, Command};
use glb_formats::netpo::NetpoRecord;
use glb_formats::nme::NmeRecord;
use glb_formats::queue::{Queue, QueueRecord, ResyncHeader};
use glb_formats::reqconf::{ReqConf, NO_POINTER};
use glb_formats::srvconf::{RequestorRecord, SrvConfHeader};
use glb_formats::{CodePage, FileKind};

use crate::samples::config::utc;
use people::{Person, NETWORK, PROFS_GATEWAY, PROFS_NODES};
use rng::Rng;
pub use scenario::Scenario;

/// Seconds in a day.
pub const DAY: u32 = 86_400;
/// Minutes after midnight when administrators set the postoffices up (day 0).
pub const SETUP_AT: u32 = 8 * 60;
/// Administrators' changes fall between 09:00 and 19:00.
pub const T0_FROM: u32 = 9 * 60;
/// See [`T0_FROM`].
pub const T0_SPAN: u32 = 10 * 60;
/// T1 runs at 22:00 on the day of the changes (the KB Q119590 sample schedule).
pub const T1_AT: u32 = 22 * 60;
/// T2 runs at 01:00 the next day.
pub const T2_AT: u32 = 60;
/// T3 runs at 03:00 the next day.
pub const T3_AT: u32 = 3 * 60;
/// Keep Updates of a new server, in days (the default KB Q257740 suggests).
pub const KEEP_UPDATES: u16 = 14;
/// The address types every requestor asks for.
pub const TYPES: &str = "PCM|PROFS|SMTP|FAX";
/// The gateways whose names arrive in `NME\<TYPE>.NME` lists.
pub const GATEWAY_LISTS: [&str; 2] = ["SMTP", "FAX"];

/// Monday 14 February 1994 00:00:00 UTC: day 0 of every simulation.
pub fn epoch() -> Stamp {
    utc(1994, 2, 14, 0, 0, 0)
}

/// The time `minutes` after midnight on simulation day `day`.
pub fn time(day: u32, minutes: u32) -> Stamp {
    Stamp(epoch().0 + day * DAY + minutes * 60)
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Postoffices, the server included (at least 1).
    pub postoffices: usize,
    /// Users each postoffice starts with (at least 1).
    pub users: usize,
    /// Healthy Dir-Sync cycles before any scenario.
    pub cycles: u32,
    /// Seed of every random choice.
    pub seed: u64,
    /// A failure to apply to the healthy network.
    pub scenario: Option<Scenario>,
}

impl Params {
    /// The network of the committed corpus: 3 postoffices, 4 users each,
    /// 3 cycles, seed 1.
    pub fn committed() -> Params {
        Params {
            postoffices: 3,
            users: 4,
            cycles: 3,
            seed: 1,
            scenario: None,
        }
    }
}

/// A local user. Users are kept in creation order, which is their
/// ACCESS2.GLB record order; deleted users keep their place.
#[derive(Debug, Clone)]
pub struct User {
    /// Mailbox and friendly name.
    pub person: Person,
    /// The user's hexid (`<hexid>.MBG`).
    pub hexid: u32,
    /// The address's TID.
    pub tid: u32,
    /// Deleted by the administrator.
    pub deleted: bool,
}

/// A postoffice group.
#[derive(Debug, Clone)]
pub struct Group {
    /// The group's mailbox and name.
    pub person: Person,
    /// Its TID (also the name of its `MEM\<tid>.MEM` file).
    pub tid: u32,
}

/// A gateway address the postoffice's administrator defined.
#[derive(Debug, Clone)]
pub struct GatewayAddress {
    /// Friendly name.
    pub name: String,
    /// `TYPE:address`.
    pub address: String,
    /// TID.
    pub tid: u32,
}

/// Something with a mailbag hexid: an external postoffice, a gateway, a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbag {
    /// Its name.
    pub name: String,
    /// Its hexid.
    pub hexid: u32,
}

/// One postoffice: its own users and its view of the rest of the network.
#[derive(Debug, Clone)]
pub struct Postoffice {
    /// Postoffice name.
    pub name: String,
    /// Local users in creation order.
    pub users: Vec<User>,
    /// Postoffice groups.
    pub groups: Vec<Group>,
    /// Gateway addresses defined here.
    pub gateway_addresses: Vec<GatewayAddress>,
    mailboxes: BTreeSet<String>,
    next_hexid: u32,
    next_tid: u32,
    /// Hexid of the POLYNOMIAL network's XTN file.
    pub xtn: u32,
    /// The other postoffices, in network order.
    pub remotes: Vec<Mailbag>,
    /// The PROFS gateway (name and mailbag) and the hexid of its node list.
    pub profs: Mailbag,
    /// Hexid of the PROFS gateway's XTN file.
    pub profs_xtn: u32,
    /// The PROFS nodes.
    pub nodes: Vec<Mailbag>,
    /// The SMTP and FAX gateways.
    pub gateways: Vec<Mailbag>,
    /// REQCONF.GLB.
    pub reqconf: ReqConf,
    /// REQTRANS.GLB.
    pub reqtrans: Vec<QueueRecord>,
    /// SRVTRANS.GLB (empty unless an Import was interrupted).
    pub srvtrans: Vec<QueueRecord>,
    /// The lists Dir-Sync brought: every list but this postoffice's own.
    pub received: Directory,
    /// TIDs of received entries, allocated on arrival.
    pub received_tids: BTreeMap<Vec<u8>, u32>,
    /// When Dispatch last ran here.
    pub clock: Stamp,
    /// Further files a scenario leaves (path below the postoffice, bytes).
    pub extra: Vec<(String, Vec<u8>)>,
    /// GAL.NME and GALNETPO.GLB as REBUILD last made them (at T3).
    pub gal: (Vec<NmeRecord>, Vec<NetpoRecord>),
}

/// The server's own state: SRVCONF.GLB, MSTTRANS.GLB and its database.
#[derive(Debug, Clone)]
pub struct Server {
    /// SRVCONF.GLB header.
    pub header: SrvConfHeader,
    /// SRVCONF.GLB requestor records, the server postoffice first.
    pub records: Vec<RequestorRecord>,
    /// MSTTRANS.GLB.
    pub msttrans: Vec<QueueRecord>,
    /// Every accepted transaction replayed, never purged: the server's
    /// address lists, which a full import or RESYNC.GLB sends.
    pub database: Directory,
    /// SRVCONF and MSTTRANS after each cycle (index 0: before the first),
    /// kept when a scenario restores a backup.
    pub backups: Vec<(SrvConfHeader, Vec<RequestorRecord>, Vec<QueueRecord>)>,
}

/// A requestor's message to the server at T1 (`$SYSTEM ReqTx`).
#[derive(Debug, Clone)]
pub struct ReqTx {
    /// Index of the sending postoffice.
    pub from: usize,
    /// R: the last transaction sent (the old ReqSync when nothing is sent).
    pub reqsync: u32,
    /// "was": REQCONF ReqSync.
    pub was: u32,
    /// S: REQCONF SrvSync.
    pub srvsync: u32,
    /// I: imports requested so far.
    pub imports: u32,
    /// The transactions.
    pub records: Vec<QueueRecord>,
}

impl ReqTx {
    /// The message subject, in the form KB Q96060 documents.
    pub fn subject(&self) -> String {
        format!(
            "$SYSTEM ReqTx R={} (was {}), S = {}, I = {} {} sent",
            self.reqsync,
            self.was,
            self.srvsync,
            self.imports,
            self.records.len()
        )
    }
}

/// The server's reply at T2 (`$SYSTEM SrvTx`).
#[derive(Debug, Clone)]
pub struct SrvTx {
    /// Index of the receiving postoffice.
    pub to: usize,
    /// R: the ReqSync the server now holds for the requestor.
    pub reqsync: u32,
    /// S: the new SrvSync.
    pub srvsync: u32,
    /// "was": the SrvSync the requestor sent.
    pub was: u32,
    /// I: the import count.
    pub imports: u32,
    /// The transactions.
    pub records: Vec<QueueRecord>,
}

impl SrvTx {
    /// The message subject, in the form KB Q96060 documents.
    pub fn subject(&self) -> String {
        format!(
            "$SYSTEM SrvTx R={} S={} (was {}), I = {} {} sent",
            self.reqsync,
            self.srvsync,
            self.was,
            self.imports,
            self.records.len()
        )
    }
}

/// What goes wrong in one cycle (nothing, in a healthy cycle).
#[derive(Debug, Clone, Default)]
pub struct Disturbance {
    /// Postoffices whose Dispatch does not run (no T1, no T3).
    pub idle: BTreeSet<usize>,
    /// A postoffice whose SrvTx never arrives.
    pub lost_reply: Option<usize>,
    /// A postoffice whose Import stops before emptying SRVTRANS.GLB and
    /// removing its sort file.
    pub interrupted_import: Option<usize>,
    /// A postoffice whose administrator makes enough extra changes that its
    /// ReqSync ends above every other requestor's.
    pub busiest: Option<usize>,
}

/// The simulated network.
pub struct Network {
    /// What was asked for.
    pub params: Params,
    /// The postoffices; index 0 is the server postoffice.
    pub postoffices: Vec<Postoffice>,
    /// The server's files and database.
    pub server: Server,
    /// Cycles run so far.
    pub cycle: u32,
    /// What the Dir-Sync programs would have logged, in DIRSYNC.LOG style.
    pub log: Vec<String>,
    rng: Rng,
}

/// `s` in code page 850 (every simulated name is).
fn cp850(s: &str) -> Vec<u8> {
    CodePage::Cp850
        .encode(s)
        .unwrap_or_else(|c| panic!("{c:?} in {s:?} is not in code page 850"))
}

/// A text field holding `s` in code page 850.
fn text<const N: usize>(s: &str) -> Text<N> {
    Text::encode(s, CodePage::Cp850).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// `PCM:NET/PO/mailbox`.
pub fn pcm_address(postoffice: &str, mailbox: &str) -> String {
    format!("PCM:{NETWORK}/{postoffice}/{mailbox}")
}

impl Postoffice {
    fn new(index: usize, names: &[String], params: &Params, rng: &mut Rng) -> Postoffice {
        let name = names[index].clone();
        let mut po = Postoffice {
            name: name.clone(),
            users: Vec::new(),
            groups: Vec::new(),
            gateway_addresses: Vec::new(),
            mailboxes: BTreeSet::new(),
            next_hexid: 1,
            next_tid: 0x100,
            xtn: 0,
            remotes: Vec::new(),
            profs: Mailbag {
                name: PROFS_GATEWAY.into(),
                hexid: 0,
            },
            profs_xtn: 0,
            nodes: Vec::new(),
            gateways: Vec::new(),
            reqconf: ReqConf::default(),
            reqtrans: Vec::new(),
            srvtrans: Vec::new(),
            received: Directory::new(),
            received_tids: BTreeMap::new(),
            clock: time(0, SETUP_AT),
            extra: Vec::new(),
            gal: (Vec::new(), Vec::new()),
        };
        // Hexids from CONTROL.GLB's nmailbag counter (KB Q87388), in the order
        // the administrator created things: the network, the other
        // postoffices, the gateways and their nodes, then the users.
        po.xtn = po.hexid();
        for (i, other) in names.iter().enumerate() {
            if i != index {
                let hexid = po.hexid();
                po.remotes.push(Mailbag {
                    name: other.clone(),
                    hexid,
                });
            }
        }
        po.profs.hexid = po.hexid();
        po.profs_xtn = po.hexid();
        for node in PROFS_NODES {
            let hexid = po.hexid();
            po.nodes.push(Mailbag {
                name: node.into(),
                hexid,
            });
        }
        for gw in GATEWAY_LISTS {
            let hexid = po.hexid();
            po.gateways.push(Mailbag {
                name: gw.into(),
                hexid,
            });
        }
        let mut people = people::known_people(&name);
        people.truncate(params.users);
        po.mailboxes
            .extend(people.iter().map(|p| p.mailbox.to_ascii_lowercase()));
        while people.len() < params.users {
            people.push(people::new_person(rng, &mut po.mailboxes));
        }
        for person in people {
            po.add_user(person);
        }
        let group_name = if index == 0 {
            "Polynomial Staff".to_string()
        } else {
            format!("{} Staff", people::title(&name))
        };
        let tid = po.tid();
        po.groups.push(Group {
            person: Person {
                mailbox: "staff".into(),
                name: group_name,
            },
            tid,
        });
        po.mailboxes.insert("staff".into());
        for (name, address) in people::gateway_addresses(index, &po.name) {
            let tid = po.tid();
            po.gateway_addresses
                .push(GatewayAddress { name, address, tid });
        }
        let setup = time(0, SETUP_AT);
        po.reqconf = ReqConf {
            server_network: text(NETWORK),
            server_postoffice: text(people::SERVER),
            last_export: setup,
            srvtrans_pointer: NO_POINTER,
            usrtrans_pointer: NO_POINTER,
            gwtrans_pointer: NO_POINTER,
            nmetrans_pointer: NO_POINTER,
            types: text(TYPES),
            local_network: text(NETWORK),
            local_postoffice: text(&name),
            ..ReqConf::default()
        };
        // Config, Dir-Sync, Requestor, Export: the whole postoffice list,
        // starting with the R transaction (the LISTQ sample of KB Q96060).
        po.append(format!("R PCM:{NETWORK}/{name}"), setup);
        let mut export = Vec::new();
        for u in &po.users {
            export.push(po.add_text(&u.person));
        }
        for g in &po.groups {
            export.push(po.add_text(&g.person));
        }
        for a in &po.gateway_addresses {
            export.push(format!("A {}\t{}", a.name, a.address));
        }
        for t in export {
            po.append(t, setup);
        }
        po.rebuild_gal();
        po
    }

    fn hexid(&mut self) -> u32 {
        self.next_hexid += 1;
        self.next_hexid - 1
    }

    fn tid(&mut self) -> u32 {
        self.next_tid += 1;
        self.next_tid - 1
    }

    fn add_user(&mut self, person: Person) -> usize {
        let hexid = self.hexid();
        let tid = self.tid();
        self.users.push(User {
            person,
            hexid,
            tid,
            deleted: false,
        });
        self.users.len() - 1
    }

    fn add_text(&self, p: &Person) -> String {
        format!("A {}\t{}", p.name, pcm_address(&self.name, &p.mailbox))
    }

    /// This postoffice's own list key, `PCM:NET/PO`.
    pub fn own_list(&self) -> Vec<u8> {
        format!("PCM:{NETWORK}/{}", self.name)
            .to_ascii_uppercase()
            .into_bytes()
    }

    /// Address keys of the gateway addresses defined here.
    pub fn own_gateway_keys(&self) -> BTreeSet<Vec<u8>> {
        self.gateway_addresses
            .iter()
            .map(|a| Address::parse(a.address.as_bytes()).key())
            .collect()
    }

    /// The number the next REQTRANS transaction gets: one above the last
    /// (1 in an empty file, KB Q133428).
    pub fn next_reqsync(&self) -> u32 {
        self.reqtrans.last().map_or(0, |r| r.sync) + 1
    }

    /// Appends a transaction to REQTRANS.GLB (T0).
    pub fn append(&mut self, text: String, at: Stamp) {
        let sync = self.next_reqsync();
        self.reqtrans
            .push(QueueRecord::new(sync, at, &cp850(&text)));
    }

    /// Active local users.
    pub fn active_users(&self) -> impl Iterator<Item = (usize, &User)> {
        self.users.iter().enumerate().filter(|(_, u)| !u.deleted)
    }

    /// One administrator change at time `at`.
    fn admin_change(&mut self, rng: &mut Rng, at: Stamp) {
        let active: Vec<usize> = self.active_users().map(|(i, _)| i).collect();
        let roll = rng.below(100);
        if roll < 40 || active.is_empty() || (roll >= 70 && active.len() < 2) {
            let person = people::new_person(rng, &mut self.mailboxes);
            let t = self.add_text(&person);
            self.add_user(person);
            self.append(t, at);
        } else if roll < 70 {
            let i = *rng.pick(&active);
            let old = self.users[i].person.name.clone();
            let new = people::renamed(rng, &old);
            let address = pcm_address(&self.name, &self.users[i].person.mailbox);
            self.users[i].person.name = new.clone();
            // MS Mail always writes the second line (KB Q159308).
            self.append(format!("M {old}\t{address}\r\n \t{new}\t{address}"), at);
        } else {
            let i = *rng.pick(&active);
            self.users[i].deleted = true;
            let p = &self.users[i].person;
            let t = format!("D {}\t{}", p.name, pcm_address(&self.name, &p.mailbox));
            self.append(t, at);
        }
    }

    /// T1: the ReqTx for the server.
    pub fn send(&self, index: usize) -> ReqTx {
        let pending: Vec<QueueRecord> = self
            .reqtrans
            .iter()
            .filter(|r| r.sync > self.reqconf.reqsync && !r.text.starts_with(b"#"))
            .cloned()
            .collect();
        ReqTx {
            from: index,
            reqsync: pending.last().map_or(self.reqconf.reqsync, |r| r.sync),
            was: self.reqconf.reqsync,
            srvsync: self.reqconf.srvsync,
            imports: self.reqconf.impsync,
            records: pending,
        }
    }

    /// T3: REQMAIN -R takes the reply, then IMPORT -Q applies SRVTRANS.GLB.
    /// With `interrupted`, Import stops after updating the lists, before it
    /// empties SRVTRANS.GLB and removes its sort file.
    pub fn receive(&mut self, tx: &SrvTx, at: Stamp, interrupted: bool, log: &mut Vec<String>) {
        if tx.imports < self.reqconf.impsync {
            log.push(format!(
                "{}: {} rejected as old Dir-Sync mail (import count {} < {})",
                self.name,
                tx.subject(),
                tx.imports,
                self.reqconf.impsync
            ));
            return;
        }
        if tx.reqsync >= self.reqconf.reqsync {
            // Keep the dummy with the confirmed number, and anything newer.
            let newer: Vec<QueueRecord> = self
                .reqtrans
                .iter()
                .filter(|r| r.sync > tx.reqsync)
                .cloned()
                .collect();
            self.reqtrans = vec![QueueRecord::ack_dummy(tx.reqsync, at)];
            self.reqtrans.extend(newer);
            self.reqconf.reqsync = tx.reqsync;
        } else {
            log.push(format!(
                "{}: echoed ReqSync {} is below REQCONF's {}; REQTRANS kept",
                self.name, tx.reqsync, self.reqconf.reqsync
            ));
        }
        self.reqconf.srvsync = tx.srvsync;
        self.reqconf.impsync = tx.imports;
        // REQMAIN -R writes SRVTRANS.GLB; Import reads it back.
        let mut doc = Document::<Queue>::new(FileKind::Srvtrans);
        doc.records = tx.records.clone();
        let bytes = doc.to_bytes().expect("SrvTx records are valid");
        let srvtrans =
            Document::<Queue>::from_bytes(&bytes, FileKind::Srvtrans, ReadOptions::default())
                .expect("SRVTRANS.GLB as written reads back");
        let own = self.own_list();
        let own_gateway = self.own_gateway_keys();
        let before = self.received.events.len();
        for r in &srvtrans.records {
            let t = import::parse(&r.text, glb_formats::CodePage::Cp850);
            let Some(list) = replay::transaction_list(&t) else {
                continue;
            };
            let own_entry = matches!(t.command, Command::Add | Command::Delete | Command::Modify)
                && t.address
                    .as_ref()
                    .is_some_and(|a| own_gateway.contains(&a.key()));
            if list == own || own_entry {
                // [ 66] Local postoffice transaction ignored.
                continue;
            }
            self.received.apply(r.sync, &t);
        }
        for e in &self.received.events[before..] {
            log.push(format!(
                "{}: IMPORT [{:3}] {} ({})",
                self.name, e.message, e.detail, e.list
            ));
        }
        self.allocate_received_tids();
        if interrupted {
            self.srvtrans = srvtrans.records;
            self.extra
                .push(("GLB/SORT0001.GLB".into(), self.sort_file_bytes()));
        }
    }

    /// The sort file an interrupted Import leaves: the SRVTRANS.GLB
    /// transactions bound for USRTRANS (postoffice and 10/10/10 gateway
    /// names), in arrival order. The real contents are undocumented; this
    /// one uses the queue record format.
    fn sort_file_bytes(&self) -> Vec<u8> {
        let records: Vec<QueueRecord> = self
            .srvtrans
            .iter()
            .filter(|r| {
                let t = import::parse(&r.text, glb_formats::CodePage::Cp850);
                t.address.is_some_and(|a| a.address_type.is_elemental())
            })
            .cloned()
            .collect();
        let mut doc = Document::<Queue>::new(FileKind::Srvtrans);
        doc.records = records;
        doc.to_bytes().expect("valid records")
    }

    /// Gives every newly arrived entry a TID and forgets deleted ones (a
    /// re-created address gets a new TID, KB Q87404).
    fn allocate_received_tids(&mut self) {
        let present: BTreeSet<Vec<u8>> = self
            .received
            .lists
            .values()
            .flat_map(|l| l.keys().cloned())
            .collect();
        self.received_tids.retain(|k, _| present.contains(k));
        for k in present {
            if !self.received_tids.contains_key(&k) {
                let tid = self.tid();
                self.received_tids.insert(k, tid);
            }
        }
    }
}

impl Server {
    fn new(names: &[String]) -> Server {
        let records = names
            .iter()
            .map(|n| RequestorRecord {
                name: text(&format!("PCM:{NETWORK}/{n}")),
                types: text(TYPES),
                ..RequestorRecord::default()
            })
            .collect();
        Server {
            header: SrvConfHeader {
                admin_mailbox: text("ADMIN"),
                keep_updates: KEEP_UPDATES,
                ..SrvConfHeader::default()
            },
            records,
            msttrans: Vec::new(),
            database: Directory::new(),
            backups: Vec::new(),
        }
    }

    /// The whole database as transactions: `R` then `A` for every list, in
    /// list order, numbered from 1 (what a full import or RESYNC.GLB holds).
    pub fn dump(&self, at: Stamp) -> Vec<QueueRecord> {
        let mut out = Vec::new();
        let mut push = |t: Vec<u8>| {
            let sync = out.len() as u32 + 1;
            out.push(QueueRecord::new(sync, at, &t));
        };
        for (list, entries) in &self.database.lists {
            let mut r = b"R ".to_vec();
            r.extend_from_slice(list);
            push(r);
            for e in entries.values() {
                let mut a = b"A ".to_vec();
                a.extend_from_slice(&e.alias);
                a.push(b'\t');
                a.extend_from_slice(&e.address);
                push(a);
            }
        }
        out
    }

    /// RESYNC.GLB: the header transaction, then the whole database (KB Q119449).
    pub fn resync(&self, header: ResyncHeader, at: Stamp) -> Vec<QueueRecord> {
        let mut out = vec![QueueRecord::resync_header(header, at)];
        out.extend(self.dump(at));
        out
    }

    /// The RESYNC header IMPORT -S makes: REQSEQ the largest ReqSync over all
    /// SRVCONF records, SRVSEQ the server postoffice's own record, IMPSEQ the
    /// largest import count (KB Q119449, Q215505).
    pub fn resync_header(&self) -> ResyncHeader {
        ResyncHeader {
            impseq: self.records.iter().map(|r| r.impsync).max().unwrap_or(0),
            reqseq: self.records.iter().map(|r| r.reqsync).max().unwrap_or(0),
            srvseq: self.records.first().map_or(0, |r| r.srvsync),
        }
    }

    /// T2: SRVMAIN -R then SRVMAIN -T, then the Keep Updates purge.
    fn process(
        &mut self,
        inbox: &[ReqTx],
        names: &[String],
        now: Stamp,
        log: &mut Vec<String>,
    ) -> Vec<SrvTx> {
        self.header.cycle += 1;
        let cycle = self.header.cycle;
        for tx in inbox {
            let rec = &mut self.records[tx.from];
            let mut accepted = 0;
            // KB Q96060, T2: "Any transactions that are numbered less than
            // the stored ReqSync number are rejected as old information, and
            // the remaining transactions are added to the MSTTRANS.GLB file."
            for r in tx.records.iter().filter(|r| r.sync >= rec.reqsync) {
                self.header.highest_srvsync += 1;
                let m = QueueRecord::new(self.header.highest_srvsync, now, &r.text);
                self.database
                    .apply_text(m.sync, &m.text, glb_formats::CodePage::Cp850);
                self.msttrans.push(m);
                accepted += 1;
            }
            if accepted < tx.records.len() {
                log.push(format!(
                    "SERVER: {} old transactions from {} rejected",
                    tx.records.len() - accepted,
                    names[tx.from]
                ));
            }
            rec.reqsync = rec.reqsync.max(tx.reqsync);
            rec.last_cycle = cycle;
            rec.last_update = now;
        }
        let highest = self.header.highest_srvsync;
        let mut replies = Vec::new();
        for tx in inbox {
            let import = tx.was == 0 && tx.srvsync == 0;
            let (records, imports) = if import {
                (self.dump(now), self.records[tx.from].impsync + 1)
            } else {
                let from = tx.srvsync + 1;
                let first = self.msttrans.first().map(|m| m.sync);
                if tx.srvsync > highest {
                    log.push(format!(
                        "SERVER: Error [138] Server sync does not exist anymore ({}) for {}",
                        tx.srvsync, names[tx.from]
                    ));
                } else if tx.srvsync < highest && !matches!(first, Some(f) if f <= from) {
                    let to = first.map_or(highest, |f| f - 1);
                    log.push(format!(
                        "SERVER: Error [138] Server sync does not exist anymore ({}); Error [139] Number of missing transactions = {} ({}->{}) for {}",
                        tx.srvsync,
                        to + 1 - from,
                        from,
                        to,
                        names[tx.from]
                    ));
                }
                let records = self
                    .msttrans
                    .iter()
                    .filter(|m| m.sync > tx.srvsync)
                    .cloned()
                    .collect();
                (records, self.records[tx.from].impsync)
            };
            let rec = &mut self.records[tx.from];
            let srvsync = if import {
                highest
            } else {
                tx.srvsync.max(highest)
            };
            rec.srvsync = srvsync;
            rec.impsync = imports;
            replies.push(SrvTx {
                to: tx.from,
                reqsync: rec.reqsync,
                srvsync,
                was: tx.srvsync,
                imports,
                records,
            });
        }
        // Keep Updates: entries whose date stamp is older than the kept days go.
        let keep = u32::from(self.header.keep_updates) * DAY;
        self.msttrans
            .retain(|m| m.date_stamp.0.saturating_add(keep) >= now.0);
        replies
    }
}

impl Network {
    /// The network as the administrators set it up on day 0, before any cycle.
    pub fn new(params: Params) -> Network {
        let n = params.postoffices.max(1);
        let names: Vec<String> = (0..n).map(people::postoffice_name).collect();
        let mut rng = Rng::new(params.seed);
        let postoffices = (0..n)
            .map(|i| Postoffice::new(i, &names, &params, &mut rng))
            .collect();
        Network {
            params,
            postoffices,
            server: Server::new(&names),
            cycle: 0,
            log: Vec::new(),
            rng,
        }
    }

    /// Postoffice names in network order.
    pub fn names(&self) -> Vec<String> {
        self.postoffices.iter().map(|p| p.name.clone()).collect()
    }

    /// Runs one cycle: T0 at every postoffice, T1, T2, T3.
    pub fn run_cycle(&mut self, d: &Disturbance) {
        self.cycle += 1;
        let day = self.cycle - 1;
        let names = self.names();
        // T0: every administrator makes at least one change a day.
        let most = (self.params.users / 20).max(2);
        for p in 0..self.postoffices.len() {
            let n = self.rng.between(1, most);
            for j in 0..n {
                let at = time(day, T0_FROM + j as u32 * T0_SPAN / n as u32);
                self.postoffices[p].admin_change(&mut self.rng, at);
            }
        }
        if let Some(b) = d.busiest {
            let others = self
                .postoffices
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != b)
                .map(|(_, p)| p.next_reqsync() - 1)
                .chain(self.server.records.iter().map(|r| r.reqsync))
                .max()
                .unwrap_or(0);
            let at = time(day, T0_FROM + T0_SPAN);
            while self.postoffices[b].next_reqsync() - 1 <= others {
                self.postoffices[b].admin_change(&mut self.rng, at);
            }
        }
        // T1.
        let inbox: Vec<ReqTx> = (0..self.postoffices.len())
            .filter(|p| !d.idle.contains(p))
            .map(|p| self.postoffices[p].send(p))
            .collect();
        // T2.
        let replies = self
            .server
            .process(&inbox, &names, time(day + 1, T2_AT), &mut self.log);
        // T3.
        let t3 = time(day + 1, T3_AT);
        for tx in &replies {
            let po = &mut self.postoffices[tx.to];
            if d.lost_reply == Some(tx.to) {
                self.log
                    .push(format!("{}: {} never arrived", po.name, tx.subject()));
                continue;
            }
            po.receive(tx, t3, d.interrupted_import == Some(tx.to), &mut self.log);
        }
        // REBUILD -F ends every T3 run.
        for (i, po) in self.postoffices.iter_mut().enumerate() {
            if !d.idle.contains(&i) {
                po.clock = t3;
                po.rebuild_gal();
            }
        }
        if !self.server.backups.is_empty() {
            self.backup();
        }
    }

    /// Keeps a copy of SRVCONF and MSTTRANS (call before the first cycle to
    /// keep one after every cycle).
    pub fn backup(&mut self) {
        let s = &self.server;
        let copy = (s.header.clone(), s.records.clone(), s.msttrans.clone());
        self.server.backups.push(copy);
    }

    /// Runs `cycles` healthy cycles.
    pub fn run_healthy(&mut self, cycles: u32) {
        for _ in 0..cycles {
            self.run_cycle(&Disturbance::default());
        }
    }

    /// The simulation day after the last cycle (when scenarios act).
    pub fn today(&self) -> u32 {
        self.cycle
    }
}

/// Simulates `params` (the healthy cycles, then the scenario, if any) and
/// returns the network.
pub fn simulate(params: &Params) -> Result<Network, String> {
    if params.postoffices == 0 {
        return Err("a network needs at least one postoffice (the Dir-Sync server)".into());
    }
    if params.users == 0 {
        return Err("every postoffice needs at least one user".into());
    }
    match params.scenario {
        None => {
            let mut net = Network::new(params.clone());
            net.run_healthy(params.cycles);
            Ok(net)
        }
        Some(s) => s.simulate(params),
    }
}

/// Simulates `params` and returns every file, paths below the output
/// directory (`MONTGOMERY/GLB/SRVCONF.GLB`, ...).
pub fn generate(params: &Params) -> Result<Vec<crate::Sample>, String> {
    let net = simulate(params)?;
    let mut files = net.files();
    if let Some(s) = params.scenario {
        s.edit_files(&net, &mut files);
    }
    Ok(files)
}

/// True when `dir` holds only postoffice folders (each with nothing but
/// `GLB`, `NME`, `USR` and `XTN` folders): an earlier simulated network.
fn is_simulated_network(dir: &std::path::Path) -> std::io::Result<bool> {
    for po in std::fs::read_dir(dir)? {
        let po = po?;
        if !po.file_type()?.is_dir() {
            return Ok(false);
        }
        for f in std::fs::read_dir(po.path())? {
            let f = f?;
            let name = f.file_name().to_string_lossy().to_ascii_uppercase();
            if !f.file_type()?.is_dir() || !["GLB", "NME", "USR", "XTN"].contains(&name.as_str()) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Writes a network's files below `dir`. `dir` must not exist or be empty;
/// with `force` it may also hold an earlier simulated network, which is
/// removed first (anything else is refused, never deleted).
pub fn write_network(
    dir: &std::path::Path,
    files: &[crate::Sample],
    force: bool,
) -> Result<(), String> {
    let shown = dir.display();
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| format!("{shown}: {e}"))?
            .next()
            .is_none();
        if !empty {
            let ours = is_simulated_network(dir).map_err(|e| format!("{shown}: {e}"))?;
            if !force {
                return Err(format!(
                    "{shown} is not empty{}",
                    if ours {
                        "; --force replaces the simulated network in it"
                    } else {
                        ""
                    }
                ));
            }
            if !ours {
                return Err(format!(
                    "{shown} holds files that are not a simulated network; not replacing it"
                ));
            }
            std::fs::remove_dir_all(dir).map_err(|e| format!("removing {shown}: {e}"))?;
        }
    }
    crate::write_all(dir, files).map_err(|e| format!("writing below {shown}: {e}"))
}
