//! Provenance in every view: `glbtool layout`, the tables of
//! `docs/formats/*.md`, and the marks of the text, hex, JSON and NDJSON views.

mod common;

use std::collections::BTreeMap;

use common::{assert_has, corpus, files_below, glbtool, root, stdout_of};

/// The kinds whose layout the docs hold, one per family, with their page.
const FAMILIES: [(&str, &str); 10] = [
    ("reqtrans", "queue.md"),
    ("reqconf", "reqconf.md"),
    ("srvconf", "srvconf.md"),
    ("process", "process.md"),
    ("nme", "nme.md"),
    ("usr", "usr.md"),
    ("netpo", "netpo.md"),
    ("galnetpo", "netpo.md"),
    ("network", "network.md"),
    ("xtn", "xtn.md"),
];

/// The `<!-- begin layout KIND PART -->` blocks of a text, by `KIND PART`.
fn blocks(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = text;
    while let Some(at) = rest.find("<!-- begin layout ") {
        let from = &rest[at..];
        let head_end = from.find(" -->").unwrap();
        let key = from["<!-- begin layout ".len()..head_end].to_string();
        let end = from
            .find("<!-- end layout -->")
            .expect("unterminated layout block");
        let block = &from[..end + "<!-- end layout -->".len()];
        assert!(
            out.insert(key.clone(), block.to_string()).is_none(),
            "{key} twice"
        );
        rest = &from[end..];
    }
    out
}

#[test]
fn the_tables_in_docs_formats_are_the_declarations_the_code_reads() {
    for (kind, page) in FAMILIES {
        let generated = blocks(&stdout_of(&["layout", kind, "--format", "markdown"]));
        assert!(!generated.is_empty(), "{kind} has no layout");
        let doc = std::fs::read_to_string(root().join("docs/formats").join(page)).unwrap();
        let prefix = format!("{kind} ");
        let mut in_doc = blocks(&doc);
        in_doc.retain(|key, _| key.starts_with(&prefix));
        assert_eq!(
            in_doc.keys().collect::<Vec<_>>(),
            generated.keys().collect::<Vec<_>>(),
            "docs/formats/{page} must hold exactly the layout blocks of `glbtool layout {kind}`"
        );
        for (key, block) in &generated {
            assert_eq!(
                &in_doc[key], block,
                "docs/formats/{page}: the table `{key}` differs from the declaration; \
                 paste the output of `glbtool layout {kind} --format markdown`"
            );
        }
    }
}

#[test]
fn layout_names_the_documented_positions_with_their_articles() {
    let text = stdout_of(&["layout", "network"]);
    // KB Q148666's DEBUG table: delete code +0, type +1, name +2, XTN +0x0D, MBG +0x21.
    for (mark, offset, name) in [
        ("D", "+0 ", "status"),
        ("D", "+1 ", "network_type"),
        ("S", "+2 ", "name"),
        ("S", "+13 (0x0D)", "xtn_hexid"),
        ("S", "+33 (0x21)", "mailbag_hexid"),
        ("?", "+42 (0x2A)", "reserved"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(name) && l.starts_with(mark))
            .unwrap_or_else(|| panic!("no `{mark} {offset} … {name}` line in\n{text}"));
        assert!(line.contains(offset), "{line}");
    }
    assert!(text.contains("documented (KB Q148666)"), "{text}");
    // REQCONF: nothing inside is documented; every field says why.
    let text = stdout_of(&["layout", "reqconf"]);
    assert!(!text.lines().any(|l| l.starts_with("D ")), "{text}");
    assert!(
        text.contains("reconstructed: field documented (KB Q96060)"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["layout", "reqtrans", "-f", "json"])).unwrap();
    let fields = json["parts"][0]["fields"].as_array().unwrap();
    let term = fields.iter().find(|f| f["name"] == "terminator").unwrap();
    assert_eq!(term["provenance"], "documented");
    assert_eq!(term["after_text"], true);
    assert!(term["source"].as_str().unwrap().contains("KB Q110496"));
}

