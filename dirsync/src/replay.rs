//! Replaying Dir-Sync transactions into address lists.
//!
//! Applying a sequence of transactions (an MSTTRANS.GLB in sync order, a
//! RESYNC.GLB, a SRVTRANS.GLB) gives the address lists the sender believes
//! each postoffice or gateway has. The semantics follow the Import rules
//! documented in KB Q96060, Q96001 and Q159308:
//!
//! - `R TYPE:NET/PO` (or `R TYPE:` for a whole gateway type, `R PROFS:GW/NODE`
//!   for one node) replaces the whole list: it is emptied;
//! - `A alias address` adds an entry;
//! - `D alias address` deletes it;
//! - `M alias address` modifies it, with the optional continuation line giving
//!   the new alias and address, and template lines replacing the entry's;
//! - `T` and `#` change no entry.
//!
//! A transaction that changes nothing is recorded as an [`Event`] and
//! changes nothing here either: one Import rejects for breaking its rules
//! (KB Q96001 to Q96004; `validate` reports the same transaction with the
//! same message), an `A` onto an address already in the list or an `M`
//! onto another entry's address (`[ 27] Alias already exists`), a `D` or
//! `M` of an address the list lacks (`[ 29] Alias does not exist`).
//!
//! Entries are keyed by address ([`Address::key`]: case folded for MS Mail
//! names), lists by `TYPE:NET/PO` for the 10/10/10 types and `TYPE:` for the
//! other (gateway) types. Everything is kept in ordered maps, so replay is
//! O(n log n) and output order is stable.

use std::collections::{BTreeMap, BTreeSet};

use glb_formats::import::{self, Address, Command, Transaction};
use serde::Serialize;

/// The key of one address list: `PCM:NET/PO`, `PROFS:GW/NODE`, `SMTP:`.
pub type ListKey = Vec<u8>;
/// The key of one entry inside a list: the canonical address.
pub type EntryKey = Vec<u8>;

/// One address-list entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Entry {
    /// The alias (friendly name), raw code-page bytes.
    pub alias: Vec<u8>,
    /// The address as last written (`TYPE:body`), raw bytes.
    pub address: Vec<u8>,
    /// Template information lines: (prompt, value).
    pub template: Vec<(Vec<u8>, Vec<u8>)>,
    /// Sync number of the transaction that last set this entry.
    pub sync: u32,
}

/// A transaction a replay met that changed no list, as Import would
/// report it: rejected for breaking Import's rules, or without effect
/// (`[ 27] Alias already exists`, `[ 29] Alias does not exist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Sync number of the transaction.
    pub sync: u32,
    /// The Import message it corresponds to.
    pub message: u16,
    /// The list concerned.
    pub list: String,
    /// What happened.
    pub detail: String,
    /// The `validate` finding that reports the same transaction (`GLB020`
    /// for `[ 20]`), when validate reports it from the text alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// What to do about it, with its source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The most a replay, or a requestor's lists read to compare with it,
/// holds: list entries, addresses remembered as removed, lists and events
/// together. Each costs a few hundred bytes in memory (about 600 with the
/// comparison's own copy), so this keeps a comparison or a `resync` within
/// about 100 MB; beyond it they stop with [`too_much`] instead of exhausting
/// memory. A Dir-Sync network's lists hold far fewer entries.
pub const MAX_HELD: usize = 150_000;

/// The error for a replay or a comparison that would hold more than
/// [`MAX_HELD`] items: `what` says what was being read and where it stopped,
/// `needed_for` what holding them is for.
pub fn too_much(what: &str, needed_for: &str) -> glb_formats::Error {
    glb_formats::Error::Limit {
        message: format!(
            "{what}: more than {MAX_HELD} address-list entries (with the removed addresses and the transactions that changed nothing), the most glbtool holds in memory to {needed_for}; it stops here rather than exhaust memory (dump and validate read the file in constant memory)"
        ),
    }
}

