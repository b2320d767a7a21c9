//! Scenarios: one documented Dir-Sync failure applied to a healthy network
//! (`glb-corpus network --scenario NAME`). Each starts from the healthy
//! network after `--cycles` cycles; the failure always strikes TAYLOR, the
//! first requestor (postoffice 1).
//!
//! [`Scenario::expected`] lists the finding codes `glbtool doctor` reports
//! on each (`docs/checks.md`); `corpus/README.md` has the same table.

use glb_formats::queue::{Checksum, ResyncHeader};
use glb_formats::FileKind;

use super::files::queue_bytes;
use super::{time, Disturbance, Network, Params, T0_FROM};
use crate::Sample;

/// The postoffice every scenario damages: TAYLOR, the first requestor.
pub const TARGET: usize = 1;
/// Cycles the server's backup is older than the failed disk (restored-backup).
pub const RESTORED_CYCLES_BACK: u32 = 2;
/// Keep Updates, in days, during the purged scenario.
pub const PURGED_KEEP_DAYS: u16 = 1;
/// Cycles the purged requestor stays away: long enough that MSTTRANS entries
/// above its SrvSync are purged (Keep Updates + 2).
pub const PURGED_IDLE_CYCLES: u32 = PURGED_KEEP_DAYS as u32 + 2;
/// Transactions TAYLOR's administrator makes after REQTRANS.GLB is re-created.
pub const BELOW_REQSYNC_CHANGES: usize = 2;
/// The postoffice whose administrator is busiest in error14 and good-resync,
/// so that its ReqSync is the largest: the last postoffice, or the server
/// postoffice when TAYLOR is the last.
pub fn busiest_other(params: &Params) -> usize {
    match params.postoffices.saturating_sub(1) {
        p if p > TARGET => p,
        _ => 0,
    }
}

/// Records missing-names removes from TAYLOR's copy of MONTGOMERY's list.
pub const MISSING_NAMES: usize = 2;

/// A documented failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// RESYNC.GLB whose header numbers come from the requestor being
    /// resynchronised only (Exchange DXA before GlobalMaxSeqInResync, KB Q215505).
    Error14,
    /// RESYNC.GLB made by the KB Q119449 rule.
    GoodResync,
    /// REQTRANS.GLB re-created empty: new changes numbered below REQCONF's
    /// ReqSync (KB Q119014, Q119452).
    ReqtransBelowReqsync,
    /// The server's SRVCONF.GLB and MSTTRANS.GLB restored from an old backup
    /// (KB Q113453, Q96060 Problem 9).
    RestoredBackup,
    /// A requestor away longer than Keep Updates (KB Q108067).
    Purged,
    /// A SrvTx that never reached its requestor.
    LostReply,
    /// A non-empty SRVTRANS.GLB and a leftover SORT0001.GLB (KB Q122750).
    StaleQueue,
    /// One MSTTRANS.GLB record's checksum broken (KB Q103421).
    CorruptRecord,
    /// A truncated NME file (KB Q77926, Q132744).
    WrongSize,
    /// A requestor's USR list lacking names the server has.
    MissingNames,
}

impl Scenario {
    /// Every scenario, in documentation order.
    pub const ALL: [Scenario; 10] = [
        Scenario::Error14,
        Scenario::GoodResync,
        Scenario::ReqtransBelowReqsync,
        Scenario::RestoredBackup,
        Scenario::Purged,
        Scenario::LostReply,
        Scenario::StaleQueue,
        Scenario::CorruptRecord,
        Scenario::WrongSize,
        Scenario::MissingNames,
    ];

