//! The numbered Dir-Sync and Import messages that glbtool predicts or cites,
//! and, kept apart, the ADMIN program's notices.
//!
//! Dir-Sync and Import messages (logged in DIRSYNC.LOG as `Fatal [159] ...`)
//! are quoted exactly from the KB message lists (KB Q96001 to Q96004, 3.0
//! DIRSYNC.TXT) and later articles, as collected in
//! `../shared/research/dirsync-facts.md` section 4. ADMIN's notices are
//! another numbering space: ADMIN's `Notice 159` (KB Q123437) is not the
//! Dir-Sync message `[159]` (KB Q96004), so they are separate tables.

/// A numbered MS Mail Dir-Sync or Import message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// The message number, as in `Error [ 20]`.
    pub number: u16,
    /// The message text, exactly as documented.
    pub text: &'static str,
    /// The KB article it is documented in.
    pub source: &'static str,
}

const MESSAGES: &[(u16, &str, &str)] = &[
    (2, "Error opening file", "KB Q112280"),
    (12, "Invalid character in column 1", "KB Q96001"),
    (13, "Invalid transaction command", "KB Q96001"),
    (14, "Error processing RESYNC.GLB", "KB Q96001, Q215505"),
    (15, "Invalid character in phone number", "KB Q96001"),
    (16, "Unknown address type", "KB Q96001"),
    (17, "Unexpected end of line in node address", "KB Q96001"),
    (18, "Unexpected end of line in fullname", "KB Q96001"),
    (
        19,
        "Unexpected end of line in physical address",
        "KB Q96001",
    ),
    (20, "Address element is too long", "KB Q96001"),
    (
        21,
        "Input file is corrupt or has incorrect format.",
        "KB Q96001",
    ),
    (
        22,
        "Expecting '/' in template information line",
        "KB Q96001",
    ),
    (23, "Expecting tab or space", "KB Q96001"),
    (
        24,
        "Template info not allowed for this address type",
        "KB Q96001",
    ),
    (25, "Physical address is too long", "KB Q96001"),
    (26, "Error in physical address", "KB Q96001"),
    (27, "Alias already exists", "KB Q96001"),
    (29, "Alias does not exist", "KB Q96001"),
    (
        40,
        "Possible database corruption detected",
        "KB Q96002, Q119017",
    ),
    (45, "File error sorting queue", "KB Q96002, Q112301"),
    (46, "No fullname", "KB Q96002"),
    (47, "Transaction has no effect", "KB Q96002"),
    (48, "Expecting physical address", "KB Q96002"),
    (66, "Local postoffice transaction ignored", "KB Q96003"),
    (
        69,
        "Alphanumeric characters only allowed in network name",
        "KB Q96003",
    ),
    (
        70,
        "Alphanumeric characters only allowed in postoffice name",
        "KB Q96003",
    ),
    (
        71,
        "Alphanumeric characters only allowed in mailbox name",
        "KB Q96003",
    ),
    (72, "Fullname is too long", "KB Q96003, Q104869"),
    (74, "FAX recipient address field too long", "KB Q96003"),
    (75, "FAX location address field too long", "KB Q96003"),
    (76, "FAX company address field too long", "KB Q96003"),
    (77, "FAX phone number address field too long", "KB Q96003"),
    (81, "No mailbox name", "KB Q96003, Q128872"),
    (118, "Transaction limit reached", "KB Q96003, Q119450"),
    (
        129,
        "Could not find specified sync number",
        "KB Q96004, Q108067",
    ),
    (138, "Server sync does not exist anymore", "KB Q108067"),
    (139, "Number of missing transactions", "KB Q108067"),
    (
        159,
        "Failure to send update mail to requestor",
        "KB Q96004, Q136333",
    ),
    (161, "Server configuration busy", "KB Q96004"),
    (166, "Manual import required for", "KB Q96004, Q119450"),
    (171, "No requestor updates to send", "KB Q149271, Q119452"),
];

/// The ADMIN program's notices glbtool predicts: a numbering space of their
/// own, printed by ADMIN as `Notice 159 ...` (KB Q123437).
const ADMIN_NOTICES: &[(u16, &str, &str)] = &[(
    159,
    "Could not access Requestor's configuration information",
    "KB Q123437",
)];

fn find(table: &[(u16, &'static str, &'static str)], number: u16) -> Option<Message> {
    table
        .iter()
        .find(|m| m.0 == number)
        .map(|&(number, text, source)| Message {
            number,
            text,
            source,
        })
}

/// Looks up a Dir-Sync or Import message by number.
pub fn message(number: u16) -> Option<Message> {
    find(MESSAGES, number)
}

/// Looks up an ADMIN notice by number (not a Dir-Sync message number).
pub fn admin_notice(number: u16) -> Option<Message> {
    find(ADMIN_NOTICES, number)
}

/// The text of a message that glbtool cites by number. Panics in tests only if
/// the table lacks a number the code uses (checked by a unit test).
pub fn text(number: u16) -> &'static str {
    message(number).map_or("(undocumented message)", |m| m.text)
}

/// Formats a message the way DIRSYNC.LOG does: `[ 20] Address element is too long`.
pub fn bracketed(number: u16) -> String {
    format!("[{number:>3}] {}", text(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_formatted_like_the_log() {
        let mut seen = std::collections::HashSet::new();
        for m in MESSAGES {
            assert!(seen.insert(m.0), "duplicate {}", m.0);
        }
        assert_eq!(bracketed(20), "[ 20] Address element is too long");
        assert_eq!(bracketed(72), "[ 72] Fullname is too long");
        assert_eq!(bracketed(171), "[171] No requestor updates to send");
    }

    #[test]
    fn dirsync_159_and_admin_notice_159_are_different_messages() {
        // KB Q96004: "[159] Failure to send update mail to requestor".
        assert_eq!(
            bracketed(159),
            "[159] Failure to send update mail to requestor"
        );
        // KB Q123437: ADMIN's "Notice 159 Could not access Requestor's configuration information".
        let notice = admin_notice(159).unwrap();
        assert_eq!(
            notice.text,
            "Could not access Requestor's configuration information"
        );
        assert_eq!(notice.source, "KB Q123437");
        assert!(message(159).unwrap().source.contains("KB Q96004"));
    }
}
