//! Large inputs for benchmarks (`bench/run.sh`, `docs/performance.md`): a
//! server's MSTTRANS.GLB of any size, and pairs of global address lists
//! (GAL.NME) that differ in a given share of entries.
//!
//! Nothing here is committed: the files are made on demand in a temporary
//! directory. They are deterministic for a seed, written in constant memory
//! (one record buffer, a buffered file), and fast (a million transactions in
//! about a second).
//!
//! The transactions are realistic Dir-Sync traffic: each postoffice's export
//! starts with `R NET/PO` and continues with adds; later come deletes and
//! modifies (with the `M` target line), PROFS entries carrying template
//! information lines, SMTP and FAX addresses, a share of entries in the
//! fixed-column layout. Every transaction is valid Import grammar, so
//! `validate` measures the common, clean case. Sync numbers and date stamps
//! increase, as the Dir-Sync server assigns them.
//!
//! The address lists are written in GAL order (`nme::gal_order`) without
//! sorting: names are made in order from sorted parts (`Last, First Innnn`).
//! List B differs from list A in the given share of entries, split evenly
//! between removed entries, added ones and renamed ones (`-2` appended to
//! the name, which keeps the order).

use std::io::{self, Write};

use glb_formats::fields::{Stamp, Text};
use glb_formats::format::Writer;
use glb_formats::hexid::Hexid;
use glb_formats::netpo;
use glb_formats::nme::{entry_type, Nme, NmeRecord};
use glb_formats::queue::{Checksum, Queue, QueueRecord};
use glb_formats::FileKind;

/// A small deterministic generator (SplitMix64). Written here rather than
/// taken from `rand` so that a seed gives the same bytes whatever crate
/// versions are in use: the benchmark files must not change under us.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: unbiased enough for test data, and branch-free.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const NETWORKS: &[&str] = &[
    "POLYNOMIAL",
    "EUCLID",
    "GAUSS",
    "NOETHER",
    "RIEMANN",
    "HILBERT",
];
const PO_STEMS: &[&str] = &[
    "MONTGOMERY",
    "TAYLOR",
    "LAGRANGE",
    "FOURIER",
    "LAPLACE",
    "CAUCHY",
    "ABEL",
    "GALOIS",
    "JACOBI",
    "KUMMER",
    "DEDEKIND",
    "CANTOR",
];
const FIRST: &[&str] = &[
    "Paul", "Bryan", "Mark", "Joseph", "Colin", "Brook", "Ada", "Emmy", "Sofia", "Henri", "Carl",
    "Marie", "Niels", "Grace", "Alan", "Edith", "Kurt", "Olga", "Pierre", "Ruth", "Anna",
    "Bernhard", "Evariste", "Sophie",
];
const LAST: &[&str] = &[
    "Montgomery",
    "Taylor",
    "Lagrange",
    "Maclaurin",
    "Fourier",
    "Laplace",
    "Cauchy",
    "Noether",
    "Kovalevskaya",
    "Poincare",
    "Hopper",
    "Turing",
    "Godel",
    "Germain",
    "Riemann",
    "Dedekind",
];
/// Entries in each postoffice's export (entry `n` lives on postoffice `(n - 1) / PER_OFFICE`).
const PER_OFFICE: u64 = 250;
const CITIES: &[&str] = &[
    "Seattle",
    "Redmond",
    "Turin",
    "Paris",
    "Gottingen",
    "Boston",
];
const PROMPTS: &[&str] = &["Phone:", "Office:", "Dept:", "City//ST//Zip:"];

/// What to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSpec {
    /// Stop after this many transactions.
    pub transactions: Option<u64>,
    /// Stop once the file holds at least this many bytes.
    pub bytes: Option<u64>,
    /// The seed.
    pub seed: u64,
}

/// What was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Made {
    /// Records written.
    pub records: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Makes the texts of a server's transaction stream, one at a time.
