//! Findings: what `validate` and `doctor` report, and the catalogue of every
//! check with its stable code (documented in `docs/checks.md`).
//!
//! Code scheme: `GLBnnn` where `nnn` is an MS Mail message number is a
//! finding that predicts that message (`GLB014` predicts error 14,
//! `GLB020` predicts `[ 20] Address element is too long`); `GLB3nn` are
//! glbtool's own structure and consistency checks.

pub mod cross;
pub mod doctor;
pub mod file;
pub mod fixed;
pub mod links;
pub mod postoffice;
pub mod queue;
pub mod sizes;

use glb_formats::codepage::CodePage;
use glb_formats::kind::FileKind;
use glb_formats::messages;
use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing will fail because of it.
    Info,
    /// Likely trouble, or a heuristic.
    Warning,
    /// MS Mail or Exchange will fail or lose data.
    Error,
}

impl Severity {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The message MS Mail or Exchange would give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Predicted {
    /// Which program reports it.
    pub program: &'static str,
    /// The message number, when it has one.
    pub number: Option<u16>,
    /// The message as the program prints it.
    pub text: String,
}

impl Predicted {
    /// An MS Mail Dir-Sync / Import message by number, in the DIRSYNC.LOG form.
    pub fn ms_mail(program: &'static str, level: &str, number: u16) -> Predicted {
        Predicted {
            program,
            number: Some(number),
            text: format!("{level}[{number:>3}] {}", messages::text(number)),
        }
    }

    /// An ADMIN notice by number, as ADMIN shows it (`Notice 159 ...`,
    /// KB Q123437): a numbering space apart from the Dir-Sync messages.
    pub fn admin_notice(number: u16) -> Predicted {
        let text = messages::admin_notice(number).map_or("(undocumented notice)", |m| m.text);
        Predicted {
            program: "ADMIN",
            number: Some(number),
            text: format!("Notice {number} {text}"),
        }
    }
}

/// How to repair a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Fix {
    /// A glbtool command line that repairs it.
    Command {
        /// The command line.
        command: String,
        /// What running it risks, when it risks something (a repair of a file
        /// MS Mail wrote: its changed records get glbtool's checksum).
        #[serde(skip_serializing_if = "Option::is_none")]
        risk: Option<String>,
    },
    /// The documented administrator procedure.
    Procedure {
        /// What to do.
        text: String,
        /// Where it is documented.
        source: &'static str,
    },
    /// Nothing to do (information only).
    None,
}

impl Fix {
    /// A command line that repairs it, with no risk to name.
    pub fn command(command: impl Into<String>) -> Fix {
        Fix::Command {
            command: command.into(),
            risk: None,
        }
    }

    /// What a `patch-seq` command risks on a file holding MS Mail's
    /// checksums (`foreign`): it needs `--force`, and the changed records get
    /// glbtool's CRC-16/ARC, which MS Mail may reject. Other fixes are kept.
    pub fn on_ms_mail_checksums(self, foreign: bool) -> Fix {
        match self {
            Fix::Command {
                command,
                risk: None,
            } if foreign && command.starts_with("glbtool patch-seq ") => Fix::Command {
                command: format!("{command} --force"),
                risk: Some(MS_MAIL_CHECKSUM_RISK.into()),
            },
            other => other,
        }
    }
}

/// What a repair of a file MS Mail wrote risks (`docs/safety.md`, README).
pub const MS_MAIL_CHECKSUM_RISK: &str = "the file holds MS Mail's checksums, whose algorithm is undocumented: the repair needs --force, and the records it changes get glbtool's CRC-16/ARC instead, which MS Mail may reject (validate then reports the mixed checksums, GLB314); keep the backup patch-seq makes";

/// One finding about one file (or a set of files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `GLB014`.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The file concerned, as given by the user.
    pub file: String,
    /// Its kind, when known.
    pub kind: Option<FileKind>,
    /// Byte offset, when the finding has one.
    pub offset: Option<u64>,
    /// Zero-based record index in file order, when the finding has one
    /// (the text names a queue record by its sync number instead, and a
    /// SRVCONF or PROCESS record as LISTDS and DSSCHED do, `#1` for 0).
    pub record: Option<u64>,
    /// The sync number of the queue record the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<u32>,
    /// What MS Mail or Exchange would report.
    pub predicts: Option<Predicted>,
    /// One sentence of cause.
    pub cause: String,
    /// The fix.
    pub fix: Fix,
    /// For the finding that closes a capped list ([`Capped`]): how many
    /// findings of its code in its file it stands for, not listed one by
    /// one. Counts ([`doctor::Counts`]) add these, not the closing finding.
    #[serde(skip_serializing_if = "is_zero")]
    pub unlisted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A file being checked: its path as given, its kind and the code page of