/// Address lists built by replaying transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// The lists, by key.
    pub lists: BTreeMap<ListKey, BTreeMap<EntryKey, Entry>>,
    /// Transactions that changed no list (rejected, or without effect).
    pub events: Vec<Event>,
    /// Transactions applied (excluding `#` and `T`).
    pub applied: u64,
    /// The lists an `R` replaced: from that `R` on, the replay holds the
    /// whole list. A list no `R` named holds only what the transactions
    /// replayed added (all of it when they start at the first, not when
    /// older ones were purged).
    pub replaced: BTreeSet<ListKey>,
    /// For each list, the addresses a `D` (or an `M` to another address)
    /// took out since its last `R`, and not added again, with the alias
    /// they had: a requestor that still holds one missed that transaction.
    pub removed: BTreeMap<ListKey, BTreeMap<EntryKey, Vec<u8>>>,
    /// Set when older transactions may be missing (a purged MSTTRANS.GLB):
    /// in a list no `R` replaced, a `D` or `M` of an address the replay has
    /// not seen is no error (its `A` was purged). The `D` marks the address
    /// removed; the `M` proves the entry exists with its new name and
    /// address.
    pub partial: bool,
}

/// The list an address belongs to: `TYPE:NET/PO` for 10/10/10 types (the first
/// two elements), `TYPE:` for the others.
pub fn list_key(addr: &Address<'_>) -> ListKey {
    let mut k = addr.type_upper().into_bytes();
    k.push(b':');
    if addr.address_type.is_elemental() {
        let mut parts = addr.body.splitn(3, |&b| b == b'/');
        if let Some(net) = parts.next() {
            k.extend(net.iter().map(u8::to_ascii_uppercase));
        }
        if let Some(po) = parts.next() {
            k.push(b'/');
            k.extend(po.iter().map(u8::to_ascii_uppercase));
        }
    }
    k
}

/// The list a `R` or `T` transaction names (its address is the list itself).
pub fn list_of_replace(addr: &Address<'_>) -> ListKey {
    let mut k = addr.type_upper().into_bytes();
    k.push(b':');
    if addr.address_type.is_elemental() {
        k.extend(addr.body.iter().map(u8::to_ascii_uppercase));
    }
    k
}

/// The list a transaction touches: for `R` and `T` the list it names,
/// otherwise the list its address belongs to.
pub fn transaction_list(t: &Transaction<'_>) -> Option<ListKey> {
    let a = t.address.as_ref()?;
    Some(match t.command {
        Command::Replace | Command::Template => list_of_replace(a),
        _ => list_key(a),
    })
}