struct Traffic {
    rng: Rng,
    seed: u64,
    /// Postoffices announced so far (each export begins with `R`).
    offices: u32,
    /// Entries added so far (mailbox numbers are unique).
    entries: u64,
}

/// Pushes `s` in ASCII upper or lower case.
fn push_case(out: &mut Vec<u8>, s: &str, upper: bool) {
    if upper {
        out.extend(s.bytes().map(|b| b.to_ascii_uppercase()));
    } else {
        out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
    }
}

/// Pushes the decimal digits of `n`.
fn push_num(out: &mut Vec<u8>, n: u64) {
    write!(out, "{n}").expect("writing to memory cannot fail");
}

impl Traffic {
    fn new(seed: u64) -> Traffic {
        Traffic {
            rng: Rng::new(seed),
            seed,
            offices: 0,
            entries: 0,
        }
    }

    /// `NET/PO` of postoffice `i`: a stem and a number, at most 10 characters.
    fn push_postoffice(&self, out: &mut Vec<u8>, i: u32) {
        out.extend_from_slice(NETWORKS[i as usize % NETWORKS.len()].as_bytes());
        out.push(b'/');
        let stem = PO_STEMS[(i as usize / NETWORKS.len()) % PO_STEMS.len()];
        let mut num = Vec::new();
        push_num(&mut num, u64::from(i));
        let keep = 10 - num.len().min(4);
        out.extend_from_slice(&stem.as_bytes()[..stem.len().min(keep)]);
        out.extend_from_slice(&num[num.len().saturating_sub(4)..]);
    }

    /// The alias and address of entry `entry`, in either layout. An entry's
    /// identity comes from its number alone, so a later D or M of the entry
    /// names the same alias and address as its A; `rename` gives the entry a
    /// different alias (the target line of an M).
    fn push_entry(&self, out: &mut Vec<u8>, entry: u64, rename: bool) {
        let mut rng = Rng::new(self.seed ^ entry.wrapping_mul(0xA24B_AED4_963E_E407));
        let first = rng.below(FIRST.len() as u64) as usize;
        let mut last = rng.below(LAST.len() as u64) as usize;
        let columns = rng.chance(8);
        let kind = rng.below(100);
        if rename {
            last = (last + 1 + rng.below(LAST.len() as u64 - 1) as usize) % LAST.len();
        }
        let start = out.len();
        out.extend_from_slice(FIRST[first].as_bytes());
        out.push(b' ');
        out.extend_from_slice(LAST[last].as_bytes());
        if columns {
            // Fixed columns: the alias padded to 30, a space, the type at column 34.
            out.resize(start + 31, b' ');
        } else {
            out.push(b'\t');
        }
        let office = ((entry.max(1) - 1) / PER_OFFICE) as u32;
        match kind {
            0..=71 => {
                out.extend_from_slice(b"PCM:");
                self.push_postoffice(out, office);
                out.push(b'/');
                push_mailbox(out, first, entry);
            }
            72..=85 => {
                out.extend_from_slice(b"SMTP:");
                push_case(out, FIRST[first], false);
                out.push(b'.');
                push_num(out, entry);
                out.extend_from_slice(b"@example.com");
            }
            86..=91 => {
                out.extend_from_slice(b"FAX:");
                out.extend_from_slice(LAST[last].as_bytes());
                out.push(b'~');
                out.extend_from_slice(rng.pick(CITIES).as_bytes());
                out.extend_from_slice(b"~~206 555-");
                push_num(out, 1000 + entry % 9000);
            }
            _ => {
                out.extend_from_slice(b"PROFS:PROFSGW/NODE");
                push_num(out, entry % 100);
                out.push(b'/');
                push_mailbox(out, first, entry);
                out.extend_from_slice(b"\r\n- ");
                out.extend_from_slice(rng.pick(PROMPTS).as_bytes());
                out.extend_from_slice(b"/(206) 555-");
                push_num(out, 1000 + entry % 9000);
            }
        }
    }

