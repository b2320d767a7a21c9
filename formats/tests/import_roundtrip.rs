//! Property tests for the Import grammar (docs/formats/import.md):
//! text -> transaction -> text.
//!
//! Canonical text (built here from the documented rules, independently of
//! `Transaction::to_text`) parses to the parts it was built from and writes
//! back byte for byte; any other text writes back in canonical form, which is
//! then a fixed point (`glb_formats::invariants::import_text`).

use glb_formats::import::{self, Command, Layout};
use glb_formats::invariants;
use proptest::prelude::*;

/// Characters of names and values: printable, no tab, CR or LF (which are
/// separators), plus a few CP850 letters.
fn chars(min: usize, max: usize, extra: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let set: Vec<u8> = (b' '..=b'~')
        .chain([0x81u8, 0x82, 0x84, 0x8E, 0x99, 0xE1])
        .filter(|b| !extra.as_bytes().contains(b))
        .collect();
    proptest::collection::vec(proptest::sample::select(set), min..=max)
}

/// Text with no space at either end (the parser trims those).
fn trimmed(min: usize, max: usize, banned: &'static str) -> impl Strategy<Value = Vec<u8>> {
    chars(min, max, banned).prop_map(|mut v| {
        while v.last() == Some(&b' ') {
            v.pop();
        }
        while v.first() == Some(&b' ') {
            v.remove(0);
        }
        v
    })
}

/// An address as written: `TYPE:body`, or a body without a type (then it
/// must not start like one).
fn address() -> impl Strategy<Value = Vec<u8>> {
    let types = proptest::sample::select(vec![
        "PCM", "PROFS", "SNADS", "OV", "MCI", "X400", "SMTP", "MHS", "MSMAIL", "FAX", "CSI",
        "FFAPI", "MS", "WANG", "pcm",
    ]);
    prop_oneof![
        (types, trimmed(0, 40, "")).prop_map(|(t, body)| {
            let mut a = t.as_bytes().to_vec();
            a.push(b':');
            a.extend(body);
            a
        }),
        trimmed(1, 40, ":").prop_filter("not empty", |b| !b.is_empty()),
    ]
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![Just(Layout::Columns), Just(Layout::Tabs)]
}

/// `alias address` in a layout, as the documentation describes it.
fn entry(layout: Layout, alias: &[u8], address: &[u8]) -> Vec<u8> {
    let mut out = alias.to_vec();
    match layout {
        Layout::Tabs => out.push(b'\t'),
        Layout::Columns => {
            // Alias from column 3 padded to column 33, address from column 34.
            out.resize(30, b' ');
            out.push(b' ');
        }
    }
    out.extend_from_slice(address);
    out
}

/// One canonical transaction and the parts it was built from.
#[derive(Debug, Clone)]
struct Canonical {
    text: Vec<u8>,
    command: Command,
    alias: Option<Vec<u8>>,
    address: Option<Vec<u8>>,
    target: Option<(Vec<u8>, Vec<u8>)>,
    info: Vec<(Vec<u8>, Vec<u8>)>,
    defs: Vec<Vec<u8>>,
}

fn prompt() -> impl Strategy<Value = Vec<u8>> {
    // A `/` inside a prompt is written doubled.
    proptest::collection::vec(trimmed(0, 8, "/"), 1..3).prop_map(|parts| {
        let mut p = parts.join(&b"//"[..]);
        while p.first() == Some(&b' ') {
            p.remove(0);
        }
        p
    })
}

/// A template value: anything but a leading `/`, which would read as the
/// second half of a doubled `/` in the prompt (the format cannot say it).
fn value() -> impl Strategy<Value = Vec<u8>> {
    chars(0, 20, "").prop_filter("no leading slash", |v| v.first() != Some(&b'/'))
}

