//! Replaying Dir-Sync transactions into address lists.
//!
//! Applying a sequence of transactions (an MSTTRANS.GLB in sync order, a
//! RESYNC.GLB, a SRVTRANS.GLB) gives the address lists the sender believes
//! each postoffice or gateway has. The semantics follow the Import rules
//! documented in KB Q96060, Q96001 and Q159308:
//!
//! - `R TYPE:NET/PO` (or `R TYPE:` for a whole gateway type, `R PROFS:GW/NODE`
//!   for one node) replaces the whole list: it is emptied;
//! - `A alias address` adds an entry (an existing address is `[ 27] Alias already exists`);
//! - `D alias address` deletes it (`[ 29] Alias does not exist` when missing);
//! - `M alias address` modifies it, with the optional continuation line giving
//!   the new alias and address, and template lines replacing the entry's;
//! - `T` and `#` change no entry.
//!
//! Entries are keyed by address ([`Address::key`]: case folded for MS Mail
//! names), lists by `TYPE:NET/PO` for the 10/10/10 types and `TYPE:` for the
//! other (gateway) types. Everything is kept in ordered maps, so replay is
//! O(n log n) and output order is stable.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::import::{self, Address, Command, Transaction};

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

/// Something a replay met that Import would complain about.
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
}

/// Address lists built by replaying transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// The lists, by key.
    pub lists: BTreeMap<ListKey, BTreeMap<EntryKey, Entry>>,
    /// Anomalies met on the way.
    pub events: Vec<Event>,
    /// Transactions applied (excluding `#` and `T`).
    pub applied: u64,
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
fn list_of_replace(addr: &Address<'_>) -> ListKey {
    let mut k = addr.type_upper().into_bytes();
    k.push(b':');
    if addr.address_type.is_elemental() {
        k.extend(addr.body.iter().map(u8::to_ascii_uppercase));
    }
    k
}

fn lossy(b: &[u8]) -> String {
    crate::codepage::active().decode(b)
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

    /// Applies one transaction text with its sync number.
    pub fn apply_text(&mut self, sync: u32, text: &[u8]) {
        let t = import::parse(text);
        self.apply(sync, &t);
    }

    /// Applies one parsed transaction. Transactions with syntax errors that
    /// leave no usable address are recorded as events and skipped.
    pub fn apply(&mut self, sync: u32, t: &Transaction<'_>) {
        let event = |message: u16, list: &[u8], detail: String| Event {
            sync,
            message,
            list: lossy(list),
            detail,
        };
        match t.command {
            Command::Comment | Command::Template => {}
            Command::Replace => {
                if let Some(a) = &t.address {
                    self.lists.insert(list_of_replace(a), BTreeMap::new());
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
                let list = self.lists.entry(lk.clone()).or_default();
                let template: Vec<(Vec<u8>, Vec<u8>)> = t
                    .template_info
                    .iter()
                    .map(|i| (i.prompt.to_vec(), i.value.to_vec()))
                    .collect();
                match t.command {
                    Command::Add => {
                        if list.contains_key(&ek) {
                            self.events.push(event(
                                27,
                                &lk,
                                format!("{} is already in the list", lossy(&ek)),
                            ));
                        }
                        list.insert(
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
                        if list.remove(&ek).is_none() {
                            self.events.push(event(
                                29,
                                &lk,
                                format!("{} is not in the list", lossy(&ek)),
                            ));
                        }
                    }
                    _ => {
                        let Some(mut entry) = list.remove(&ek) else {
                            self.events.push(event(
                                29,
                                &lk,
                                format!("{} is not in the list", lossy(&ek)),
                            ));
                            return;
                        };
                        entry.sync = sync;
                        if !template.is_empty() {
                            entry.template = template;
                        }
                        match &t.modify_target {
                            Some(target) => {
                                entry.alias = target.alias.to_vec();
                                entry.address = raw_address(&target.address);
                                let nlk = list_key(&target.address);
                                self.lists
                                    .entry(nlk)
                                    .or_default()
                                    .insert(target.address.key(), entry);
                            }
                            None => {
                                entry.alias = alias.to_vec();
                                self.lists.entry(lk).or_default().insert(ek, entry);
                            }
                        }
                    }
                }
                self.applied += 1;
            }
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
            d.apply_text(i as u32 + 1, t.as_bytes());
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
