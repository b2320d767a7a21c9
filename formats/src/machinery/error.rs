//! The one error type of the library.
//!
//! Every parse error names the file kind, the absolute byte offset, the record
//! index (when the fault lies inside a record) and the field, so that a user can
//! open the file in a hex editor and look at the exact bytes.

use crate::kind::FileKind;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a fault lies inside one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file kind being read.
    pub kind: FileKind,
    /// Absolute byte offset of the faulty field.
    pub offset: u64,
    /// Zero-based record index, `None` for the file header or the file as a whole.
    pub record: Option<u64>,
    /// Name of the field as used in `docs/formats/*.md` and in JSON.
    pub field: &'static str,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at byte offset {} (0x{:x})",
            self.kind, self.offset, self.offset
        )?;
        match self.record {
            Some(r) => write!(f, ", record {r}")?,
            None => write!(f, ", file header")?,
        }
        write!(f, ", field `{}`", self.field)
    }
}

/// Every error the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes do not follow the format.
    #[error("{at}: {message}")]
    Format {
        /// Where the fault is.
        at: Location,
        /// What is wrong, in plain words.
        message: String,
    },
    /// The file size breaks a documented size rule.
    #[error("{kind}: file is {size} bytes, but {rule}{}", at.as_ref().map(|c| format!(": {c}")).unwrap_or_default())]
    Size {
        /// The file kind being read.
        kind: FileKind,
        /// The actual size.
        size: u64,
        /// The documented rule, with its source.
        rule: String,
        /// Where the last whole item ends and what the file's end cuts
        /// (boxed: keeps the error small).
        at: Option<Box<SizeCut>>,
    },
    /// Two inputs cannot be compared as asked (different layouts, a match
    /// key that does not apply).
    #[error("{message}")]
    Diff {
        /// Why, in plain words.
        message: String,
    },
    /// An input needs more memory than glbtool allows for it; the message
    /// names the limit and the way out.
    #[error("{message}")]
    Limit {
        /// What is held, the limit, and what to do.
        message: String,
    },
    /// A JSON document given to `build` breaks a rule.
    #[error("JSON {path}: {message}")]
    Json {
        /// JSON path such as `records[3].sync`.
        path: String,
        /// The rule that was broken.
        message: String,
    },
    /// A value cannot be written in the format (for example a name too long for its field).
    #[error("cannot write {kind} record {record:?}, field `{field}`: {message}")]
    Encode {
        /// The file kind being written.
        kind: FileKind,
        /// Zero-based record index, `None` for the header.
        record: Option<u64>,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A patch cannot be applied as asked: the file does not hold what the
    /// patch changes, or the result would break a rule.
    #[error("{}{message}", at.as_ref().map(|a| format!("{a}: ")).unwrap_or_default())]
    Patch {
        /// Where, when the refusal concerns one field (boxed: keeps the error small).
        at: Option<Box<Location>>,
        /// Why, in plain words.
        message: String,
    },
    /// An error about one file, with that file's path: what the error
    /// inside says (its kind, offset, record and field) is kept whole, not
    /// turned into words.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong in it.
        source: Box<Error>,
    },
    /// Reading or writing failed at the operating-system level.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Builds an I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Builds a JSON error.
    pub fn json(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Json {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The error about the file at `path`: `e` with the path, its structure
    /// kept (an error that names the path already is returned as it is).
    pub fn in_file(path: &std::path::Path, e: Error) -> Self {
        match e {
            Error::InFile { path: p, source } if p == path => Error::InFile { path: p, source },
            e => Error::InFile {
                path: path.to_path_buf(),
                source: Box::new(e),
            },
        }
    }

    /// The error inside any path that names its file.
    pub fn inner(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.inner(),
            e => e,
        }
    }

    /// The location of a format error, if this is one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::InFile { source, .. } => source.location(),
            Error::Format { at, .. } => Some(at),
            Error::Patch { at, .. } => at.as_deref(),
            _ => None,
        }
    }

    /// Builds a patch refusal located at one field.
    pub fn patch(
        kind: FileKind,
        offset: u64,
        record: Option<u64>,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Error::Patch {
            at: Some(Box::new(Location {
                kind,
                offset,
                record,
                field,
            })),
            message: message.into(),
        }
    }

    /// Where a size error's file goes wrong, if this is one that knows.
    pub fn size_cut(&self) -> Option<&SizeCut> {
        match self.inner() {
            Error::Size { at, .. } => at.as_deref(),
            _ => None,
        }
    }

    /// True when the error came from the operating system rather than the data.
    pub fn is_io(&self) -> bool {
        matches!(self.inner(), Error::Io { .. })
    }
}

/// Where a file that breaks its size rule goes wrong: the offset just past
/// its last whole item, and the item and field its end cuts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeCut {
    /// Absolute offset just past the last whole item (header or record):
    /// where the damage begins.
    pub end: u64,
    /// The file's size.
    pub size: u64,
    /// The item the file's end cuts; `None` when the file holds extra bytes
    /// after a header that is the whole file (REQCONF.GLB).
    pub cut: Option<Cut>,
}

/// The item a file's end cuts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Zero-based record index; `None` for the file header.
    pub record: Option<u64>,
    /// The field the end falls in, as named in `docs/formats/*.md`.
    pub field: &'static str,
    /// Bytes of the item the file holds.
    pub got: u64,
    /// The item's full size.
    pub len: u64,
}

impl SizeCut {
    /// The record the finding about this cut is placed at: the cut record.
    pub fn record(&self) -> Option<u64> {
        self.cut.as_ref().and_then(|c| c.record)
    }
}

impl std::fmt::Display for SizeCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let end = self.end;
        match &self.cut {
            None => {
                let extra = self.size.saturating_sub(end);
                write!(
                    f,
                    "the header ends at byte offset {end} (0x{end:x}) and {extra} more byte{} follow{} it",
                    if extra == 1 { "" } else { "s" },
                    if extra == 1 { "s" } else { "" }
                )
            }
            Some(Cut {
                record: None,
                field,
                got,
                len,
            }) => write!(
                f,
                "the end cuts the {len}-byte file header after {got} byte{}, in field `{field}`",
                if *got == 1 { "" } else { "s" }
            ),
            Some(Cut {
                record: Some(i),
                field,
                got,
                len,
            }) => {
                match i {
                    0 if end == 0 => write!(f, "no record is whole")?,
                    0 => write!(f, "the file header ends at byte offset {end} (0x{end:x})")?,
                    _ => write!(
                        f,
                        "the last whole record (record {}) ends at byte offset {end} (0x{end:x})",
                        i - 1
                    )?,
                }
                write!(
                    f,
                    "; the end cuts record {i} after {got} of its {len} bytes, in field `{field}`"
                )
            }
        }
    }
}

/// A fault found while decoding one item (header or record) from its bytes,
/// before the reader knows the absolute offset and record index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFault {
    /// Offset of the field inside the item.
    pub rel_offset: usize,
    /// Field name.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl FieldFault {
    /// Builds a fault.
    pub fn new(rel_offset: usize, field: &'static str, message: impl Into<String>) -> Self {
        FieldFault {
            rel_offset,
            field,
            message: message.into(),
        }
    }

    /// Places the fault in a file.
    pub fn at(self, kind: FileKind, item_offset: u64, record: Option<u64>) -> Error {
        Error::Format {
            at: Location {
                kind,
                offset: item_offset + self.rel_offset as u64,
                record,
                field: self.field,
            },
            message: self.message,
        }
    }
}