/// its text (what findings decode names with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// Path as given.
    pub path: String,
    /// Kind.
    pub kind: FileKind,
    /// The code page of the file's text.
    pub codepage: CodePage,
}

impl FileRef {
    /// A file at `path` (as the user gave it) of `kind`, its text in code page `cp`.
    pub fn new(path: impl Into<String>, kind: FileKind, cp: CodePage) -> FileRef {
        FileRef {
            path: path.into(),
            kind,
            codepage: cp,
        }
    }

    /// A finding about this file, from the catalogue entry `code`.
    pub fn finding(&self, code: &'static str, cause: impl Into<String>) -> Finding {
        Finding::new(code, self.path.clone(), Some(self.kind), cause)
    }
}

impl Finding {
    /// A finding about `file` (of `kind`, when known), from the catalogue
    /// entry `code`, with its catalogue severity.
    pub fn new(
        code: &'static str,
        file: String,
        kind: Option<FileKind>,
        cause: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity: info(code).map_or(Severity::Error, |i| i.severity),
            file,
            kind,
            offset: None,
            record: None,
            sync: None,
            predicts: None,
            cause: cause.into(),
            fix: Fix::None,
            unlisted: 0,
        }
    }

    /// Places the finding at a record.
    pub fn at(mut self, offset: u64, record: Option<u64>) -> Self {
        self.offset = Some(offset);
        self.record = record;
        self
    }

    /// Names the queue record by its sync number.
    pub fn sync(mut self, sync: u32) -> Self {
        self.sync = Some(sync);
        self
    }

    /// Sets the predicted message.
    pub fn predicts(mut self, p: Predicted) -> Self {
        self.predicts = Some(p);
        self
    }

    /// Sets the fix.
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = fix;
        self
    }

    /// Overrides the catalogue severity.
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
}

/// At most this many findings of one code are listed per file; the rest are counted.
pub const FINDINGS_PER_CODE: usize = 100;

/// A findings list that keeps at most [`FINDINGS_PER_CODE`] findings of each
/// code and, at the end, one finding that counts the rest.
pub struct Capped<'a> {
    out: &'a mut Vec<Finding>,
    counts: Vec<(&'static str, u64)>,
}

impl<'a> Capped<'a> {
    /// Starts appending to `out`.
    pub fn new(out: &'a mut Vec<Finding>) -> Self {
        Capped {
            out,
            counts: Vec::new(),
        }
    }

    /// Adds a finding, unless its code already has [`FINDINGS_PER_CODE`].
    pub fn push(&mut self, f: Finding) {
        let slot = match self.counts.iter_mut().find(|(c, _)| *c == f.code) {
            Some(s) => s,
            None => {
                self.counts.push((f.code, 0));
                self.counts.last_mut().expect("just pushed")
            }
        };
        slot.1 += 1;
        if slot.1 as usize <= FINDINGS_PER_CODE {
            self.out.push(f);
        }
    }

    /// Adds one finding per code that overflowed, counting what was left out.
    pub fn summarise(self, file: &FileRef) {
        for (code, n) in self.counts {
            if n as usize > FINDINGS_PER_CODE {
                let more = n - FINDINGS_PER_CODE as u64;
                let mut f = file.finding(
                    code,
                    format!(
                        "... and {more} more findings of this kind in this file, not listed ({n} in all; at most {FINDINGS_PER_CODE} of each kind are listed per file)"
                    ),
                );
                f.unlisted = more;
                self.out.push(f);
            }
        }
    }
}

/// A catalogue entry: one kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckInfo {
    /// The stable code.
    pub code: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Short title.
    pub title: &'static str,
    /// The documentation it rests on.
    pub source: &'static str,
}

const fn c(
    code: &'static str,
    severity: Severity,
    title: &'static str,
    source: &'static str,
) -> CheckInfo {
    CheckInfo {
        code,
        severity,
        title,
        source,
    }
}