    /// The next transaction's text.
    fn next(&mut self, out: &mut Vec<u8>) {
        out.clear();
        if self.entries == u64::from(self.offices) * PER_OFFICE {
            // The next postoffice's export begins: its list replaces any earlier one.
            out.extend_from_slice(b"R PCM:");
            let i = self.offices;
            self.push_postoffice(out, i);
            self.offices += 1;
            return;
        }
        let roll = if self.entries == 0 {
            0
        } else {
            self.rng.below(100)
        };
        let earlier = 1 + self.rng.below(self.entries.max(1));
        match roll {
            0..=79 => {
                out.extend_from_slice(b"A ");
                self.entries += 1;
                self.push_entry(out, self.entries, false);
            }
            80..=89 => {
                out.extend_from_slice(b"D ");
                self.push_entry(out, earlier, false);
            }
            _ => {
                out.extend_from_slice(b"M ");
                self.push_entry(out, earlier, false);
                if out.contains(&b'\n') {
                    // Entries with template lines have their information changed in place.
                    return;
                }
                out.extend_from_slice(b"\r\n \t");
                self.push_entry(out, earlier, true);
            }
        }
    }
}

/// A mailbox name of at most 10 characters, unique through `n`.
fn push_mailbox(out: &mut Vec<u8>, first: usize, n: u64) {
    let stem = FIRST[first];
    push_case(out, &stem[..stem.len().min(4)], false);
    push_num(out, n % 1_000_000);
}

/// Writes an MSTTRANS.GLB of realistic transactions to `out`.
pub fn write_msttrans<W: Write>(out: W, spec: QueueSpec) -> io::Result<Made> {
    let mut w = Writer::<Queue, _>::new(out, FileKind::Msttrans);
    let mut traffic = Traffic::new(spec.seed);
    let mut rec = QueueRecord::default();
    let mut made = Made::default();
    // 1 January 1995, then a few seconds per transaction.
    let mut stamp = 788_918_400u32;
    let limit_records = spec.transactions.unwrap_or(u64::MAX);
    let limit_bytes = spec.bytes.unwrap_or(u64::MAX);
    while made.records < limit_records && made.bytes < limit_bytes {
        traffic.next(&mut rec.text);
        stamp += traffic.rng.below(8) as u32;
        rec.sync = (made.records + 1) as u32;
        rec.date_stamp = Stamp(stamp);
        rec.checksum = Checksum::Auto;
        w.record(&rec).map_err(io::Error::other)?;
        made.records += 1;
        made.bytes += rec.len_on_disk() as u64;
    }
    w.finish().map_err(io::Error::other)?;
    Ok(made)
}

/// What a queue pair holds: how B differs from A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PairMade {
    /// Queue A.
    pub a: Made,
    /// Queue B.
    pub b: Made,
    /// Transactions only in A.
    pub removed: u64,
    /// Transactions only in B.
    pub added: u64,
    /// Transactions in both whose date stamp (and so checksum) differs in B.
    pub changed: u64,
}

