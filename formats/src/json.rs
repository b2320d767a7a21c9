//! JSON and NDJSON forms of every file, and the way back (`build`).
//!
//! The forms are specified in `docs/json.md`. Both directions stream: a 1 GB
//! queue file is written as JSON, and rebuilt from JSON, in constant memory.
//!
//! A document looks like
//! `{"format": "glbtool-json/1", "kind": "reqtrans", "codepage": 850,
//!   "header": ..., "records": [...], "trailing": ""}`.
//! Each record carries `index` and `offset` (where it was read from) and an
//! `info` object of derived facts; `build` ignores those three and reads every
//! other field, refusing unknown ones.

use std::cell::RefCell;
use std::fmt;
use std::io::{Read, Write};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::codepage::{self, CodePage};
use crate::error::{Error, Result};
use crate::fields::hex_bytes;
use crate::format::{Format, Reader, Writer};
use crate::kind::FileKind;
use crate::layout::Statement;

/// The value of `format` in a JSON document.
pub const DOCUMENT_FORMAT: &str = "glbtool-json/1";
/// The value of `format` in the first line of an NDJSON stream.
pub const LINES_FORMAT: &str = "glbtool-ndjson/1";

/// Which JSON form to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One document.
    Document,
    /// One JSON value per line: file line, record lines, end line.
    Lines,
}

#[derive(Serialize)]
struct Entry<'a, F: Format> {
    index: u64,
    offset: u64,
    #[serde(flatten)]
    record: &'a F::Record,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<F::Info<'a>>,
}

#[derive(Serialize)]
struct FileLine<'a, H: Serialize> {
    format: &'static str,
    kind: FileKind,
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
    codepage::scope(cp, || write_inner(reader, out, style, cp))
}

fn write_inner<F: Format, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    style: Style,
    cp: CodePage,
) -> Result<u64> {
    let kind = reader.kind();
    let header = if F::HEADER_LEN == 0 {
        None
    } else {
        reader.header().cloned()
    };
    match style {
        Style::Lines => {
            serde_json::to_writer(
                &mut *out,
                &FileLine {
                    format: LINES_FORMAT,
                    kind,
                    codepage: cp,
                    layout: F::layout().statement(kind.name()),
                    header: header.as_ref(),
                },
            )
            .map_err(ser_err)?;
            out.write_all(b"\n").map_err(io_err)?;
        }
        Style::Document => {
            write!(
                out,
                "{{\n  \"format\": \"{DOCUMENT_FORMAT}\",\n  \"kind\": "
            )
            .map_err(io_err)?;
            serde_json::to_writer(&mut *out, &kind).map_err(ser_err)?;
            write!(out, ",\n  \"codepage\": {},\n  \"layout\": ", cp.number()).map_err(io_err)?;
            write_indented(out, &F::layout().statement(kind.name()), "  ")?;
            out.write_all(b",\n  \"header\": ").map_err(io_err)?;
            write_indented(out, &header, "  ")?;
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
            info: F::info(r.record),
        };
        match style {
            Style::Lines => {
                serde_json::to_writer(&mut *out, &entry).map_err(ser_err)?;
                out.write_all(b"\n").map_err(io_err)?;
            }
            Style::Document => {
                out.write_all(if first { b"\n    " } else { b",\n    " })
                    .map_err(io_err)?;
                write_indented(out, &entry, "    ")?;
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
            out.write_all(b"\n}\n").map_err(io_err)?;
        }
    }
    Ok(count)
}

/// Writes `value` pretty-printed, with every line after the first indented by `indent`.
fn write_indented<W: Write, T: Serialize>(out: &mut W, value: &T, indent: &str) -> Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(ser_err)?;
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
// Building a file from JSON
// ---------------------------------------------------------------------------

/// What `build` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildSummary {
    /// Records written.
    pub records: u64,
    /// Trailing bytes written.
    pub trailing: u64,
}

struct BuildState<F: Format, W: Write> {
    kind: FileKind,
    writer: Option<Writer<F, W>>,
    failure: RefCell<Option<Error>>,
    records: u64,
    trailing: u64,
    saw_header: bool,
    saw_trailing: bool,
}