/// Every sample, in every format, says where its field positions come from.
#[test]
fn every_view_of_every_sample_says_which_positions_are_reconstructed() {
    for f in files_below(&corpus("samples")) {
        let path = f.to_str().unwrap();
        let text = stdout_of(&["dump", path]);
        let line = text.lines().nth(1).unwrap_or_default();
        assert!(
            line.starts_with("Layout: docs/formats/") && line.contains("reconstruction"),
            "{path}: the text view's second line is {line:?}"
        );
        let hex = stdout_of(&["dump", "-f", "hex", path]);
        assert!(
            hex.lines()
                .nth(1)
                .unwrap()
                .starts_with("Marks: D documented"),
            "{path}"
        );
        for l in hex
            .lines()
            .filter(|l| l.len() > 60 && l.as_bytes()[0].is_ascii_hexdigit())
        {
            // Every labelled line carries a mark before its name.
            let label = l[59..].trim_start();
            if !label.is_empty() {
                let mark = label.chars().next().unwrap();
                assert!("DSR?".contains(mark), "{path}: unmarked field line {l:?}");
            }
        }
        let json: serde_json::Value =
            serde_json::from_str(&stdout_of(&["dump", "-f", "json", path])).unwrap();
        let layout = &json["layout"];
        assert!(
            layout["spec"]
                .as_str()
                .unwrap()
                .starts_with("docs/formats/"),
            "{path}"
        );
        assert!(layout["reconstructed"].is_array(), "{path}");
        let ndjson = stdout_of(&["dump", "-f", "ndjson", path]);
        let first: serde_json::Value =
            serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
        assert_eq!(first["layout"], *layout, "{path}");
    }
}

#[test]
fn the_hex_dump_marks_documented_and_reconstructed_fields() {
    let f = corpus("samples/postoffice/server/GLB/NETWORK.GLB");
    let hex = stdout_of(&["dump", "-f", "hex", f.to_str().unwrap()]);
    let label = |name: &str| {
        hex.lines()
            .find(|l| l.get(61..).is_some_and(|r| r.starts_with(name)))
            .unwrap_or_else(|| panic!("no {name} line in\n{hex}"))[59..]
            .to_string()
    };
    assert!(label("status").starts_with("D status"));
    assert!(label("name").starts_with("S name"));
    assert!(label("reserved").starts_with("? reserved"));
    let f = corpus("samples/config/server/REQCONF.GLB");
    let hex = stdout_of(&["dump", "-f", "hex", f.to_str().unwrap()]);
    let reqsync = hex.lines().find(|l| l.contains(" reqsync ")).unwrap();
    assert!(reqsync[59..].starts_with("R reqsync"), "{reqsync}");
    // In colour, the mark has its own style.
    let coloured = glbtool()
        .args(["dump", "-f", "hex", "--color", "always"])
        .arg(&f)
        .output()
        .unwrap();
    let coloured = String::from_utf8(coloured.stdout).unwrap();
    assert!(coloured.contains("\u{1b}[35;3mR\u{1b}[0m"), "{coloured}");
}