/// The event for a transaction Import rejects: its first rejecting issue,
/// with validate's code and fix, the others named in the detail.
fn rejection(sync: u32, t: &Transaction<'_>) -> Option<Event> {
    let mut rejecting = t.issues.iter().filter(|i| i.rejects());
    let first = rejecting.next()?;
    let mut detail = format!("Import rejects the transaction: {}", first.detail);
    for i in rejecting {
        detail.push_str(&format!("; also {} {}", i.bracketed(), i.detail));
    }
    let source = glb_formats::messages::message(first.message).map_or("KB Q96001", |m| m.source);
    Some(Event {
        sync,
        message: first.message,
        list: transaction_list(t)
            .map(|k| t.codepage.decode(&k))
            .unwrap_or_default(),
        detail,
        code: Some(crate::check::import_code(first.message)),
        fix: Some(format!("{} ({source})", import::REJECTED_FIX)),
    })
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries over all lists.
    pub fn entry_count(&self) -> usize {
        self.lists.values().map(BTreeMap::len).sum()
    }

    /// What the replay holds, as [`MAX_HELD`] counts it: lists, their
    /// entries, the addresses remembered as removed, and the events. It
    /// walks the lists: callers check it every few thousand transactions.
    pub fn held(&self) -> usize {
        self.lists.len()
            + self.entry_count()
            + self.removed.len()
            + self.removed.values().map(BTreeMap::len).sum::<usize>()
            + self.events.len()
    }

    /// [`too_much`] when the replay holds more than [`MAX_HELD`]; `what`
    /// names the file and where the replay is (called only when needed).
    pub fn check_held(
        &self,
        what: impl FnOnce() -> String,
        needed_for: &str,
    ) -> glb_formats::Result<()> {
        if self.held() > MAX_HELD {
            return Err(too_much(&what(), needed_for));
        }
        Ok(())
    }

    /// Applies one transaction text (in code page `cp`) with its sync number.
    pub fn apply_text(&mut self, sync: u32, text: &[u8], cp: glb_formats::codepage::CodePage) {
        let t = import::parse(text, cp);
        self.apply(sync, &t);
    }

    /// Applies one parsed transaction. A transaction Import rejects (an
    /// issue other than `[ 16] Unknown address type`, KB Q96001 to Q96004)
    /// changes no list and is recorded as an event; so are an `A` onto an
    /// address the list holds and an `M` onto another entry's address
    /// (`[ 27] Alias already exists`), and a `D` or `M` of an address the
    /// list lacks (`[ 29] Alias does not exist`).
    pub fn apply(&mut self, sync: u32, t: &Transaction<'_>) {
        let event = |message: u16, list: &[u8], detail: String| Event {
            sync,
            message,
            list: t.codepage.decode(list),
            detail,
            code: None,
            fix: None,
        };
        if t.command == Command::Comment {
            return;
        }
        if let Some(e) = rejection(sync, t) {
            self.events.push(e);
            return;
        }
        match t.command {
            Command::Comment | Command::Template => {}
            Command::Replace => {
                if let Some(a) = &t.address {
                    let key = list_of_replace(a);
                    self.removed.remove(&key);
                    self.replaced.insert(key.clone());
                    self.lists.insert(key, BTreeMap::new());
                    self.applied += 1;
                }
            }
            Command::Add | Command::Delete | Command::Modify => {
                let (Some(alias), Some(addr)) = (t.alias, t.address.as_ref()) else {
                    self.events.push(event(
                        21,
                        b"",
                        "transaction without alias or address skipped".into(),
                    ));
                    return;
                };
                let lk = list_key(addr);
                let ek = addr.key();
                let template: Vec<(Vec<u8>, Vec<u8>)> = t
                    .template_info
                    .iter()
                    .map(|i| (i.prompt.to_vec(), i.value.to_vec()))
                    .collect();
                let held = self.lists.get(&lk).is_some_and(|l| l.contains_key(&ek));
                match t.command {
                    Command::Add => {
                        if held {
                            self.events.push(event(
                                27,
                                &lk,
                                format!(
                                    "{} is already in the list: the A changes nothing",
                                    t.codepage.decode(&ek)
                                ),
                            ));
                            return;
                        }
                        self.unremove(&lk, &ek);
                        self.lists.entry(lk).or_default().insert(
                            ek,
                            Entry {
                                alias: alias.to_vec(),
                                address: raw_address(addr),
                                template,
                                sync,
                            },
                        );
                    }
                    Command::Delete => {
                        if !held && self.unseen_is_purged(&lk) {
                            self.removed
                                .entry(lk.clone())
                                .or_default()
                                .insert(ek.clone(), alias.to_vec());
                        } else if !held {
                            self.events.push(event(
                                29,
                                &lk,
                                format!("{} is not in the list", t.codepage.decode(&ek)),
                            ));
                            return;
                        }
                        self.take(&lk, &ek);
                    }
                    _ => {
                        if !held && self.unseen_is_purged(&lk) {
                            // The entry's A was purged: the M proves it.
                            self.lists.entry(lk.clone()).or_default().insert(
                                ek.clone(),
                                Entry {
                                    alias: alias.to_vec(),
                                    address: raw_address(addr),
                                    template: Vec::new(),
                                    sync,
                                },
                            );
                        } else if !held {
                            self.events.push(event(
                                29,
                                &lk,
                                format!("{} is not in the list", t.codepage.decode(&ek)),
                            ));
                            return;
                        }
                        let (nlk, nek) = match &t.modify_target {
                            Some(target) => (list_key(&target.address), target.address.key()),
                            None => (lk.clone(), ek.clone()),
                        };
                        if nek != ek && self.lists.get(&nlk).is_some_and(|l| l.contains_key(&nek)) {
                            self.events.push(event(
                                27,
                                &nlk,
                                format!(
                                    "the M moves {} onto {}, which another entry holds: the M changes nothing",
                                    t.codepage.decode(&ek),
                                    t.codepage.decode(&nek)
                                ),
                            ));
                            return;
                        }
                        let mut entry = self.take(&lk, &ek).expect("held");
                        entry.sync = sync;
                        if !template.is_empty() {
                            entry.template = template;
                        }
                        match &t.modify_target {
                            Some(target) => {
                                entry.alias = target.alias.to_vec();
                                entry.address = raw_address(&target.address);
                            }
                            None => entry.alias = alias.to_vec(),
                        }
                        self.unremove(&nlk, &nek);
                        self.lists.entry(nlk).or_default().insert(nek, entry);
                    }
                }
                self.applied += 1;
            }
        }
    }

    /// True when an address the replay has not seen in list `list` may
    /// have been added by a purged transaction.
    fn unseen_is_purged(&self, list: &[u8]) -> bool {
        self.partial && !self.replaced.contains(list)
    }

    /// Takes an entry out of its list, remembering its address as removed.
    fn take(&mut self, list: &[u8], entry: &[u8]) -> Option<Entry> {
        let e = self.lists.get_mut(list)?.remove(entry)?;
        self.removed
            .entry(list.to_vec())
            .or_default()
            .insert(entry.to_vec(), e.alias.clone());
        Some(e)
    }

    /// An address is in its list again.
    fn unremove(&mut self, list: &[u8], entry: &[u8]) {
        if let Some(r) = self.removed.get_mut(list) {
            r.remove(entry);
        }
    }
}

