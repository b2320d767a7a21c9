//! Helpers shared by glb-dirsync's tests.

use std::path::{Path, PathBuf};

/// Every file below `dir`, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let walk = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter();
    let paths = walk.map(|e| e.unwrap().into_path());
    paths.filter(|p| !p.is_dir()).collect()
}