/// Writes two MSTTRANS.GLB to `a` and `b` from one transaction stream: B
/// differs from A in `diff_percent` of the transactions, split evenly between
/// ones left out of B, ones left out of A, and ones whose date stamp is an
/// hour later in B. Both stay in sync order. `spec`'s limits apply to A.
pub fn write_msttrans_pair<A: Write, B: Write>(
    a: A,
    b: B,
    spec: QueueSpec,
    diff_percent: f64,
) -> io::Result<PairMade> {
    let mut wa = Writer::<Queue, _>::new(a, FileKind::Msttrans);
    let mut wb = Writer::<Queue, _>::new(b, FileKind::Msttrans);
    let mut traffic = Traffic::new(spec.seed);
    // A generator of its own: the transactions are those of `write_msttrans`.
    let mut roll = Rng::new(spec.seed ^ 0x5EED_D1FF);
    let share = (diff_percent.clamp(0.0, 100.0) / 100.0 * 3e6) as u64;
    let mut rec = QueueRecord::default();
    let mut made = PairMade::default();
    let mut stamp = 788_918_400u32;
    let mut sync = 0u32;
    let limit_records = spec.transactions.unwrap_or(u64::MAX);
    let limit_bytes = spec.bytes.unwrap_or(u64::MAX);
    while made.a.records < limit_records && made.a.bytes < limit_bytes {
        traffic.next(&mut rec.text);
        stamp += traffic.rng.below(8) as u32;
        sync += 1;
        rec.sync = sync;
        rec.date_stamp = Stamp(stamp);
        rec.checksum = Checksum::Auto;
        let r = roll.below(3_000_000);
        let presence = match r {
            r if r < share / 3 => Presence::OnlyA,
            r if r < 2 * (share / 3) => Presence::OnlyB,
            r if r < share => Presence::Renamed,
            _ => Presence::Both,
        };
        if presence != Presence::OnlyB {
            wa.record(&rec).map_err(io::Error::other)?;
            made.a.records += 1;
            made.a.bytes += rec.len_on_disk() as u64;
        }
        match presence {
            Presence::OnlyA => made.removed += 1,
            Presence::OnlyB => made.added += 1,
            Presence::Renamed => {
                rec.date_stamp = Stamp(stamp + 3600);
                made.changed += 1;
            }
            Presence::Both => {}
        }
        if presence != Presence::OnlyA {
            wb.record(&rec).map_err(io::Error::other)?;
            made.b.records += 1;
            made.b.bytes += rec.len_on_disk() as u64;
        }
    }
    wa.finish().map_err(io::Error::other)?;
    wb.finish().map_err(io::Error::other)?;
    Ok(made)
}

/// What list pair to make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListSpec {
    /// Entries in list A.
    pub entries: u64,
    /// Share of entries that differ in list B, in percent (0 to 100).
    pub diff_percent: f64,
    /// The seed.
    pub seed: u64,
}

/// What one list pair holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListsMade {
    /// Entries of list A.
    pub a: u64,
    /// Entries of list B.
    pub b: u64,
    /// Entries only in A (removed in B).
    pub removed: u64,
    /// Entries only in B (added).
    pub added: u64,
    /// Entries renamed in B.
    pub renamed: u64,
}

/// How an entry of the name universe appears in the two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Both,
    OnlyA,
    OnlyB,
    Renamed,
}

