//! JSON and NDJSON forms of every file, and the way back (`build`).
//!
//! The forms are specified in `docs/json.md`. Both directions stream: a 1 GB
//! queue file is written as JSON, and rebuilt from JSON, in constant memory.
//!
//! A document looks like
//! `{"format": "glbtool-json/1", "kind": "reqtrans", "codepage": 850,
//!   "header": ..., "records": [...], "trailing": ""}`.
//! Each record carries `index` and `offset` (where it was read from) and an
//! `info` object of derived facts; `build` recomputes those three and refuses
//! a document whose values differ, reads every other field, and refuses
//! unknown ones (`build.rs`).

use std::io::{Read, Write};

use serde::Serialize;

use crate::codepage::CodePage;
use crate::error::{Error, Result};
use crate::fields::hex_bytes;
use crate::format::{Format, Reader};
use crate::kind::FileKind;
use crate::layout::Statement;

mod build;
mod cp_serde;
mod strict;

use cp_serde::Cp;

pub use build::{
    build_as, build_from, BuildOptions, BuildSummary, HEADER_BUDGET, HEADER_NODES, KEY_BUDGET,
    RECORD_BUDGET, RECORD_NODES, SUMMARY_LIMIT, TRAILING_BUDGET,
};

/// The value of `format` in a JSON document.
pub const DOCUMENT_FORMAT: &str = "glbtool-json/1";
/// The value of `format` in the first line of an NDJSON stream.
pub const LINES_FORMAT: &str = "glbtool-ndjson/1";

/// Which JSON form to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// One document.
    Document,
    /// One JSON value per line: file line, record lines, end line.
    Lines,
}

#[derive(Serialize)]
#[serde(bound = "")]
struct Entry<'a, F: Format> {
    index: u64,
    offset: u64,
    #[serde(flatten)]
    record: &'a F::Record,
    info: InfoOut<'a, F>,
}

#[derive(Serialize)]
struct FileLine<'a, H: Serialize> {
    format: &'static str,
    kind: FileKind,
    /// Present (true) when the kind was guessed from size and content.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind_guessed: Option<bool>,
    codepage: CodePage,
    layout: Statement,
    header: Option<&'a H>,
}

#[derive(Serialize)]
struct EndLine<'a> {
    end: End<'a>,
}

#[derive(Serialize)]
struct End<'a> {
    records: u64,
    bytes: u64,
    #[serde(with = "hex_bytes")]
    trailing: &'a [u8],
    trailing_offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trailing_omitted: Option<Omitted>,
}

/// The salvaged bytes past what `trailing` holds ([`crate::format::TRAILING_KEPT`]):
/// named by offset and length, not shown. A document with them cannot be built back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// Absolute offset of the first byte not shown.
    pub offset: u64,
    /// How many bytes are not shown.
    pub length: u64,
}

/// The trailing bytes a salvaging reader counted but did not keep, if any.
pub fn omitted<F: Format, R: Read>(reader: &Reader<F, R>) -> Option<Omitted> {
    let off = reader.trailing_offset()?;
    let kept = reader.trailing().len() as u64;
    (reader.trailing_len() > kept).then(|| Omitted {
        offset: off + kept,
        length: reader.trailing_len() - kept,
    })
}

fn ser_err(e: serde_json::Error) -> Error {
    if e.is_io() {
        Error::io("writing JSON", e.into())
    } else {
        Error::json("", e.to_string())
    }
}

fn io_err(e: std::io::Error) -> Error {
    Error::io("writing JSON", e)
}

/// Writes every record the reader yields as JSON; returns the number of records.
pub fn write<F: Format, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    style: Style,
    cp: CodePage,
) -> Result<u64> {
    write_guessed(reader, out, style, cp, false)
}