/// Every check glbtool performs.
pub const CATALOGUE: &[CheckInfo] = &[
    c("GLB012", Severity::Error, "Transaction: invalid character in column 1", "KB Q96001"),
    c("GLB013", Severity::Error, "Transaction: invalid transaction command", "KB Q96001"),
    c("GLB014", Severity::Error, "RESYNC.GLB header numbers below the requestors' (Exchange DXA defect): Fatal error 14", "KB Q215505, Q119449"),
    c("GLB138", Severity::Error, "A requestor's SrvSync above the highest MSTTRANS number: server restored from backup", "KB Q96060 Problem 9, Q113453, Q108067"),
    c("GLB139", Severity::Error, "A requestor's SrvSync below the oldest remaining MSTTRANS number: purged updates it will never receive", "KB Q108067, Q96060"),
    c("GLB161", Severity::Error, "A requestor's PROCESS.GLB schedules T2 (NSDA -S): Fatal 161 Server configuration busy", "KB Q136487, Q96060"),
    c("GLB171", Severity::Error, "REQTRANS.GLB numbered below REQCONF ReqSync: T1 sends nothing (No requestor updates to send)", "KB Q133428, Q119452, Q96060, Q149271"),
    c("GLB320", Severity::Warning, "ReqSync greater than SrvSync (heuristic)", "KB Q96060"),
    c("GLB341", Severity::Warning, "A requestor's REQCONF behind the server's record: the last reply was not applied", "KB Q142841, Q96060"),
    c("GLB015", Severity::Error, "Transaction: invalid character in FAX phone number", "KB Q96001"),
    c("GLB016", Severity::Warning, "Transaction: address type MS Mail does not document", "KB Q96001"),
    c("GLB017", Severity::Error, "Transaction: empty network or postoffice name", "KB Q96001"),
    c("GLB018", Severity::Error, "Transaction: line ends inside the fullname columns", "KB Q96001"),
    c("GLB019", Severity::Error, "Transaction: physical address ends too early", "KB Q96001"),
    c("GLB020", Severity::Error, "Transaction: address element longer than 10 characters", "KB Q96001, Q123398"),
    c("GLB021", Severity::Error, "Transaction: empty transaction text", "KB Q96001"),
    c("GLB022", Severity::Error, "Transaction: template information line without '/'", "KB Q96001"),
    c("GLB023", Severity::Error, "Transaction: column 2 is neither tab nor space", "KB Q96001"),
    c("GLB024", Severity::Error, "Transaction: template information for a type that allows none", "KB Q96001"),
    c("GLB026", Severity::Error, "Transaction: malformed physical address", "KB Q96001"),
    c("GLB046", Severity::Error, "Transaction: no fullname", "KB Q96002"),
    c("GLB048", Severity::Error, "Transaction: no physical address", "KB Q96002"),
    c("GLB069", Severity::Error, "Transaction: network name not alphanumeric", "KB Q96003"),
    c("GLB070", Severity::Error, "Transaction: postoffice name not alphanumeric", "KB Q96003"),
    c("GLB071", Severity::Error, "Transaction: mailbox name not alphanumeric", "KB Q96003"),
    c("GLB072", Severity::Error, "Transaction: fullname longer than 30 characters", "KB Q96003, Q104869"),
    c("GLB074", Severity::Error, "Transaction: FAX recipient longer than 30 characters", "KB Q96003"),
    c("GLB075", Severity::Error, "Transaction: FAX location longer than 30 characters", "KB Q96003"),
    c("GLB076", Severity::Error, "Transaction: FAX company longer than 30 characters", "KB Q96003"),
    c("GLB077", Severity::Error, "Transaction: FAX phone number longer than 22 characters", "KB Q96003"),
    c("GLB081", Severity::Error, "Transaction: no mailbox name", "KB Q96003, Q128872"),
    c("GLB301", Severity::Error, "File cannot be read", "-"),
    c("GLB360", Severity::Info, "An MS Mail file glbtool does not decode (named by its name, skipped)", "KB Q77926"),
    c("GLB302", Severity::Error, "File does not parse", "docs/formats/"),
    c("GLB303", Severity::Error, "File size breaks the documented size rule", "KB Q77926, Q132744"),
    c("GLB304", Severity::Error, "Some records' checksums mismatch: corrupt records", "KB Q96060, Q103421"),
    c("GLB305", Severity::Warning, "Every record's checksum mismatches: probably written with MS Mail's undocumented algorithm; damage cannot be detected", "KB Q96060; docs/formats/queue.md"),
    c("GLB314", Severity::Warning, "Mixed checksums: most records carry MS Mail's, some glbtool's (re-sealed by a forced repair)", "KB Q96060; docs/formats/queue.md"),
    c("GLB306", Severity::Error, "Sync numbers not strictly increasing inside a queue file", "KB Q96060"),
    c("GLB307", Severity::Warning, "Text holds control characters: not a valid CP850 name or transaction", "KB Q103421, Q87432 (CP850 names)"),
    c("GLB308", Severity::Warning, "glbtool's RESYNC header transaction after the first record", "KB Q119449"),
    c("GLB311", Severity::Info, "RESYNC.GLB header not in glbtool's reconstructed form: its numbers cannot be checked", "KB Q119449; docs/formats/queue.md"),
    c("GLB310", Severity::Warning, "RESYNC.GLB header numbers above the KB Q119449 rule (no error predicted)", "KB Q119449"),
    c("GLB312", Severity::Info, "REQTRANS.GLB's first record is no transaction: taken as REQMAIN's dummy (undocumented text)", "KB Q96060, Q133428"),
    c("GLB315", Severity::Error, "The server's record of a requestor has a lower import count than its REQCONF: replies silently rejected (requestor deleted and re-added)", "KB Q99961"),
    c("GLB316", Severity::Warning, "A requestor about to receive a full import has a Limit set: Fatal 118 and 166 if the reply exceeds it", "KB Q119450, Q133719"),
    c("GLB317", Severity::Warning, "RESYNC.GLB waits on a requestor whose REQTRANS.GLB holds changes not yet sent: IMPORT -Q changes ReqSync and they are ignored", "KB Q119452, Q119449"),
    c("GLB313", Severity::Info, "A verdict not reached: the file it needs was not given or does not decide it", "KB Q119449, Q96060"),
    c("GLB309", Severity::Warning, "A fixed text field has no NUL terminator: its text runs to the field's end", "KB Q104869, Q123398 (name limits); docs/formats/"),
    c("GLB002", Severity::Error, "REQTRANS.GLB missing on a requestor, or MSTTRANS.GLB on the server: Error opening file", "KB Q119017, Q119014, Q112280"),
    c("GLB045", Severity::Error, "A REQCONF queue pointer outside its queue file: Import's sort fails", "KB Q140462, Q112301"),
    c("GLB330", Severity::Warning, "SRVTRANS, USRTRANS, NMETRANS or GWTRANS not empty between Dir-Sync cycles", "KB Q96060, Q122750, Q148705"),
    c("GLB331", Severity::Warning, "A temporary file left behind by Import, REBUILD, SRVMAIN, REQMAIN or glbtool", "KB Q122750, Q96060, Q148705, Q99117, Q148364"),
    c("GLB332", Severity::Warning, "RESYNC.GLB left on the Dir-Sync server", "KB Q96060, Q119014, Q156124"),
    c("GLB342", Severity::Warning, "GAL.NME not sorted by full name (glbtool's reconstructed collation)", "KB Q86375"),
    c("GLB343", Severity::Error, "ADMIN.NME and ADMINSHD.NME not identical", "KB Q85647, Q135932"),
    c("GLB344", Severity::Error, "NME record with entry type 0: a corrupt record", "KB Q85647"),
    c("GLB345", Severity::Info, "NME record with an entry type the documentation does not name", "KB Q107767"),
    c("GLB346", Severity::Info, "PROCESS.GLB record whose times disagree (deadline, next run) or whose process code is unknown", "KB Q148718, Q96060"),
    c("GLB354", Severity::Error, "A SRVCONF.GLB block that names no requestor (all zero bytes; an empty name is a warning)", "KB Q77926, Q96060"),
    c("GLB355", Severity::Warning, "SRVCONF.GLB holds more requestor records than glbtool holds for the checks across files (10,000)", "KB Q77926, Q96060"),
    c("GLB350", Severity::Warning, "A postoffice's list of NET/PO differs from what the server's MSTTRANS.GLB says it holds", "KB Q96060, Q105125, Q119449"),
    c("GLB347", Severity::Warning, "A postoffice reference that does not resolve (NETWORK.GLB, XTN, USR files)", "KB Q134228, Q148666, Q86625"),
    c("GLB351", Severity::Warning, "An address list holds the same entry twice (a USR mailbox, or identical NME records)", "KB Q105125"),
    c("GLB352", Severity::Error, "An external NME entry whose NETPO.GLB (GALNETPO.GLB) pointer does not lead to an active record of its own address", "KB Q107767, Q77926, Q86375"),
    c("GLB353", Severity::Error, "A group's ADMIN.GRP pointer is not the start of a member record", "KB Q107767, Q135932"),
];

