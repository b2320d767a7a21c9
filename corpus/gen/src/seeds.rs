//! Fuzzing seeds derived from the samples (`docs/robustness.md`): the
//! transaction texts of every queue sample, for the `import_grammar` target,
//! and every sample's JSON document, for the `json_build` target.
//!
//! The parse and round-trip targets of each family (`parse_<family>`,
//! `roundtrip_<family>`) take their seeds straight from
//! `corpus/samples/<family>/`.

use glb_formats::format::{Document, Format, ReadOptions, Reader};
use glb_formats::json::{self, Style};
use glb_formats::queue::Queue;
use glb_formats::{with_format, CodePage, FileKind};

use crate::Sample;

/// A name for a seed file made from a sample's path.
fn stem(path: &str) -> String {
    path.trim_start_matches("samples/")
        .replace(['/', '.'], "-")
        .to_ascii_lowercase()
}

fn kind_of(path: &str) -> Option<FileKind> {
    FileKind::from_file_name(path.rsplit('/').next().unwrap_or(path))
}

fn json_of<F: Format>(bytes: &[u8], kind: FileKind) -> Option<Vec<u8>> {
    let mut reader = Reader::<F, _>::new(
        bytes,
        kind,
        Some(bytes.len() as u64),
        ReadOptions::default(),
    )
    .ok()?;
    let mut out = Vec::new();
    json::write(&mut reader, &mut out, Style::Document, CodePage::Cp850).ok()?;
    Some(out)
}

/// Transactions in every documented shape the queue samples do not show
/// (docs/formats/import.md), so the grammar fuzzer starts from each rule.
pub const GRAMMAR_EXAMPLES: &[(&str, &str)] = &[
    // KB Q131151: the fixed-column layout, type in column 34.
    ("columns", "D User1 alias                    PCM:NET1/PO1/USER1"),
    // KB Q104281, Q118447: a template definition.
    ("template-definition", "T PROFS:GW/NODE\r\n Full Name:~10~25~A~John Doe~\r\n Phone #:~15~23~NP~~"),
    // KB Q96001, Q104281: template information with a doubled slash.
    ("template-information", "A Joe\tPROFS:GW/NODE/joe\r\n- Phone:/(206) 635-7022\r\n- City//ST//Zip:/City, State, 12345"),
    // KB Q96003: a FAX address.
    ("fax", "A Fax Joe\tFAX:Joe~Seattle~Acme~206 555-1212"),
    // KB Q112285: the replace of a whole gateway list.
    ("replace-gateway", "R SMTP:"),
    // KB Q151782: a modify in the fixed-column layout.
    ("modify-columns", "M Joe                            MS:ORG/SITE/joe\r\n  Joseph                         MS:ORG/SITE/joe"),
    // KB Q96001 errors 12, 13: unusable first columns.
    ("bad-command", "X Joe\tPCM:N/P/joe"),
];

/// The seeds for `samples`.
pub fn seeds(samples: &[Sample]) -> Vec<Sample> {
    let mut out: Vec<Sample> = GRAMMAR_EXAMPLES
        .iter()
        .map(|(name, text)| {
            Sample::new(
                format!("seeds/import_grammar/example-{name}.txt"),
                text.as_bytes().to_vec(),
            )
        })
        .collect();
    for s in samples {
        let Some(kind) = kind_of(&s.path) else {
            continue;
        };
        let name = stem(&s.path);
        if let Some(doc) = with_format!(kind.family(), |F| json_of::<F>(&s.bytes, kind)) {
            out.push(Sample::new(format!("seeds/json_build/{name}.json"), doc));
        }
        if kind.is_queue() {
            if let Ok(doc) = Document::<Queue>::from_bytes(&s.bytes, kind, ReadOptions::default()) {
                for (i, r) in doc.records.iter().enumerate() {
                    out.push(Sample::new(
                        format!("seeds/import_grammar/{name}-{i:02}.txt"),
                        r.text.clone(),
                    ));
                }
            }
        }
    }
    out
}