impl<F: Format, W: Write> BuildState<F, W> {
    /// Keeps our own error and hands serde a marker, so the caller can return
    /// the precise error after serde unwinds.
    fn fail<E: serde::de::Error>(&self, err: Error) -> E {
        *self.failure.borrow_mut() = Some(err);
        E::custom("glbtool build error")
    }

    fn writer<E: serde::de::Error>(&mut self) -> Result<&mut Writer<F, W>, E> {
        match self.writer.as_mut() {
            Some(w) => Ok(w),
            None => Err(E::custom("writer already finished")),
        }
    }
}

/// Converts one JSON value to a model value, naming the JSON path on failure.
fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." || inner.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{inner}")
        };
        Error::json(path, e.into_inner().to_string())
    })
}

struct TopVisitor<'s, F: Format, W: Write>(&'s mut BuildState<F, W>);

impl<'de, F: Format, W: Write> Visitor<'de> for TopVisitor<'_, F, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a glbtool JSON document (an object with \"kind\", \"header\" and \"records\")"
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let st = self.0;
        let mut saw_records = false;
        let mut saw_header_key = false;
        while let Some(key) = map.next_key::<String>()? {
            if st.saw_trailing && matches!(key.as_str(), "header" | "records") {
                return Err(st.fail(Error::json(
                    key.as_str(),
                    format!("`{key}` must come before `trailing`"),
                )));
            }
            match key.as_str() {
                "format" => {
                    let v: String = map.next_value()?;
                    if v != DOCUMENT_FORMAT {
                        return Err(st.fail(Error::json(
                            "format",
                            format!("expected \"{DOCUMENT_FORMAT}\" (the output of `glbtool dump --format json`), got {v:?}"),
                        )));
                    }
                }
                "kind" => {
                    let v: String = map.next_value()?;
                    if v != st.kind.name() {
                        return Err(st.fail(Error::json(
                            "kind",
                            format!("the document is for kind `{v}` but `--kind {}` was given", st.kind.name()),
                        )));
                    }
                }
                "codepage" => {
                    let v: u16 = map.next_value()?;
                    let cp = CodePage::try_from(v).map_err(|m| st.fail(Error::json("codepage", m)))?;
                    if saw_records || saw_header_key {
                        return Err(st.fail(Error::json("codepage", "`codepage` must come before `header` and `records`")));
                    }
                    codepage_guard_set(cp);
                }
                "header" => {
                    let v: serde_json::Value = map.next_value()?;
                    if saw_records {
                        return Err(st.fail(Error::json("header", "`header` must come before `records`")));
                    }
                    st.saw_header = true;
                    saw_header_key = true;
                    if F::HEADER_LEN > 0 {
                        if v.is_null() {
                            // A salvaged file whose header could not be read:
                            // its bytes are in `trailing`.
                            st.writer()?.header_in_trailing();
                            continue;
                        }
                        let h: F::Header = from_value(v, "header").map_err(|e| st.fail(e))?;
                        let r = st.writer()?.header(&h);
                        r.map_err(|e| st.fail(encode_to_json(e, None)))?;
                    } else if !v.is_null() {
                        return Err(st.fail(Error::json("header", format!("{} has no file header; use null", st.kind))));
                    }
                }
                "records" => {
                    if F::HEADER_LEN > 0 && !st.saw_header {
                        return Err(st.fail(Error::json("records", "`header` must come before `records`")));
                    }
                    saw_records = true;
                    map.next_value_seed(RecordsSeed(&mut *st))?;
                }
                "trailing" => {
                    st.saw_trailing = true;
                    let v: String = map.next_value()?;
                    let bytes = hex::decode(&v)
                        .map_err(|e| st.fail(Error::json("trailing", format!("expected hex: {e}"))))?;
                    st.trailing = bytes.len() as u64;
                    let r = st.writer()?.trailing(&bytes);
                    r.map_err(|e| st.fail(e))?;
                }
                // Derived from the kind (what `dump` says about the layout's
                // provenance): nothing to build from.
                "trailing_offset" | "layout" => {
                    map.next_value::<IgnoredAny>()?;
                }
                other => {
                    return Err(st.fail(Error::json(
                        other,
                        "unknown field; a document has format, kind, codepage, layout, header, records, trailing, trailing_offset",
                    )))
                }
            }
        }
        if F::HEADER_LEN > 0 && !st.saw_header {
            return Err(st.fail(Error::json("header", format!("{} needs a header", st.kind))));
        }
        Ok(())
    }
}