/// The catalogue entry of a code.
pub fn info(code: &str) -> Option<&'static CheckInfo> {
    CATALOGUE.iter().find(|c| c.code == code)
}

/// The catalogue code for an Import grammar issue: `GLB` + the message number.
pub fn import_code(message: u16) -> &'static str {
    let want = format!("GLB{message:03}");
    CATALOGUE
        .iter()
        .find(|c| c.code == want)
        .map_or("GLB302", |c| c.code)
}

/// Sorts findings by severity (errors first), then file, then offset.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.offset.cmp(&b.offset))
            .then_with(|| a.code.cmp(b.code))
    });
}

/// Converts a read error into a finding.
pub fn from_error(file: &FileRef, err: &glb_formats::Error) -> Finding {
    // The finding names the file; what is wrong in it is the error inside.
    let err = err.inner();
    match err {
        glb_formats::Error::Size { kind, size, at, .. } => {
            let fix = if *kind == FileKind::Reqconf {
                // KB Q123437, Q112301: a REQCONF.GLB from another postoffice, reset.
                Fix::Procedure {
                    text: format!("restore REQCONF.GLB from a backup taken before the damage; without one, copy the REQCONF.GLB of another postoffice of the same Dir-Sync server over it and reset it as LISTDS -r -z does (glbtool patch-seq {} --reset), then unregister and register the requestor again on the Dir-Sync server and let it import (Config, Dir-Sync, Requestor, Import)", shell_quote(&file.path)),
                    source: "KB Q123437, Q112301, Q96060",
                }
            } else {
                Fix::Procedure {
                    text: "restore the file from a backup taken before the damage; glbtool dump --salvage shows what can still be read".into(),
                    source: "KB Q132744",
                }
            };
            let mut f = file.finding("GLB303", err.to_string()).fix(fix);
            if let Some(at) = at {
                f = f.at(at.end, at.record());
            }
            if *kind == FileKind::Reqconf && *size <= 100 {
                // KB Q123437: a REQCONF of 100 bytes or less.
                f.predicts(Predicted::admin_notice(159))
            } else {
                f
            }
        }
        glb_formats::Error::Io { .. } => file.finding("GLB301", err.to_string()),
        other => {
            let mut f = file.finding("GLB302", other.to_string()).fix(Fix::Command {
                command: format!("glbtool dump --salvage {}", shell_quote(&file.path)),
                risk: None,
            });
            if let Some(at) = other.location() {
                f = f.at(at.offset, at.record);
            }
            f
        }
    }
}