/// `TYPE:body` as written (the type defaulted to PCM when omitted).
fn raw_address(a: &Address<'_>) -> Vec<u8> {
    let mut v = match a.type_name {
        Some(t) => t.to_vec(),
        None => b"PCM".to_vec(),
    };
    v.push(b':');
    v.extend_from_slice(a.body);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(txs: &[&str]) -> Directory {
        let mut d = Directory::new();
        for (i, t) in txs.iter().enumerate() {
            d.apply_text(
                i as u32 + 1,
                t.as_bytes(),
                glb_formats::codepage::CodePage::Cp850,
            );
        }
        d
    }

    fn names(d: &Directory, list: &str) -> Vec<String> {
        d.lists[list.as_bytes()]
            .values()
            .map(|e| String::from_utf8_lossy(&e.alias).into_owned())
            .collect()
    }

    #[test]
    fn replace_empties_only_its_own_list() {
        let d = replay(&[
            "A Paul\tPCM:POLY/MONT/paul",
            "A Brook\tPCM:POLY/TAYLOR/brook",
            "R PCM:POLY/MONT",
            "A Mark\tPCM:POLY/MONT/mark",
        ]);
        assert_eq!(names(&d, "PCM:POLY/MONT"), vec!["Mark"]);
        assert_eq!(names(&d, "PCM:POLY/TAYLOR"), vec!["Brook"]);
    }

    #[test]
    fn add_delete_modify() {
        let d = replay(&[
            "R PCM:POLY/MONT",
            "A Paul\tPCM:POLY/MONT/paul",
            "A apple\tPCM:POLY/MONT/apple",
            "D apple\tPCM:POLY/MONT/apple",
            "M Paul\tpcm:poly/mont/PAUL\r\n \tPaul Montgomery\tPCM:POLY/MONT/paul\r\n- Phone:/555",
        ]);
        let list = &d.lists[&b"PCM:POLY/MONT"[..]];
        assert_eq!(list.len(), 1);
        let e = &list[&b"PCM:POLY/MONT/PAUL"[..]];
        assert_eq!(e.alias, b"Paul Montgomery");
        assert_eq!(e.template, vec![(b"Phone:".to_vec(), b"555".to_vec())]);
        assert_eq!(e.sync, 5);
        assert!(d.events.is_empty(), "{:?}", d.events);
    }

    #[test]
    fn anomalies_become_events() {
        let d = replay(&[
            "D Ghost\tPCM:N/P/ghost",
            "A Joe\tPCM:N/P/joe",
            "A Joe\tPCM:N/P/joe",
        ]);
        let codes: Vec<u16> = d.events.iter().map(|e| e.message).collect();
        assert_eq!(codes, vec![29, 27]);
        assert_eq!(d.applied, 1);
    }

    /// Issue 14 point 5: `[ 27] Alias already exists` means the transaction
    /// changed nothing (KB Q96001): an `A` onto an address the list holds
    /// keeps the entry it found; an `M` onto another entry's address leaves
    /// both entries as they were.
    #[test]
    fn a_transaction_logged_as_27_changes_nothing() {
        let d = replay(&[
            "A Joe\tPCM:N/P/joe",
            "A Joseph\tPCM:N/P/JOE",
            "A Ann\tPCM:N/P/ann",
            "M Joe\tPCM:N/P/joe\r\n \tJoe\tPCM:N/P/ann",
        ]);
        let list = &d.lists[&b"PCM:N/P"[..]];
        let held: Vec<(&[u8], &[u8])> = list
            .values()
            .map(|e| (e.address.as_slice(), e.alias.as_slice()))
            .collect();
        assert_eq!(
            held,
            vec![(&b"PCM:N/P/ann"[..], &b"Ann"[..]), (b"PCM:N/P/joe", b"Joe")]
        );
        assert_eq!(list[&b"PCM:N/P/JOE"[..]].sync, 1);
        let codes: Vec<(u32, u16)> = d.events.iter().map(|e| (e.sync, e.message)).collect();
        assert_eq!(codes, vec![(2, 27), (4, 27)]);
    }

    /// Issue 14 point 4: a transaction Import rejects (KB Q96001 to Q96004)
    /// changes no list; it is one event with validate's code and fix.
    #[test]
    fn a_transaction_import_rejects_changes_no_list() {
        let d = replay(&[
            "R PCM:N/P",
            "A Joe\tPCM:N/P/joe",
            "A Ann\tPCM:N/P/ann",
            // [ 20] an element over 10 characters, and [ 71] a dot.
            "A Al\tPCM:N/P/alexanderthe.great",
            // [ 72] a fullname over 30 characters.
            "A Abcdefghijklmnopqrstuvwxyzabcde\tPCM:N/P/abc",
            // [ 26] an R with a mailbox: not a list.
            "R PCM:N/P/x",
            // [ 23] a new-entry line whose column 2 is not white space.
            "M Joe\tPCM:N/P/joe\r\n Joseph\tPCM:N/P/joe",
            // [ 71] the D's mailbox is not alphanumeric.
            "D Ann\tPCM:N/P/an.n",
            // [ 16] an undocumented type is a warning: applied.
            "A Wang\tWANG:node/w",
        ]);
        let names: Vec<&[u8]> = d.lists[&b"PCM:N/P"[..]]
            .values()
            .map(|e| e.alias.as_slice())
            .collect();
        assert_eq!(names, vec![&b"Ann"[..], b"Joe"]);
        assert_eq!(d.lists[&b"WANG:"[..]].len(), 1);
        let got: Vec<(u32, u16, Option<&str>)> = d
            .events
            .iter()
            .map(|e| (e.sync, e.message, e.code))
            .collect();
        assert_eq!(
            got,
            vec![
                (4, 20, Some("GLB020")),
                (5, 72, Some("GLB072")),
                (6, 26, Some("GLB026")),
                (7, 23, Some("GLB023")),
                (8, 71, Some("GLB071")),
            ]
        );
        assert!(
            d.events[0].detail.contains("[ 71]"),
            "{}",
            d.events[0].detail
        );
        assert!(d.events.iter().all(|e| e.fix.as_deref().is_some_and(
            |f| f.starts_with("correct the entry in ADMIN at the postoffice that owns it")
        )));
        assert_eq!(d.events[0].list, "PCM:N/P");
    }

    #[test]
    fn what_a_replay_proves_about_lists_it_never_replaced() {
        let d = replay(&[
            "A Joe\tPCM:N/P/joe",
            "A Ann\tPCM:N/P/ann",
            "D Ann\tPCM:N/P/ann",
            "M Joe\tPCM:N/P/joe\r\n \tJoe\tPCM:N/P/jo",
            "R PCM:N/Q",
            "A Bob\tPCM:N/Q/bob",
            "D Bob\tPCM:N/Q/bob",
            "A Bob\tPCM:N/Q/bob",
        ]);
        assert!(d.replaced.contains(&b"PCM:N/Q"[..]));
        assert!(!d.replaced.contains(&b"PCM:N/P"[..]));
        let removed: Vec<&[u8]> = d.removed[&b"PCM:N/P"[..]]
            .keys()
            .map(Vec::as_slice)
            .collect();
        assert_eq!(removed, vec![&b"PCM:N/P/ANN"[..], b"PCM:N/P/JOE"]);
        assert!(d.removed[&b"PCM:N/Q"[..]].is_empty(), "Bob was added again");
    }

    #[test]
    fn gateway_addresses_live_in_their_type_list() {
        let d = replay(&[
            "A Sales\tSMTP:sales@example.com",
            "A Fax\tFAX:J~S~A~1",
            "R SMTP:",
        ]);
        assert!(d.lists[&b"SMTP:"[..]].is_empty());
        assert_eq!(d.lists[&b"FAX:"[..]].len(), 1);
    }
}