fn codepage_guard_set(cp: CodePage) {
    CP_OVERRIDE.with(|c| c.set(Some(cp)));
}

thread_local! {
    static CP_OVERRIDE: std::cell::Cell<Option<CodePage>> = const { std::cell::Cell::new(None) };
}

fn encode_to_json(e: Error, index: Option<u64>) -> Error {
    match e {
        Error::Encode { field, message, .. } => {
            let path = match index {
                Some(i) => format!("records[{i}].{field}"),
                None => format!("header.{field}"),
            };
            Error::json(path, message)
        }
        other => other,
    }
}

struct RecordsSeed<'s, F: Format, W: Write>(&'s mut BuildState<F, W>);

impl<'de, F: Format, W: Write> DeserializeSeed<'de> for RecordsSeed<'_, F, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: Format, W: Write> Visitor<'de> for RecordsSeed<'_, F, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let st = self.0;
        let cp = CP_OVERRIDE
            .with(|c| c.get())
            .unwrap_or_else(codepage::active);
        while let Some(mut value) =
            seq.next_element::<serde_json::Map<String, serde_json::Value>>()?
        {
            let i = st.records;
            for derived in ["index", "offset", "info"] {
                value.remove(derived);
            }
            let rec: F::Record = codepage::scope(cp, || {
                from_value(serde_json::Value::Object(value), &format!("records[{i}]"))
            })
            .map_err(|e| st.fail(e))?;
            let r = st.writer()?.record(&rec);
            r.map_err(|e| st.fail(encode_to_json(e, Some(i))))?;
            st.records += 1;
        }
        Ok(())
    }
}

/// Reads a JSON document (the output of `dump --format json`) and writes the
/// file it describes. Streams: memory does not grow with the record count.
pub fn build<F: Format, R: Read, W: Write>(
    input: R,
    kind: FileKind,
    out: W,
    cp: CodePage,
) -> Result<(W, BuildSummary)> {
    CP_OVERRIDE.with(|c| c.set(None));
    let mut st = BuildState::<F, W> {
        kind,
        writer: Some(Writer::new(out, kind)),
        failure: RefCell::new(None),
        records: 0,
        trailing: 0,
        saw_header: F::HEADER_LEN == 0,
        saw_trailing: false,
    };
    let result = codepage::scope(cp, || {
        let mut de = serde_json::Deserializer::from_reader(input);
        let r = de.deserialize_map(TopVisitor(&mut st));
        r.and_then(|()| de.end())
    });
    CP_OVERRIDE.with(|c| c.set(None));
    if let Some(err) = st.failure.take() {
        return Err(err);
    }
    if let Err(e) = result {
        if e.is_io() {
            return Err(Error::io("reading JSON", e.into()));
        }
        return Err(Error::json(
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        ));
    }
    let writer = st
        .writer
        .take()
        .ok_or_else(|| Error::json("", "internal: writer missing"))?;
    let out = writer.finish()?;
    Ok((
        out,
        BuildSummary {
            records: st.records,
            trailing: st.trailing,
        },
    ))
}

/// The JSON form of a single value with the active code page, for tests and tools.
pub fn to_value<T: Serialize>(v: &T, cp: CodePage) -> serde_json::Value {
    codepage::scope(cp, || {
        serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
    })
}

/// Parses just the `kind` of a JSON document's text, if present near the top.
pub fn peek_kind(text: &str) -> Option<FileKind> {
    #[derive(Deserialize)]
    struct K {
        kind: FileKind,
    }
    let line = text.lines().next()?;
    if let Ok(k) = serde_json::from_str::<K>(line) {
        return Some(k.kind);
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