/// A GLB301 finding: a file, folder or postoffice that cannot be read.
pub fn unreadable(path: &std::path::Path, cause: String) -> Finding {
    Finding::new("GLB301", path.display().to_string(), None, cause).fix(Fix::Procedure {
        text: "give the account running glbtool read access, or check the disk".into(),
        source: "-",
    })
}

/// Quotes a path for a shell command line when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            assert!(c.code.starts_with("GLB") && c.code.len() == 6, "{}", c.code);
        }
    }

    #[test]
    fn import_codes_follow_the_message_number() {
        assert_eq!(import_code(20), "GLB020");
        assert_eq!(import_code(72), "GLB072");
        // Every message number the grammar can report has a catalogue entry.
        for m in [
            12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 26, 46, 48, 69, 70, 71, 72, 74, 75, 76,
            77, 81,
        ] {
            assert_eq!(import_code(m), format!("GLB{m:03}"), "message {m}");
        }
    }

    #[test]
    fn severity_orders_errors_first() {
        let f = FileRef {
            path: "a".into(),
            kind: FileKind::Reqtrans,
            codepage: CodePage::Cp850,
        };
        let mut v = vec![f.finding("GLB305", "w"), f.finding("GLB304", "e")];
        sort(&mut v);
        assert_eq!(v[0].code, "GLB304");
    }
}

#[cfg(test)]
mod docs_tests {
    /// Every code in the catalogue is documented in docs/checks.md.
    #[test]
    fn every_code_is_documented() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/checks.md");
        let doc = std::fs::read_to_string(path).unwrap();
        for c in super::CATALOGUE {
            assert!(
                doc.contains(&format!("| {} |", c.code)),
                "{} is missing from docs/checks.md",
                c.code
            );
        }
    }
}