/// Writes two GAL.NME lists to `a` and `b`.
pub fn write_gal_pair<A: Write, B: Write>(a: A, b: B, spec: ListSpec) -> io::Result<ListsMade> {
    let mut first: Vec<&str> = FIRST.to_vec();
    let mut last: Vec<&str> = LAST.to_vec();
    let fold = |s: &&str| s.to_ascii_uppercase();
    first.sort_by_key(fold);
    last.sort_by_key(fold);
    // Entries are drawn from a universe a little larger than A (the additions),
    // laid out as last × first × initial × number, which is GAL order.
    // A roll in 0..3,000,000 below `share` changes the entry (a third each way).
    let share = (spec.diff_percent.clamp(0.0, 100.0) / 100.0 * 3e6) as u64;
    let universe = spec.entries + spec.entries * share / 9_000_000 + 1;
    let combos = (last.len() * first.len() * 26) as u64;
    let per_combo = universe.div_ceil(combos).max(1);
    let digits = per_combo.to_string().len().max(4);
    let mut wa = Writer::<Nme, _>::new(a, FileKind::Nme);
    let mut wb = Writer::<Nme, _>::new(b, FileKind::Nme);
    let mut made = ListsMade::default();
    let mut rng = Rng::new(spec.seed);
    let mut name = Vec::with_capacity(40);
    let mut rec = NmeRecord::default();
    let mut i = 0u64;
    while made.a < spec.entries {
        let roll = rng.below(3_000_000);
        let presence = match roll {
            r if r < share / 3 => Presence::OnlyA,
            r if r < 2 * (share / 3) => Presence::OnlyB,
            r if r < share => Presence::Renamed,
            _ => Presence::Both,
        };
        let combo = i / per_combo;
        let number = i % per_combo;
        let l = last[(combo / (first.len() as u64 * 26)) as usize % last.len()];
        let f = first[(combo / 26 % first.len() as u64) as usize];
        let initial = b'A' + (combo % 26) as u8;
        name.clear();
        name.extend_from_slice(l.as_bytes());
        name.extend_from_slice(b", ");
        name.extend_from_slice(f.as_bytes());
        name.extend_from_slice(&[b' ', initial]);
        let n = number.to_string();
        name.resize(name.len() + digits - n.len(), b'0');
        name.extend_from_slice(n.as_bytes());
        rec.entry_type = match i % 50 {
            0 => entry_type::GROUP,
            1..=15 => entry_type::EXTERNAL_USER,
            _ => entry_type::LOCAL_USER,
        };
        rec.tid = (i + 1) as u32;
        rec.pointer = if rec.entry_type == entry_type::EXTERNAL_USER {
            // The start of a NETPO.GLB record.
            (netpo::HEADER_LEN as u32)
                .wrapping_add((i as u32).wrapping_mul(netpo::RECORD_LEN as u32))
        } else {
            (i as u32).wrapping_mul(64)
        };
        rec.hexid = Hexid(0x0001_0000 + i as u32);
        rec.name = Text::from_bytes(&name).map_err(io::Error::other)?;
        if presence != Presence::OnlyB {
            wa.record(&rec).map_err(io::Error::other)?;
            made.a += 1;
        }
        match presence {
            Presence::OnlyA => made.removed += 1,
            Presence::OnlyB => made.added += 1,
            Presence::Renamed => {
                name.extend_from_slice(b"-2");
                rec.name = Text::from_bytes(&name).map_err(io::Error::other)?;
                made.renamed += 1;
            }
            Presence::Both => {}
        }
        if presence != Presence::OnlyA {
            wb.record(&rec).map_err(io::Error::other)?;
            made.b += 1;
        }
        i += 1;
    }
    wa.finish().map_err(io::Error::other)?;
    wb.finish().map_err(io::Error::other)?;
    Ok(made)
}

/// Arguments of `glb-corpus large`: an MSTTRANS.GLB of realistic
/// transactions (`--transactions` or `--bytes`, `--out FILE`), two that
/// differ in some transactions (`--pair`, `--out DIR`), or two GAL.NME
/// lists that differ in some entries (`--gal-entries`, `--out DIR`, written as
/// `DIR/a/GAL.NME` and `DIR/b/GAL.NME`).
#[derive(clap::Args, Debug)]
pub struct LargeArgs {
    /// Stop after this many transactions.
    #[arg(long)]
    pub transactions: Option<u64>,
    /// Stop once the file holds at least this many bytes.
    #[arg(long)]
    pub bytes: Option<u64>,
    /// Entries in each address list (makes a list pair instead of a queue).
    #[arg(long, conflicts_with_all = ["transactions", "bytes"])]
    pub gal_entries: Option<u64>,
    /// Percent of entries (transactions, with --pair) in which B differs from A.
    #[arg(long, default_value_t = 1.0)]
    pub diff_percent: f64,
    /// With --transactions or --bytes: write two MSTTRANS.GLB that differ in
    /// --diff-percent of their transactions, as DIR/a/MSTTRANS.GLB and
    /// DIR/b/MSTTRANS.GLB (`--out DIR`).
    #[arg(long, conflicts_with = "gal_entries")]
    pub pair: bool,
    /// Seed of the deterministic generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (a queue) or directory (a list pair).
    #[arg(long)]
    pub out: std::path::PathBuf,
}

/// A buffered file for writing.
type Out = io::BufWriter<std::fs::File>;