/// [`write()`], saying (`"kind_guessed": true`, after `kind`) when the kind was
/// guessed from the file's size and content rather than named.
pub fn write_guessed<F: Format, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    style: Style,
    cp: CodePage,
    guessed: bool,
) -> Result<u64> {
    let kind = reader.kind();
    let header = if F::HEADER_LEN == 0 {
        None
    } else {
        reader.header().cloned()
    };
    match style {
        Style::Lines => {
            let line = FileLine {
                format: LINES_FORMAT,
                kind,
                kind_guessed: guessed.then_some(true),
                codepage: cp,
                layout: F::layout().statement(kind.name()),
                header: header.as_ref(),
            };
            serde_json::to_writer(&mut *out, &Cp::new(&line, cp)).map_err(ser_err)?;
            out.write_all(b"\n").map_err(io_err)?;
        }
        Style::Document => {
            write!(
                out,
                "{{\n  \"format\": \"{DOCUMENT_FORMAT}\",\n  \"kind\": "
            )
            .map_err(io_err)?;
            serde_json::to_writer(&mut *out, &kind).map_err(ser_err)?;
            if guessed {
                out.write_all(b",\n  \"kind_guessed\": true")
                    .map_err(io_err)?;
            }
            write!(out, ",\n  \"codepage\": {},\n  \"layout\": ", cp.number()).map_err(io_err)?;
            write_indented(out, &F::layout().statement(kind.name()), "  ", cp)?;
            out.write_all(b",\n  \"header\": ").map_err(io_err)?;
            write_indented(out, &header, "  ", cp)?;
            out.write_all(b",\n  \"records\": [").map_err(io_err)?;
        }
    }
    let mut first = true;
    let mut count = 0;
    while let Some(r) = reader.next_record()? {
        let entry = Entry::<F> {
            index: r.index,
            offset: r.offset,
            record: r.record,
            info: info_out::<F>(r.record, stored_crc32(r.raw), cp),
        };
        match style {
            Style::Lines => {
                serde_json::to_writer(&mut *out, &Cp::new(&entry, cp)).map_err(ser_err)?;
                out.write_all(b"\n").map_err(io_err)?;
            }
            Style::Document => {
                out.write_all(if first { b"\n    " } else { b",\n    " })
                    .map_err(io_err)?;
                write_indented(out, &entry, "    ", cp)?;
            }
        }
        first = false;
        count += 1;
    }
    let end = End {
        records: count,
        bytes: reader.bytes_read(),
        trailing: reader.trailing(),
        trailing_offset: reader.trailing_offset(),
        trailing_omitted: omitted(reader),
    };
    match style {
        Style::Lines => {
            serde_json::to_writer(&mut *out, &EndLine { end }).map_err(ser_err)?;
            out.write_all(b"\n").map_err(io_err)?;
        }
        Style::Document => {
            out.write_all(if first {
                b"],\n  \"trailing\": "
            } else {
                b"\n  ],\n  \"trailing\": "
            })
            .map_err(io_err)?;
            serde_json::to_writer(&mut *out, &hex::encode(end.trailing)).map_err(ser_err)?;
            out.write_all(b",\n  \"trailing_offset\": ")
                .map_err(io_err)?;
            serde_json::to_writer(&mut *out, &end.trailing_offset).map_err(ser_err)?;
            if let Some(o) = &end.trailing_omitted {
                out.write_all(b",\n  \"trailing_omitted\": ")
                    .map_err(io_err)?;
                serde_json::to_writer(&mut *out, o).map_err(ser_err)?;
            }
            out.write_all(b"\n}\n").map_err(io_err)?;
        }
    }
    Ok(count)
}

