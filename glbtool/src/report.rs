//! What the HTML reports of validate and doctor need besides the findings:
//! the findings grouped by postoffice, and the annotated bytes of the
//! records they name (read here, not by the renderer).

use std::io::Write;
use std::path::{Path, PathBuf};

use glb_dirsync::check::Finding;

use crate::excerpt;
use crate::output::CliError;
use crate::render::html::{self, FindingsPage};
use crate::timefmt::Zone;

/// The postoffice a file belongs to: one of `roots` (doctor's postoffice
/// directories, with their names) that holds it, else the directory that
/// holds its GLB, NME, USR or XTN folder, else its own directory.
fn postoffice_of(file: &str, roots: &[(PathBuf, String)]) -> String {
    let path = Path::new(file);
    if let Some((root, name)) = roots.iter().find(|(r, _)| path.starts_with(r)) {
        return format!("Postoffice {name} ({})", root.display());
    }
    let parent = path.parent().unwrap_or(Path::new(""));
    let folder = parent
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_uppercase());
    match folder.as_deref() {
        Some("GLB" | "NME" | "USR" | "XTN") => {
            let po = parent.parent().unwrap_or(Path::new(""));
            format!("Postoffice at {}", shown(po))
        }
        _ => format!("Files in {}", shown(parent)),
    }
}

fn shown(p: &Path) -> String {
    if p.as_os_str().is_empty() {
        ".".into()
    } else {
        p.display().to_string()
    }
}

/// The findings by postoffice: `roots` first, in their order, then the
/// other groups as their first finding comes.
pub fn by_postoffice<'a>(
    findings: &'a [Finding],
    roots: &[(PathBuf, String)],
) -> Vec<(String, Vec<&'a Finding>)> {
    let mut groups: Vec<(String, Vec<&Finding>)> = roots
        .iter()
        .map(|(r, name)| (format!("Postoffice {name} ({})", r.display()), Vec::new()))
        .collect();
    for f in findings {
        let key = postoffice_of(&f.file, roots);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => groups.push((key, vec![f])),
        }
    }
    groups
}

/// Writes the HTML report: the records the findings name are read and
/// annotated (times in UTC), then the page is rendered.
pub fn html<W: Write>(
    out: &mut W,
    title: String,
    summary: String,
    totals: String,
    groups: Vec<(String, Vec<&Finding>)>,
    all: &[Finding],
    cp: glb_formats::CodePage,
) -> Result<(), CliError> {
    let excerpts = excerpt::for_findings(all, &Zone::utc(), cp);
    let page = FindingsPage {
        title,
        summary,
        totals: format!("{totals}; times in UTC"),
        groups,
        excerpts: &excerpts,
    };
    html::findings_page(out, &page)?;
    Ok(())
}
