//! NME external entries resolved through NETPO.GLB, on typed records: the
//! one resolver of the list view (`dump` of an NME file) and of diff's
//! `--key address`.
//!
//! An external entry (type 2) of the POL, its shadow or a PAL holds the byte
//! offset of its NETPO.GLB record (KB Q107767; records at 4 + 43 × n, KB
//! Q77926); the GAL's point into GALNETPO.GLB the same way (glbtool's
//! reconstruction, `docs/formats/nme.md`); a gateway's name list points into
//! the gateway's own address file `GLB\<gw>.GLB`, whose layout is not decoded.
//! [`Pointers::of`] says which file a list's pointers lead into;
//! [`Resolver`] holds that file's records (read once, before anything is
//! shown) and answers [`Resolver::get`] without reading anything.

use std::io::Read;
use std::path::Path;

use glb_formats::error::{Error, Result};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::kind::{Family, FileKind};
use glb_formats::netpo::{self, Galnetpo, Netpo, NetpoRecord};
use glb_formats::nme::{entry_type, NmeRecord};

use crate::postoffice::{Folder, ListName, Postoffice};

/// Where the pointers of an NME list's external entries lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pointers {
    /// Into NETPO.GLB ([`FileKind::Netpo`]) or GALNETPO.GLB ([`FileKind::Galnetpo`]).
    Netpo(FileKind),
    /// Into the gateway's address file `GLB\<name>.GLB`, whose layout is not decoded.
    Gateway(String),
}

impl Pointers {
    /// The file the external entries of an NME list point into: by what the
    /// postoffice calls the list (`list`) when it is known, else by the
    /// file's name alone (`GAL.NME`: GALNETPO.GLB; any other: NETPO.GLB).
    pub fn of(list: Option<&ListName>, file_name: &str) -> Pointers {
        match list {
            Some(ListName::Gateway { name }) => Pointers::Gateway(name.clone()),
            Some(ListName::Gal) => Pointers::Netpo(FileKind::Galnetpo),
            Some(_) => Pointers::Netpo(FileKind::Netpo),
            None => {
                let stem = Path::new(file_name)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Pointers::Netpo(if stem.eq_ignore_ascii_case("GAL") {
                    FileKind::Galnetpo
                } else {
                    FileKind::Netpo
                })
            }
        }
    }

    /// The file's name in the postoffice's GLB folder: `NETPO.GLB`,
    /// `GALNETPO.GLB`, or `<gw>.GLB`.
    pub fn file_name(&self) -> String {
        match self {
            Pointers::Netpo(k) => k.file_name().to_string(),
            Pointers::Gateway(gw) => format!("{gw}.GLB"),
        }
    }
}

/// What an external entry's pointer designates in a NETPO file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The pointer is not the start of a record (4 + 43 × n).
    NotARecord,
    /// Record `index` would start there, but the file ends before it.
    PastEnd {
        /// The record index the pointer designates.
        index: u64,
    },
    /// The record the pointer designates.
    Record {
        /// Its index.
        index: u64,
        /// The record.
        record: &'a NetpoRecord,
    },
}

/// The records of one NETPO.GLB or GALNETPO.GLB, held to resolve pointers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolver {
    kind: FileKind,
    records: Vec<NetpoRecord>,
    /// Why the file did not read to its end (its whole records are kept).
    damage: Option<String>,
}

impl Resolver {
    /// The largest NETPO file read to resolve pointers: 16 MiB (about
    /// 390,000 records), held as records in about as much memory.
    pub const LIMIT: u64 = 16 << 20;

    /// A resolver over `records` of a file of `kind`.
    pub fn new(kind: FileKind, records: Vec<NetpoRecord>) -> Self {
        Resolver {
            kind,
            records,
            damage: None,
        }
    }