/// Creates `out/a/name` and `out/b/name`, the two files of a pair.
fn pair(out: &std::path::Path, name: &str) -> io::Result<(Out, Out)> {
    let open = |side: &str| -> io::Result<Out> {
        let dir = out.join(side);
        std::fs::create_dir_all(&dir)?;
        let f = std::fs::File::create(dir.join(name))?;
        Ok(io::BufWriter::with_capacity(1 << 20, f))
    };
    Ok((open("a")?, open("b")?))
}

/// Runs `glb-corpus large`; returns what was written.
pub fn run(args: LargeArgs) -> Result<String, String> {
    let out = &args.out;
    if let Some(entries) = args.gal_entries {
        let spec = ListSpec {
            entries,
            diff_percent: args.diff_percent,
            seed: args.seed,
        };
        let m = pair(out, "GAL.NME")
            .and_then(|(a, b)| write_gal_pair(a, b, spec))
            .map_err(|e| format!("writing below {}: {e}", out.display()))?;
        return Ok(format!(
            "wrote {}/a/GAL.NME ({} entries) and {}/b/GAL.NME ({} entries: {} removed, {} added, {} renamed)",
            out.display(),
            m.a,
            out.display(),
            m.b,
            m.removed,
            m.added,
            m.renamed
        ));
    }
    if args.transactions.is_none() && args.bytes.is_none() {
        return Err("large needs --transactions N, --bytes N or --gal-entries N".into());
    }
    let spec = QueueSpec {
        transactions: args.transactions,
        bytes: args.bytes,
        seed: args.seed,
    };
    if args.pair {
        let m = pair(out, "MSTTRANS.GLB")
            .and_then(|(a, b)| write_msttrans_pair(a, b, spec, args.diff_percent))
            .map_err(|e| format!("writing below {}: {e}", out.display()))?;
        return Ok(format!(
            "wrote {}/a/MSTTRANS.GLB ({} transactions, {} bytes) and {}/b/MSTTRANS.GLB ({} transactions, {} bytes: {} only in A, {} only in B, {} changed)",
            out.display(),
            m.a.records,
            m.a.bytes,
            out.display(),
            m.b.records,
            m.b.bytes,
            m.removed,
            m.added,
            m.changed
        ));
    }
    let made = std::fs::File::create(out)
        .and_then(|f| write_msttrans(io::BufWriter::with_capacity(1 << 20, f), spec))
        .map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(format!(
        "wrote {} ({} transactions, {} bytes)",
        out.display(),
        made.records,
        made.bytes
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use glb_formats::format::{ReadOptions, Reader};
    use glb_formats::import;

    fn make(spec: QueueSpec) -> Vec<u8> {
        let mut v = Vec::new();
        write_msttrans(&mut v, spec).unwrap();
        v
    }

    /// `n` transactions from `seed`.
    fn transactions(n: u64, seed: u64) -> QueueSpec {
        QueueSpec {
            transactions: Some(n),
            bytes: None,
            seed,
        }
    }

    /// A reader of the MSTTRANS.GLB `bytes`.
    fn reader(bytes: &[u8]) -> Reader<Queue, &[u8]> {
        Reader::new(
            bytes,
            FileKind::Msttrans,
            Some(bytes.len() as u64),
            ReadOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_queue_pair_differs_in_the_share_asked_and_stays_in_sync_order() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let spec = transactions(30_000, 3);
        let m = write_msttrans_pair(&mut a, &mut b, spec, 3.0).unwrap();
        // A is the stream of write_msttrans less the transactions only in B.
        assert_eq!(m.a.records, 30_000);
        let share = (m.removed + m.added + m.changed) as f64 / 30_000.0;
        assert!((0.02..0.04).contains(&share), "{m:?}");
        for (bytes, n) in [(&a, m.a.records), (&b, m.b.records)] {
            let mut r = reader(bytes);
            let mut last = 0;
            while let Some(rec) = r.next_record().unwrap() {
                assert!(rec.record.sync > last);
                last = rec.record.sync;
            }
            assert_eq!(r.records_read(), n);
        }
    }

    #[test]
    fn same_seed_same_bytes_and_other_seed_other_bytes() {
        let spec = transactions(500, 7);
        assert_eq!(make(spec), make(spec));
        assert_ne!(make(spec), make(QueueSpec { seed: 8, ..spec }));
    }

    #[test]
    fn transactions_are_valid_varied_and_ordered() {
        let bytes = make(transactions(5000, 1));
        let mut r = reader(&bytes);
        let (mut prev_sync, mut prev_stamp) = (0, 0);
        let mut seen = std::collections::BTreeSet::new();
        while let Some(rec) = r.next_record().unwrap() {
            let q = rec.record;
            assert!(q.checksum_ok());
            assert!(q.sync > prev_sync && q.date_stamp.0 >= prev_stamp);
            (prev_sync, prev_stamp) = (q.sync, q.date_stamp.0);
            let t = import::parse(&q.text, glb_formats::CodePage::Cp850);
            assert!(
                t.issues.is_empty(),
                "{:?}: {:?}",
                String::from_utf8_lossy(&q.text),
                t.issues
            );
            seen.insert(format!("{:?}", t.command));
            if let Some(a) = t.address {
                seen.insert(format!("{:?}", a.address_type));
            }
            if !t.template_info.is_empty() {
                seen.insert("template".into());
            }
            if t.modify_target.is_some() {
                seen.insert("target".into());
            }
            if t.layout == import::Layout::Columns && t.alias.is_some() {
                seen.insert("columns".into());
            }
        }
        assert_eq!(r.records_read(), 5000);
        for want in [
            "Replace", "Add", "Delete", "Modify", "Pcm", "Smtp", "Fax", "Profs", "template",
            "target", "columns",
        ] {
            assert!(seen.contains(want), "no {want} in {seen:?}");
        }
    }

    #[test]
    fn byte_limit_stops_just_past_the_size() {
        let bytes = make(QueueSpec {
            transactions: None,
            bytes: Some(100_000),
            seed: 1,
        });
        assert!(bytes.len() >= 100_000 && bytes.len() < 100_000 + 200);
    }

    #[test]
    fn gal_pairs_are_sorted_and_differ_by_the_share_asked() {
        use glb_formats::nme::first_out_of_order;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let spec = ListSpec {
            entries: 20_000,
            diff_percent: 3.0,
            seed: 5,
        };
        let made = write_gal_pair(&mut a, &mut b, spec).unwrap();
        let read = |bytes: &[u8]| {
            glb_formats::Document::<Nme>::from_bytes(bytes, FileKind::Nme, ReadOptions::default())
                .unwrap()
                .records
        };
        let (ra, rb) = (read(&a), read(&b));
        assert_eq!((ra.len() as u64, rb.len() as u64), (made.a, made.b));
        assert_eq!(made.a, 20_000);
        assert_eq!(first_out_of_order(&ra, glb_formats::CodePage::Cp850), None);
        assert_eq!(first_out_of_order(&rb, glb_formats::CodePage::Cp850), None);
        // 3% in all, a third each: removed, added, renamed (give or take chance).
        for n in [made.removed, made.added, made.renamed] {
            assert!((120..=280).contains(&n), "{made:?}");
        }
        let names = |r: &[NmeRecord]| -> std::collections::BTreeSet<Vec<u8>> {
            r.iter().map(|x| x.name.bytes().to_vec()).collect()
        };
        let (na, nb) = (names(&ra), names(&rb));
        assert_eq!(na.len(), ra.len(), "names are unique");
        assert_eq!(
            na.difference(&nb).count() as u64,
            made.removed + made.renamed
        );
        assert_eq!(nb.difference(&na).count() as u64, made.added + made.renamed);
        assert!(ra.iter().all(|r| r.name.bytes().len() <= 30));
    }
}
