//! The crates depend one way (glbtool -> glb-dirsync -> glb-formats), and
//! glb-formats opens no file (docs/architecture.md). `.ci/run` checks the
//! same with `cargo tree`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.rs` files below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let paths = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path());
    let files = paths.filter(|p| !p.is_dir());
    files
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// Whether `line` names file-system access: `std::fs`, `fs::`, `File::`,
/// `OpenOptions`, `read_dir` (not `ProcessFile::` and the like).
fn touches_files(line: &str) -> bool {
    let word_at = |needle: &str| {
        line.match_indices(needle).any(|(i, _)| {
            !line[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    word_at("fs::")
        || word_at("File::")
        || word_at("File>")
        || word_at("OpenOptions")
        || word_at("read_dir")
}

#[test]
fn formats_opens_no_file() {
    assert!(touches_files("use std::fs::File;"));
    assert!(touches_files("let f = File::open(p)?;"));
    assert!(!touches_files("SrvConfFile::check_size(k, 10)"));
    let files = rust_files(&root().join("formats/src"));
    assert!(files.len() > 20, "formats/src not found");
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if touches_files(line) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "glb-formats must not open files (that is glb-dirsync's job):\n{}",
        found.join("\n")
    );
}

/// The crate names in the `[dependencies]` tables of a Cargo.toml (not
/// `[dev-dependencies]`).
fn normal_dependencies(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    let mut in_deps = false;
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]"
                || (line.starts_with("[target.") && line.ends_with(".dependencies]"));
        } else if in_deps && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once(['=', '.']) {
                names.push(name.trim().to_string());
            }
        }
    }
    names
}

#[test]
fn dependencies_point_one_way() {
    let formats = normal_dependencies("formats/Cargo.toml");
    assert!(formats.contains(&"binrw".to_string()), "{formats:?}");
    for upper in ["glb-dirsync", "glbtool", "glb-corpus"] {
        assert!(
            !formats.contains(&upper.to_string()),
            "glb-formats depends on {upper}"
        );
    }
    let dirsync = normal_dependencies("dirsync/Cargo.toml");
    assert!(dirsync.contains(&"glb-formats".to_string()), "{dirsync:?}");
    for upper in ["glbtool", "glb-corpus"] {
        assert!(
            !dirsync.contains(&upper.to_string()),
            "glb-dirsync depends on {upper}"
        );
    }
    let cli = normal_dependencies("glbtool/Cargo.toml");
    assert!(cli.contains(&"glb-dirsync".to_string()) && cli.contains(&"glb-formats".to_string()));
}