    /// Reads the records of a NETPO file of `kind` (NETPO.GLB or
    /// GALNETPO.GLB, or a TMPNETPO.GLB) and `size` bytes from `src`. A
    /// damaged end is kept as [`Resolver::damage`], the whole records before
    /// it still resolve; more than [`Resolver::LIMIT`] is refused.
    pub fn read<R: Read>(src: R, kind: FileKind, size: u64) -> Result<Self> {
        if size > Self::LIMIT {
            return Err(Error::Limit {
                message: format!(
                    "{kind} is {size} bytes; glbtool holds at most {} of it to resolve NME pointers",
                    crate::open::human(Self::LIMIT)
                ),
            });
        }
        let src = src.take(Self::LIMIT);
        match kind.family() {
            Family::Galnetpo => Self::read_as::<Galnetpo, _>(src, kind, size),
            Family::Queue
            | Family::ReqConf
            | Family::SrvConf
            | Family::Process
            | Family::Nme
            | Family::Usr
            | Family::Netpo
            | Family::Network
            | Family::Xtn => Self::read_as::<Netpo, _>(src, kind, size),
        }
    }

    fn read_as<F: Format<Record = NetpoRecord>, R: Read>(
        src: R,
        kind: FileKind,
        size: u64,
    ) -> Result<Self> {
        let opts = ReadOptions {
            salvage: true,
            ..ReadOptions::default()
        };
        let mut reader = Reader::<F, R>::new(src, kind, Some(size), opts)?;
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r.record.clone());
        }
        Ok(Resolver {
            kind,
            records,
            damage: reader.salvage_error().map(|e| e.to_string()),
        })
    }

    /// Opens and reads the NETPO file at `path` (its kind from its name,
    /// NETPO.GLB when the name does not say); errors name the path.
    pub fn open(path: &Path) -> Result<Self> {
        let kind = path
            .file_name()
            .and_then(|n| FileKind::from_file_name(&n.to_string_lossy()))
            .filter(|k| matches!(k, FileKind::Netpo | FileKind::Galnetpo))
            .unwrap_or(FileKind::Netpo);
        let (src, size) = crate::open::buffered(path)?;
        let mut r = Self::read(src, kind, size).map_err(|e| Error::in_file(path, e))?;
        r.damage = r.damage.map(|d| format!("{}: {d}", path.display()));
        Ok(r)
    }

    /// The records of the NETPO file the external entries of the NME list
    /// `file_name` in `po` point into ([`Pointers::of`]). `Ok(None)` when
    /// they lead into a gateway's address file, or the postoffice has no
    /// such file; an error, naming the file, when it has one that cannot be
    /// read.
    pub fn for_list(po: &Postoffice, file_name: &str) -> Result<Option<Resolver>> {
        let list = po
            .address_lists()
            .iter()
            .find(|l| l.file_name == file_name)
            .map(|l| &l.name);
        let Pointers::Netpo(kind) = Pointers::of(list, file_name) else {
            return Ok(None);
        };
        let name = kind.file_name();
        let path = match (
            po.find(Folder::Glb, name),
            po.unreadable_entry(Folder::Glb, name),
        ) {
            (Some(f), _) => &f.path,
            (None, Some((p, _))) => p,
            (None, None) => return Ok(None),
        };
        Resolver::open(path).map(Some)
    }

    /// The file's kind (NETPO.GLB or GALNETPO.GLB).
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// Why the file did not read to its end, when it did not.
    pub fn damage(&self) -> Option<&str> {
        self.damage.as_deref()
    }

    /// What byte offset `pointer` designates.
    pub fn get(&self, pointer: u32) -> Target<'_> {
        let Some(index) = netpo::record_index(pointer) else {
            return Target::NotARecord;
        };
        match usize::try_from(index)
            .ok()
            .and_then(|i| self.records.get(i))
        {
            Some(record) => Target::Record { index, record },
            None => Target::PastEnd { index },
        }
    }

    /// The NETPO record an NME entry's address is in: for an external
    /// entry whose pointer designates a record; `None` for any other.
    pub fn address_of(&self, entry: &NmeRecord) -> Option<&NetpoRecord> {
        if entry.entry_type != entry_type::EXTERNAL_USER {
            return None;
        }
        match self.get(entry.pointer) {
            Target::Record { record, .. } => Some(record),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use glb_formats::codepage::CodePage;
    use glb_formats::fields::Text;
    use glb_formats::format::Document;
    use glb_formats::netpo::NetpoHeader;

    use super::*;

    fn record(mbx: &str) -> NetpoRecord {
        NetpoRecord {
            status: 1,
            mailbox: Text::encode(mbx, CodePage::Cp850).unwrap(),
            ..NetpoRecord::default()
        }
    }

    fn bytes(records: &[NetpoRecord]) -> Vec<u8> {
        Document::<Netpo> {
            kind: FileKind::Netpo,
            header: Some(NetpoHeader::default()),
            records: records.to_vec(),
            trailing: vec![],
        }
        .to_bytes()
        .unwrap()
    }

    #[test]
    fn pointers_are_byte_offsets_of_whole_records() {
        // KB Q107767 (byte offset), Q77926 (4-byte header, 43-byte records).
        let b = bytes(&[record("brook"), record("colin")]);
        let r = Resolver::read(&b[..], FileKind::Netpo, b.len() as u64).unwrap();
        assert_eq!(
            r.get(4),
            Target::Record {
                index: 0,
                record: &record("brook")
            }
        );
        assert!(
            matches!(r.get(47), Target::Record { index: 1, record } if record.mailbox.bytes() == b"colin")
        );
        assert_eq!(r.get(90), Target::PastEnd { index: 2 });
        assert_eq!(r.get(46), Target::NotARecord);
        assert_eq!(r.get(0), Target::NotARecord);
        let entry = |entry_type, pointer| NmeRecord {
            entry_type,
            pointer,
            ..NmeRecord::default()
        };
        assert_eq!(
            r.address_of(&entry(entry_type::EXTERNAL_USER, 47)),
            Some(&record("colin"))
        );
        assert_eq!(r.address_of(&entry(entry_type::GROUP, 47)), None);
        assert_eq!(r.address_of(&entry(entry_type::EXTERNAL_USER, 90)), None);
    }

    #[test]
    fn a_damaged_end_keeps_the_whole_records_and_says_why() {
        let mut b = bytes(&[record("brook"), record("colin")]);
        b.truncate(b.len() - 5);
        let r = Resolver::read(&b[..], FileKind::Netpo, b.len() as u64).unwrap();
        assert!(matches!(r.get(4), Target::Record { index: 0, .. }));
        assert_eq!(r.get(47), Target::PastEnd { index: 1 });
        assert!(
            r.damage().is_some_and(|d| d.contains("43")),
            "{:?}",
            r.damage()
        );
    }

    #[test]
    fn which_file_a_lists_pointers_lead_into() {
        assert_eq!(
            Pointers::of(Some(&ListName::Gal), "X.NME"),
            Pointers::Netpo(FileKind::Galnetpo)
        );
        assert_eq!(
            Pointers::of(Some(&ListName::Pol), "ADMIN.NME"),
            Pointers::Netpo(FileKind::Netpo)
        );
        let gw = Pointers::of(
            Some(&ListName::Gateway {
                name: "SMTP".into(),
            }),
            "SMTP.NME",
        );
        assert_eq!(gw.file_name(), "SMTP.GLB");
        assert_eq!(
            Pointers::of(None, "gal.nme"),
            Pointers::Netpo(FileKind::Galnetpo)
        );
        assert_eq!(
            Pointers::of(None, "ADMIN.NME"),
            Pointers::Netpo(FileKind::Netpo)
        );
        assert_eq!(Pointers::of(None, "GAL.NME").file_name(), "GALNETPO.GLB");
    }

    #[test]
    fn more_than_the_limit_is_refused() {
        let e = Resolver::read(&[][..], FileKind::Galnetpo, Resolver::LIMIT + 1).unwrap_err();
        assert!(matches!(e, Error::Limit { .. }), "{e}");
    }
}