/// Writes `value` pretty-printed, its text in code page `cp`, with every
/// line after the first indented by `indent`.
fn write_indented<W: Write, T: Serialize>(
    out: &mut W,
    value: &T,
    indent: &str,
    cp: CodePage,
) -> Result<()> {
    let text = serde_json::to_vec_pretty(&Cp::new(value, cp)).map_err(ser_err)?;
    let mut lines = text.split(|&b| b == b'\n');
    if let Some(l) = lines.next() {
        out.write_all(l).map_err(io_err)?;
    }
    for l in lines {
        out.write_all(b"\n").map_err(io_err)?;
        out.write_all(indent.as_bytes()).map_err(io_err)?;
        out.write_all(l).map_err(io_err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Building a file from JSON (see `build.rs`), and what both directions share
// ---------------------------------------------------------------------------

/// The derived facts of a record as JSON writes them under `info`: the
/// family's own (`F::info`) and `stored_digest`, by which `build` tells an
/// edited record from an unchanged one ([`stored_digest`]).
#[derive(Serialize)]
#[serde(bound = "")]
struct InfoOut<'a, F: Format> {
    #[serde(flatten)]
    facts: Option<F::Info<'a>>,
    stored_digest: String,
}

/// CRC-32 (ISO-HDLC, the zip and PNG CRC) of a record's stored bytes.
pub fn stored_crc32(bytes: &[u8]) -> u32 {
    const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    CRC32.checksum(bytes)
}

/// The two check digits of a digest's 8 CRC digits (CRC-8 of their text),
/// so that an edit of the digest itself is noticed.
fn digest_check(crc_hex: &str) -> u8 {
    const CRC8: crc::Crc<u8> = crc::Crc::<u8>::new(&crc::CRC_8_SMBUS);
    CRC8.checksum(crc_hex.as_bytes())
}

/// `info.stored_digest` of a record's stored bytes: the CRC-32 as 8 hex
/// digits, then 2 check digits.
pub fn stored_digest(bytes: &[u8]) -> String {
    digest_of(stored_crc32(bytes))
}

fn digest_of(crc: u32) -> String {
    let hex = format!("{crc:08X}");
    let check = digest_check(&hex);
    format!("{hex}{check:02X}")
}

/// The CRC-32 a `stored_digest` holds, `None` when it is not one glbtool
/// wrote (wrong length, not hex, or check digits that do not match: edited).
pub fn digest_crc(digest: &str) -> Option<u32> {
    let (hex, check) = (digest.get(..8)?, digest.get(8..)?);
    if check.len() != 2 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let c = u8::from_str_radix(check, 16).ok()?;
    (c == digest_check(&hex.to_ascii_uppercase())).then(|| u32::from_str_radix(hex, 16).ok())?
}

fn info_out<F: Format>(r: &F::Record, crc: u32, cp: CodePage) -> InfoOut<'_, F> {
    InfoOut {
        facts: F::info(r, cp),
        stored_digest: digest_of(crc),
    }
}

/// A record's `info` as JSON, with text in code page `cp`.
fn info_value<F: Format>(r: &F::Record, crc: u32, cp: CodePage) -> serde_json::Value {
    to_value(&info_out::<F>(r, crc, cp), cp)
}

/// Converts one JSON value to a model value, naming the JSON path on failure.
fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
    cp: CodePage,
) -> Result<T> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(value, &mut track);
    T::deserialize(Cp::new(de, cp)).map_err(|e| {
        let inner = strict::path_suffix(&track.path().to_string());
        Error::json(format!("{prefix}{inner}"), e.to_string())
    })
}

/// A JSON value shortened for a message.
fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// The first place where `given` says something `want` does not: a key of
/// `given` that `want` lacks or holds differently (keys `given` leaves out
/// are fine). Returns the path (`.a.b[2]`), the given value and the wanted
/// one (empty when `want` has no such key).
pub(crate) fn first_difference(
    given: &serde_json::Value,
    want: &serde_json::Value,
) -> Option<(String, String, String)> {
    use serde_json::Value;
    fn walk(g: &Value, w: &Value, path: &mut String) -> Option<(String, String, String)> {
        match (g, w) {
            (Value::Object(gm), Value::Object(wm)) => {
                for (k, gv) in gm {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    match wm.get(k) {
                        None => return Some((path.clone(), short(gv), String::new())),
                        Some(wv) => {
                            if let Some(d) = walk(gv, wv, path) {
                                return Some(d);
                            }
                        }
                    }
                    path.truncate(len);
                }
                None
            }
            (Value::Array(ga), Value::Array(wa)) if ga.len() == wa.len() => {
                for (i, (a, b)) in ga.iter().zip(wa).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if let Some(d) = walk(a, b, path) {
                        return Some(d);
                    }
                    path.truncate(len);
                }
                None
            }
            (a, b) if a == b => None,
            (a, b) => Some((path.clone(), short(a), short(b))),
        }
    }
    walk(given, want, &mut String::new())
}