    /// The name on the command line and of the corpus folder.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Error14 => "error14",
            Scenario::GoodResync => "good-resync",
            Scenario::ReqtransBelowReqsync => "reqtrans-below-reqsync",
            Scenario::RestoredBackup => "restored-backup",
            Scenario::Purged => "purged",
            Scenario::LostReply => "lost-reply",
            Scenario::StaleQueue => "stale-queue",
            Scenario::CorruptRecord => "corrupt-record",
            Scenario::WrongSize => "wrong-size",
            Scenario::MissingNames => "missing-names",
        }
    }

    /// The finding codes `glbtool doctor` reports on the scenario's network
    /// (empty: none).
    pub fn expected(self) -> &'static [&'static str] {
        match self {
            Scenario::Error14 => &["GLB014"],
            Scenario::GoodResync => &[],
            Scenario::ReqtransBelowReqsync => &["GLB171"],
            Scenario::RestoredBackup => &["GLB138"],
            Scenario::Purged => &["GLB139"],
            Scenario::LostReply => &["GLB341"],
            Scenario::StaleQueue => &["GLB330", "GLB331"],
            Scenario::CorruptRecord => &["GLB304"],
            Scenario::WrongSize => &["GLB303"],
            Scenario::MissingNames => &["GLB350"],
        }
    }

    /// One line on what is wrong.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::Error14 => "TAYLOR/GLB/RESYNC.GLB whose IMPSEQ, REQSEQ and SRVSEQ are the highest numbers of the requestor being resynchronised (TAYLOR, the one named in ResyncConnectionRDNs) instead of all requestors', as Exchange DXA made them before GlobalMaxSeqInResync (KB Q215505): REQSEQ is TAYLOR's ReqSync, below the largest ReqSync in SRVCONF.GLB (another postoffice's)",
            Scenario::GoodResync => "TAYLOR/GLB/RESYNC.GLB made by the KB Q119449 rule: REQSEQ the largest ReqSync over SRVCONF.GLB, SRVSEQ the server postoffice's record, IMPSEQ the largest import count",
            Scenario::ReqtransBelowReqsync => "TAYLOR's REQTRANS.GLB re-created empty, then two changes numbered 1 and 2, below REQCONF ReqSync: T1 will not send them (KB Q119014, Q119452)",
            Scenario::RestoredBackup => "the server's SRVCONF.GLB and MSTTRANS.GLB restored from the backup of two cycles earlier: the requestors' SrvSync is above the highest MSTTRANS number (KB Q113453, Q96060 Problem 9)",
            Scenario::Purged => "Keep Updates set to 1 day, then TAYLOR's Dispatch stopped for three cycles: MSTTRANS entries above TAYLOR's SrvSync are purged (KB Q108067)",
            Scenario::LostReply => "one more cycle in which the server processed TAYLOR's ReqTx (SRVCONF advanced) but the SrvTx never arrived: TAYLOR's REQCONF and REQTRANS are a cycle behind",
            Scenario::StaleQueue => "one more cycle in which TAYLOR's Import stopped after updating the lists, leaving SRVTRANS.GLB full and its sort file SORT0001.GLB behind (KB Q122750)",
            Scenario::CorruptRecord => "one record of MSTTRANS.GLB with a checksum that no longer matches its bytes (KB Q96060, Q103421)",
            Scenario::WrongSize => "TAYLOR/NME/GAL.NME cut in the middle of its last record, so its size is not a multiple of 45 (KB Q77926, Q132744)",
            Scenario::MissingNames => "TAYLOR's USR list of MONTGOMERY lacks two names that the server has",
        }
    }

    /// The scenario named `name`.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Runs the healthy cycles and then the failure.
    pub fn simulate(self, params: &Params) -> Result<Network, String> {
        if params.postoffices < 2 {
            return Err(format!(
                "scenario {} needs a requestor besides the server: --postoffices 2 or more",
                self.name()
            ));
        }
        if params.cycles == 0 {
            return Err(format!(
                "scenario {} needs a healthy network first: --cycles 1 or more",
                self.name()
            ));
        }
        let mut net = Network::new(params.clone());
        if self == Scenario::RestoredBackup {
            net.backup();
        }
        let last = params.cycles;
        for c in 1..=last {
            let mut d = Disturbance::default();
            if c == last && matches!(self, Scenario::Error14 | Scenario::GoodResync) {
                // So that another postoffice holds the largest ReqSync and
                // taking TAYLOR's numbers alone makes a difference.
                d.busiest = Some(busiest_other(params));
            }
            net.run_cycle(&d);
        }
        let day = net.today();
        match self {
            Scenario::Error14 | Scenario::GoodResync => {
                let header = if self == Scenario::GoodResync {
                    net.server.resync_header()
                } else {
                    // ResyncConnectionRDNs named TAYLOR, the requestor being
                    // resynchronised: DXA took the highest numbers from its
                    // record alone (KB Q215505).
                    let named = [&net.server.records[TARGET]];
                    ResyncHeader {
                        impseq: named.iter().map(|r| r.impsync).max().unwrap_or(0),
                        reqseq: named.iter().map(|r| r.reqsync).max().unwrap_or(0),
                        srvseq: named.iter().map(|r| r.srvsync).max().unwrap_or(0),
                    }
                };
                let records = net.server.resync(header, time(day, T0_FROM));
                net.postoffices[TARGET].extra.push((
                    "GLB/RESYNC.GLB".into(),
                    queue_bytes(FileKind::Resync, &records),
                ));
            }
            Scenario::ReqtransBelowReqsync => {
                let po = &mut net.postoffices[TARGET];
                po.reqtrans.clear();
                for j in 0..BELOW_REQSYNC_CHANGES {
                    let at = time(day, T0_FROM + 30 * j as u32);
                    po.admin_change(&mut net.rng, at);
                }
            }
            Scenario::RestoredBackup => {
                let back = RESTORED_CYCLES_BACK.min(last) as usize;
                let (header, records, msttrans) =
                    net.server.backups[net.server.backups.len() - 1 - back].clone();
                net.server.header = header;
                net.server.records = records;
                net.server.msttrans = msttrans;
            }
            Scenario::Purged => {
                net.server.header.keep_updates = PURGED_KEEP_DAYS;
                let d = Disturbance {
                    idle: [TARGET].into(),
                    ..Disturbance::default()
                };
                for _ in 0..PURGED_IDLE_CYCLES {
                    net.run_cycle(&d);
                }
            }
            Scenario::LostReply => net.run_cycle(&Disturbance {
                lost_reply: Some(TARGET),
                ..Disturbance::default()
            }),
            Scenario::StaleQueue => net.run_cycle(&Disturbance {
                interrupted_import: Some(TARGET),
                ..Disturbance::default()
            }),
            Scenario::CorruptRecord => {
                let mst = &mut net.server.msttrans;
                let i = mst.len() / 2;
                let r = &mut mst[i];
                r.checksum = Checksum::Stored(r.computed_checksum() ^ 0x5A5A);
            }
            Scenario::WrongSize => {}
            Scenario::MissingNames => {
                let key = net.postoffices[0].own_list();
                let po = &mut net.postoffices[TARGET];
                let po_list = po.received.lists.get_mut(&key).expect("MONTGOMERY's list");
                let tids = &po.received_tids;
                let mut newest: Vec<Vec<u8>> = po_list.keys().cloned().collect();
                newest.sort_by_key(|k| std::cmp::Reverse(tids[k]));
                for k in newest.into_iter().take(MISSING_NAMES) {
                    po_list.remove(&k);
                }
                po.rebuild_gal();
            }
        }
        Ok(net)
    }

    /// Damage done to the written files rather than to the model.
    pub fn edit_files(self, net: &Network, files: &mut [Sample]) {
        if self == Scenario::WrongSize {
            let path = format!("{}/NME/GAL.NME", net.postoffices[TARGET].name);
            let gal = files
                .iter_mut()
                .find(|f| f.path == path)
                .expect("TAYLOR has a GAL");
            let cut = gal.bytes.len() - glb_formats::nme::RECORD_LEN / 2;
            gal.bytes.truncate(cut);
        }
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scenario::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
            format!("unknown scenario `{s}`; known: {}", names.join(", "))
        })
    }
}
