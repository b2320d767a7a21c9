//! Test support: temporary directories that remove themselves, and a way to
//! put files in them (the crate's unit tests build postoffice trees with it).

use std::path::{Path, PathBuf};

/// A directory below the system's temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty directory named after `name` and this process.
pub fn temp(name: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!("glb-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

/// Writes `bytes` to `root/rel`, creating the folders on the way.
pub fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}