/// Reads a JSON document (the output of `dump --format json`) or an NDJSON
/// stream and writes the file it describes, for a caller that knows the
/// kind: the document's `kind` must be `kind`, and its `codepage` `cp`.
/// Streams: memory does not grow with the record count.
pub fn build<F: Format, R: Read, W: Write>(
    input: R,
    kind: FileKind,
    out: W,
    cp: CodePage,
) -> Result<(W, BuildSummary)> {
    build_as::<F, _, _>(
        input,
        BuildOptions {
            kind: Some(kind),
            codepage: Some(cp),
            ..BuildOptions::default()
        },
        out,
    )
}

/// The JSON form of a single value, its text fields in code page `cp`.
pub fn to_value<T: Serialize>(v: &T, cp: CodePage) -> serde_json::Value {
    serde_json::to_value(Cp::new(v, cp)).unwrap_or(serde_json::Value::Null)
}

/// Writes `v` as pretty-printed JSON, its text fields in code page `cp`
/// (a report that holds records or headers, such as validate's facts).
pub fn to_writer_pretty<W: Write, T: Serialize>(
    out: W,
    v: &T,
    cp: CodePage,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(out, &Cp::new(v, cp)).map_err(std::io::Error::from)
}

/// The kind a JSON document or NDJSON stream names near its top: the first
/// `"kind": "name"` in `head` (the first bytes of the input), for choosing
/// the output before the document is read. `build` checks it again.
pub fn peek_kind(head: &[u8]) -> Option<FileKind> {
    let mut rest = head;
    while let Some(i) = memchr::memmem::find(rest, b"\"kind\"") {
        rest = &rest[i + 6..];
        let after = rest
            .trim_ascii_start()
            .strip_prefix(b":")?
            .trim_ascii_start();
        let Some(name) = after.strip_prefix(b"\"") else {
            continue;
        };
        let end = memchr::memchr(b'"', name)?;
        if let Some(kind) = std::str::from_utf8(&name[..end])
            .ok()
            .and_then(|n| n.parse::<FileKind>().ok())
        {
            return Some(kind);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Stamp;
    use crate::format::{Document, ReadOptions};
    use crate::queue::{Queue, QueueRecord};

    fn sample() -> Vec<u8> {
        let mut doc = Document::<Queue>::new(FileKind::Reqtrans);
        doc.records.push(QueueRecord::new(
            1,
            Stamp(765_720_832),
            b"R PCM:POLYNOMIAL/MONTGOMERY",
        ));
        doc.records.push(QueueRecord::new(
            2,
            Stamp(765_720_832),
            "A Andr\u{e9}\tPCM:POLYNOMIAL/MONTGOMERY/andre".as_bytes(),
        ));
        doc.records[1].text = CodePage::Cp850
            .encode("A Andr\u{e9}\tPCM:POLYNOMIAL/MONTGOMERY/andre")
            .unwrap();
        doc.to_bytes().unwrap()
    }

    fn json_of(bytes: &[u8], style: Style) -> String {
        let mut reader = Reader::<Queue, _>::new(
            bytes,
            FileKind::Reqtrans,
            Some(bytes.len() as u64),
            ReadOptions::default(),
        )
        .unwrap();
        let mut out = Vec::new();
        write(&mut reader, &mut out, style, CodePage::Cp850).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn document_round_trips_byte_for_byte() {
        let bytes = sample();
        let json = json_of(&bytes, Style::Document);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v["records"][1]["info"]["transaction"]["alias"],
            "Andr\u{e9}"
        );
        let (back, summary) = build::<Queue, _, _>(
            json.as_bytes(),
            FileKind::Reqtrans,
            Vec::new(),
            CodePage::Cp850,
        )
        .unwrap();
        assert_eq!(summary.records, 2);
        assert_eq!(back, bytes);
    }

    /// A REQTRANS of one record whose text holds 0x9B and 0xE0 (`¢α` in
    /// code page 437, `Ыр` in 866, `øÓ` in 850).
    fn high_bytes() -> Vec<u8> {
        let mut doc = Document::<Queue>::new(FileKind::Reqtrans);
        doc.records.push(QueueRecord::new(
            1,
            Stamp(765_720_832),
            b"R PCM:\x9B\xE0/MONTGOMERY",
        ));
        doc.to_bytes().unwrap()
    }

    /// Dumps [`high_bytes`] in `cp`, checks the text against `want`, builds
    /// it back and checks the bytes.
    fn round_trip_in(cp: CodePage, want: &str) {
        let bytes = high_bytes();
        let mut reader = Reader::<Queue, _>::new(
            &bytes[..],
            FileKind::Reqtrans,
            Some(bytes.len() as u64),
            ReadOptions::default(),
        )
        .unwrap();
        let mut out = Vec::new();
        write(&mut reader, &mut out, Style::Document, cp).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["records"][0]["text"], want, "code page {cp}");
        let (back, _) = build::<Queue, _, _>(&out[..], FileKind::Reqtrans, Vec::new(), cp).unwrap();
        assert_eq!(back, bytes, "code page {cp}");
    }

    #[test]
    fn documents_in_different_code_pages_on_two_threads_each_keep_their_own() {
        let start = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            for (cp, want) in [
                (CodePage::Cp437, "R PCM:\u{a2}\u{3b1}/MONTGOMERY"),
                (CodePage::Cp866, "R PCM:\u{42b}\u{440}/MONTGOMERY"),
            ] {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    for _ in 0..200 {
                        round_trip_in(cp, want);
                    }
                });
            }
        });
        // And one after the other on this thread.
        round_trip_in(CodePage::Cp437, "R PCM:\u{a2}\u{3b1}/MONTGOMERY");
        round_trip_in(CodePage::Cp850, "R PCM:\u{f8}\u{d3}/MONTGOMERY");
    }

    #[test]
    fn ndjson_has_one_line_per_record_plus_two() {
        let json = json_of(&sample(), Style::Lines);
        let lines: Vec<&str> = json.lines().collect();
        assert_eq!(lines.len(), 4);
        for l in &lines {
            serde_json::from_str::<serde_json::Value>(l).unwrap();
        }
    }

    /// The error `build` gives for `json` read as `kind`.
    fn build_error(json: &str, kind: FileKind) -> String {
        build::<Queue, _, _>(json.as_bytes(), kind, Vec::new(), CodePage::Cp850)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_json_path() {
        let json = json_of(&sample(), Style::Document);
        let err = build_error(
            &json.replace("\"sync\": 2", "\"sync\": -2"),
            FileKind::Reqtrans,
        );
        assert!(err.contains("records[1].sync"), "{err}");
        let err = build_error(
            &json.replace("\"sync\": 2", "\"sync\": 2, \"synk\": 3"),
            FileKind::Reqtrans,
        );
        assert!(err.contains("synk"), "{err}");
        let err = build_error(&json, FileKind::Resync);
        assert!(err.contains("--kind resync"), "{err}");
    }

    #[test]
    fn trailing_bytes_come_last() {
        let json = r#"{"format": "glbtool-json/1", "kind": "reqtrans", "header": null, "trailing": "00", "records": []}"#;
        let err = build_error(json, FileKind::Reqtrans);
        assert!(
            err.contains("`records` must come before `trailing`"),
            "{err}"
        );
    }

    #[test]
    fn auto_checksum_is_computed() {
        let json = json_of(&sample(), Style::Document);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let stored = v["records"][0]["checksum"].as_str().unwrap().to_string();
        let edited = json.replacen(
            &format!("\"checksum\": \"{stored}\""),
            "\"checksum\": \"auto\"",
            1,
        );
        let (back, _) = build::<Queue, _, _>(
            edited.as_bytes(),
            FileKind::Reqtrans,
            Vec::new(),
            CodePage::Cp850,
        )
        .unwrap();
        assert_eq!(back, sample());
    }
}
