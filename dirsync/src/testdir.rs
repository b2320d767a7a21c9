//! Test support: temporary directories that remove themselves, a way to put
//! files in them (the crate's unit tests build postoffice trees with it), and
//! the bytes of small files and records the tests build.

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

/// The bytes of a file made of `header` and `records`.
pub fn file_bytes<F: glb_formats::format::Format>(
    kind: glb_formats::FileKind,
    header: F::Header,
    records: Vec<F::Record>,
) -> Vec<u8> {
    glb_formats::format::Document::<F> {
        kind,
        header: Some(header),
        records,
        trailing: vec![],
    }
    .to_bytes()
    .unwrap()
}

/// A SRVCONF.GLB requestor record named `name` (`TYPE:NET/PO`) with these
/// numbers, the rest zero.
pub fn requestor(
    name: &str,
    reqsync: u32,
    srvsync: u32,
    impsync: u32,
) -> glb_formats::srvconf::RequestorRecord {
    glb_formats::srvconf::RequestorRecord {
        name: glb_formats::fields::Text::from_bytes(name.as_bytes()).unwrap(),
        reqsync,
        srvsync,
        impsync,
        ..Default::default()
    }
}