/// Reports that quote field values (validate, doctor, patch-seq, resync,
/// diff --dss) say in the same output which positions are reconstructed.
#[test]
fn every_report_that_quotes_values_names_its_layouts() {
    let lost = corpus("scenarios/lost-reply/TAYLOR/GLB/REQCONF.GLB");
    let lost = lost.to_str().unwrap();
    let out = glbtool().args(["validate", lost]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_has(&text, &["ReqSync 12 < 14", "REQCONF.GLB: Layout: docs/formats/reqconf.md; every field position is glbtool's reconstruction"]);
    let out = glbtool()
        .args(["validate", "-f", "json", lost])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let specs: Vec<&str> = v["layouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["spec"].as_str().unwrap())
        .collect();
    assert!(
        specs.contains(&"docs/formats/reqconf.md") && specs.contains(&"docs/formats/srvconf.md"),
        "{specs:?}"
    );
    let net = corpus("network");
    let text = stdout_of(&["doctor", net.to_str().unwrap()]);
    assert!(
        text.contains("Layouts (docs/formats/): every field position"),
        "{text}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&stdout_of(&["doctor", "-f", "json", net.to_str().unwrap()])).unwrap();
    assert!(v["layouts"].as_array().unwrap().len() >= 9);
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("REQCONF.GLB");
    std::fs::copy(corpus("samples/config/server/REQCONF.GLB"), &conf).unwrap();
    let out = glbtool()
        .args(["patch-seq", "--reset", "--dry-run"])
        .arg(&conf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_has(
        &text,
        &[
            "reqsync 17 -> 0",
            "REQCONF.GLB: Layout: docs/formats/reqconf.md",
        ],
    );
    let out = glbtool()
        .args(["diff", "--dss"])
        .arg(corpus("scenarios/missing-names/MONTGOMERY"))
        .arg("--requestor")
        .arg(corpus("scenarios/missing-names/TAYLOR"))
        .output()
        .unwrap();
    let dss = String::from_utf8_lossy(&out.stdout);
    assert!(dss.contains("Layouts (docs/formats/)"), "{dss}");
    let resync = tmp.path().join("RESYNC.GLB");
    let out = glbtool()
        .args(["resync", "--server"])
        .arg(net.join("MONTGOMERY"))
        .arg("-o")
        .arg(&resync)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_has(
        &text,
        &[
            "header IMPSEQ=",
            "RESYNC.GLB: Layout: docs/formats/queue.md",
        ],
    );
}

/// DSSCHED's text form keeps its output a DSSCHED file: the layout goes to
/// standard error with the time zone.
#[test]
fn the_dssched_form_names_its_layout_on_standard_error() {
    let f = corpus("samples/config/server/PROCESS.GLB");
    let out = glbtool()
        .args(["dump", "-f", "dssched"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Layout: docs/formats/process.md"), "{err}");
}

/// probe compares the bytes with glbtool's layout field by field: each
/// field says where its position comes from.
#[test]
fn probe_marks_each_declared_field() {
    let f = corpus("samples/postoffice/server/GLB/NETWORK.GLB");
    let out = glbtool().arg("probe").arg(&f).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Marks: D documented position (KB)"), "{text}");
    let field = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert_eq!(field("status"), "D");
    assert_eq!(field("name"), "S");
    assert_eq!(field("reserved"), "?");
}

/// Errors quote fields and values too ("in field `reserved`", "whose length
/// field says 52"): dump's error and identify's verdict name the layout, so
/// the user can tell there too which positions are reconstructed.
#[test]
fn errors_that_quote_fields_name_their_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let srvconf = tmp.path().join("SRVCONF.GLB");
    let bytes = std::fs::read(corpus("samples/config/server/SRVCONF.GLB")).unwrap();
    std::fs::write(&srvconf, &bytes[..100]).unwrap();
    let reqtrans = tmp.path().join("REQTRANS.GLB");
    let bytes = std::fs::read(corpus("samples/queue/export/REQTRANS.GLB")).unwrap();
    std::fs::write(&reqtrans, &bytes[..30]).unwrap();
    for (f, spec) in [
        (&srvconf, "docs/formats/srvconf.md"),
        (&reqtrans, "docs/formats/queue.md"),
    ] {
        let out = glbtool().arg("dump").arg(f).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("field `"), "{err}");
        assert!(
            err.contains(&format!("Layout: {spec};")) && err.contains("reconstruction"),
            "{err}"
        );
        let out = glbtool().arg("identify").arg(f).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("does not parse"), "{text}");
        assert!(text.contains(&format!("Layout: {spec};")), "{text}");
        let out = glbtool()
            .args(["identify", "-f", "json"])
            .arg(f)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["layout"]["spec"], spec, "{v:#}");
        assert!(v[0]["layout"]["reconstructed"].is_array(), "{v:#}");
    }
    // A file that parses: identify quotes no value, and says nothing more.
    let out = glbtool()
        .args(["identify", "-f", "json"])
        .arg(corpus("samples/config/server/SRVCONF.GLB"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v[0].get("layout").is_none(), "{v:#}");
}

/// The HTML pages (dump's annotated hex, validate, doctor, diff) say what
/// the text says: the layout line, and in the dump a mark per field with
/// its legend.
#[test]
fn html_pages_say_which_positions_are_reconstructed() {
    let conf = corpus("samples/config/server/REQCONF.GLB");
    let reset = corpus("samples/config/reset/REQCONF.GLB");
    let c = conf.to_str().unwrap();
    let dump = stdout_of(&["dump", "-f", "html", c]);
    assert_has(&dump, &["Layout: docs/formats/reqconf.md;", "D documented position (KB), S documented start with reconstructed width, R position reconstructed by glbtool", "class=\"mark m-R\">R<"]);
    let validate = glbtool()
        .args(["validate", "-f", "html", c])
        .output()
        .unwrap();
    let validate = String::from_utf8_lossy(&validate.stdout);
    assert!(
        validate.contains("Layout: docs/formats/reqconf.md;"),
        "{validate}"
    );
    let diff = glbtool()
        .args(["diff", "-f", "html", c, reset.to_str().unwrap()])
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&diff.stdout);
    assert!(diff.contains("Layout: docs/formats/reqconf.md;"), "{diff}");
    let net = corpus("network");
    let doctor = glbtool()
        .args(["doctor", "-f", "html"])
        .arg(&net)
        .output()
        .unwrap();
    let doctor = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor.contains("Layouts (docs/formats/)"), "{doctor}");
}