fn canonical() -> impl Strategy<Value = Canonical> {
    let alias = || trimmed(1, 30, "");
    let entry_line = (
        prop_oneof![
            Just(Command::Add),
            Just(Command::Delete),
            Just(Command::Modify)
        ],
        layout(),
        alias(),
        address(),
        proptest::option::of((layout(), alias(), address())),
        proptest::collection::vec((prompt(), value()), 0..3),
    )
        .prop_map(|(command, layout, alias, address, target, info)| {
            let mut text = vec![command.letter() as u8, b' '];
            text.extend(entry(layout, &alias, &address));
            let target = if command == Command::Modify {
                target.map(|(l, a, addr)| {
                    text.extend_from_slice(b"\r\n");
                    text.extend_from_slice(if l == Layout::Tabs { b" \t" } else { b"  " });
                    text.extend(entry(l, &a, &addr));
                    (a, addr)
                })
            } else {
                None
            };
            for (p, v) in &info {
                text.extend_from_slice(b"\r\n- ");
                text.extend_from_slice(p);
                text.push(b'/');
                text.extend_from_slice(v);
            }
            Canonical {
                text,
                command,
                alias: Some(alias),
                address: Some(address),
                target,
                info,
                defs: vec![],
            }
        });
    let list_line = (
        prop_oneof![Just(Command::Replace), Just(Command::Template)],
        layout(),
        address(),
        proptest::collection::vec(chars(0, 30, ""), 0..3),
    )
        .prop_map(|(command, layout, address, defs)| {
            let sep = if layout == Layout::Tabs { b'\t' } else { b' ' };
            let mut text = vec![command.letter() as u8, sep];
            text.extend_from_slice(&address);
            let defs = if command == Command::Template {
                for d in &defs {
                    text.extend_from_slice(b"\r\n ");
                    text.extend_from_slice(d);
                }
                defs
            } else {
                vec![]
            };
            Canonical {
                text,
                command,
                alias: None,
                address: Some(address),
                target: None,
                info: vec![],
                defs,
            }
        });
    let comment = chars(0, 40, "").prop_map(|c| {
        let mut text = vec![b'#'];
        text.extend_from_slice(&c);
        Canonical {
            text,
            command: Command::Comment,
            alias: None,
            address: None,
            target: None,
            info: vec![],
            defs: vec![],
        }
    });
    prop_oneof![3 => entry_line, 2 => list_line, 1 => comment]
}

fn address_text(a: &import::Address) -> Vec<u8> {
    let mut out = Vec::new();
    a.write_text(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Canonical text -> transaction: the parts it was built from -> the same text.
    #[test]
    fn canonical_text_round_trips(c in canonical()) {
        let t = import::parse(&c.text, glb_formats::CodePage::Cp850);
        prop_assert_eq!(t.command, c.command);
        let alias: Option<Vec<u8>> = t.alias.map(|a| a.to_vec());
        prop_assert_eq!(alias, c.alias.clone());
        let address: Option<Vec<u8>> = t.address.as_ref().map(address_text);
        prop_assert_eq!(address, c.address.clone());
        let target: Option<(Vec<u8>, Vec<u8>)> = t
            .modify_target
            .as_ref()
            .map(|m| (m.alias.to_vec(), address_text(&m.address)));
        prop_assert_eq!(target, c.target.clone());
        let info: Vec<_> = t.template_info.iter().map(|i| (i.prompt.to_vec(), i.value.to_vec())).collect();
        prop_assert_eq!(info, c.info.clone());
        let defs: Vec<_> = t.template_defs.iter().map(|d| d.to_vec()).collect();
        prop_assert_eq!(defs, c.defs.clone());
        let back = t.to_text();
        prop_assert_eq!(String::from_utf8_lossy(&back), String::from_utf8_lossy(&c.text));
    }

    /// Damaged canonical text (a byte changed, inserted or cut) still parses
    /// without panicking, and what it writes back is a fixed point.
    #[test]
    fn damaged_text_writes_back_canonically(
        c in canonical(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        how in 0..3u8,
    ) {
        let mut text = c.text.clone();
        let i = at.index(text.len() + 1);
        match how {
            0 if i < text.len() => text[i] = byte,
            1 => text.insert(i, byte),
            _ => text.truncate(i),
        }
        prop_assert!(invariants::import_text(&text).is_ok(), "{:?}", invariants::import_text(&text));
    }

    /// Any bytes: the same invariants as the `import_grammar` fuzz target.
    #[test]
    fn any_text_writes_back_canonically(text in proptest::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(invariants::import_text(&text).is_ok(), "{:?}", invariants::import_text(&text));
    }
}

/// Every transaction in the committed corpus is canonical.
#[test]
fn corpus_transactions_are_canonical() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/seeds/import_grammar");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("example-bad")
        {
            continue; // deliberately unusable
        }
        let text = std::fs::read(&p).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&import::parse(&text, glb_formats::CodePage::Cp850).to_text()),
            String::from_utf8_lossy(&text),
            "{}",
            p.display()
        );
        n += 1;
    }
    assert!(n >= 30, "only {n} transactions");
}
