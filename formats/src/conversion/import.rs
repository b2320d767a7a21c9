//! The Import-file transaction grammar: the text inside every queue record.
//!
//! Spec: `docs/formats/import.md`, from `../shared/research/dirsync-facts.md`
//! section 3 (KB Q96001, Q104869, Q104281, Q117198, Q131151, Q159308).
//!
//! The parser works on the stored bytes (a single-byte DOS code page, so one
//! byte is one character and every syntax character is ASCII). It never
//! allocates for the structure: every part borrows from the input. Limits the
//! documentation gives are checked, and each violation names the Import
//! message MS Mail would log (for example `[ 20] Address element is too long`).

use memchr::memchr;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::codepage::CodePage;
use crate::messages;

/// The command in column 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    /// `A`: add an entry.
    #[serde(rename = "A")]
    Add,
    /// `D`: delete an entry.
    #[serde(rename = "D")]
    Delete,
    /// `M`: modify an entry.
    #[serde(rename = "M")]
    Modify,
    /// `R`: replace the whole list of a postoffice or gateway.
    #[serde(rename = "R")]
    Replace,
    /// `T`: (re)define a template.
    #[serde(rename = "T")]
    Template,
    /// `#`: a comment or dummy transaction with no effect.
    #[serde(rename = "#")]
    Comment,
}

impl Command {
    /// The letter in column 1.
    pub fn letter(self) -> char {
        match self {
            Command::Add => 'A',
            Command::Delete => 'D',
            Command::Modify => 'M',
            Command::Replace => 'R',
            Command::Template => 'T',
            Command::Comment => '#',
        }
    }
}

/// How the alias and address are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Alias from column 3, address type at column 34.
    Columns,
    /// Alias and address separated by tabs.
    Tabs,
}

/// The address types the documentation names (KB Q96001, Q156730, Q103421, Q151782).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AddressType {
    /// MS Mail postoffice (`NET/PO/MAILBOX`).
    Pcm,
    /// IBM PROFS gateway (`GATEWAY/NODE/USER`).
    Profs,
    /// IBM SNADS gateway (`GATEWAY/DGN/DEN`).
    Snads,
    /// OfficeVision (`GATEWAY/NODE/USER`).
    Ov,
    /// MCI Mail.
    Mci,
    /// X.400.
    X400,
    /// SMTP.
    Smtp,
    /// Novell MHS.
    Mhs,
    /// Mail Connection (MSMAIL).
    Msmail,
    /// FAX (`recipient~location~company~phone`).
    Fax,
    /// FFAPI users as they appear in MSTTRANS.
    Csi,
    /// FFAPI.
    Ffapi,
    /// Microsoft Exchange.
    Ms,
    /// A type glbtool does not know; kept as written.
    Other,
}

impl AddressType {
    /// Recognises a type name, case-insensitively.
    pub fn from_name(name: &[u8]) -> AddressType {
        // Every known name has at most 6 characters: fold case into a small
        // buffer and match (a length switch and one compare, no search).
        let mut up = [0u8; 6];
        let Some(buf) = up.get_mut(..name.len()) else {
            return AddressType::Other;
        };
        for (u, b) in buf.iter_mut().zip(name) {
            *u = b.to_ascii_uppercase();
        }
        match &*buf {
            b"PCM" => AddressType::Pcm,
            b"PROFS" => AddressType::Profs,
            b"SNADS" => AddressType::Snads,
            b"OV" => AddressType::Ov,
            b"MCI" => AddressType::Mci,
            b"X400" => AddressType::X400,
            b"SMTP" => AddressType::Smtp,
            b"MHS" => AddressType::Mhs,
            b"MSMAIL" => AddressType::Msmail,
            b"FAX" => AddressType::Fax,
            b"CSI" => AddressType::Csi,
            b"FFAPI" => AddressType::Ffapi,
            b"MS" => AddressType::Ms,
            _ => AddressType::Other,
        }
    }

    /// True for the 10/10/10 types whose address is `A/B/C` with short alphanumeric elements.
    pub fn is_elemental(self) -> bool {
        matches!(
            self,
            AddressType::Pcm
                | AddressType::Profs
                | AddressType::Snads
                | AddressType::Ov
                | AddressType::Csi
                | AddressType::Ffapi
                | AddressType::Ms
        )
    }

    /// True when template information lines are allowed (KB Q96001 error 24).
    pub fn allows_template(self) -> bool {
        !matches!(
            self,
            AddressType::Mci
                | AddressType::X400
                | AddressType::Smtp
                | AddressType::Mhs
                | AddressType::Msmail
                | AddressType::Fax
        )
    }
}

/// An address `TYPE:body`, or a body alone (MS Mail then assumes PCM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address<'a> {
    /// The type as written (`None` when omitted).
    pub type_name: Option<&'a [u8]>,
    /// The recognised type (PCM when omitted).
    pub address_type: AddressType,
    /// Everything after the colon.
    pub body: &'a [u8],
}

impl<'a> Address<'a> {
    /// Splits `TYPE:body`.
    pub fn parse(raw: &'a [u8]) -> Address<'a> {
        // Only a colon among the first nine bytes can end a type name (at most
        // eight characters), so the search stops there.
        if let Some(colon) = raw.iter().take(9).position(|&b| b == b':') {
            let name = &raw[..colon];
            if !name.is_empty() && name.len() <= 8 && name.iter().all(u8::is_ascii_alphanumeric) {
                return Address {
                    type_name: Some(name),
                    address_type: AddressType::from_name(name),
                    body: &raw[colon + 1..],
                };
            }
        }
        Address {
            type_name: None,
            address_type: AddressType::Pcm,
            body: raw,
        }
    }

    /// The `/`-separated elements of a 10/10/10 address.
    pub fn elements(&self) -> impl Iterator<Item = &'a [u8]> {
        // Elements are short: a plain scan beats a vectorised search here.
        self.body.split(|&b| b == b'/')
    }

    /// The type name in upper case, for comparison (`PCM` when omitted).
    pub fn type_upper(&self) -> String {
        match self.type_name {
            Some(n) => String::from_utf8_lossy(n).to_ascii_uppercase(),
            None => "PCM".into(),
        }
    }

    /// The canonical address key: upper-case type, colon, body upper-cased for
    /// the 10/10/10 types (MS Mail names are case-insensitive), verbatim otherwise.
    pub fn key(&self) -> Vec<u8> {
        let mut k = self.type_upper().into_bytes();
        k.push(b':');
        if self.address_type.is_elemental() {
            k.extend(self.body.iter().map(u8::to_ascii_uppercase));
        } else {
            k.extend_from_slice(self.body);
        }
        k
    }
}

/// One `- Prompt:/value` template information line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateInfo<'a> {
    /// The prompt as written (a `/` inside it appears doubled, `//`).
    pub prompt: &'a [u8],
    /// The value.
    pub value: &'a [u8],
}

/// The target line of a Modify (`M`): the entry's new alias and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModifyTarget<'a> {
    /// How the line is laid out (after its leading space or tab).
    pub layout: Layout,
    /// The new alias.
    pub alias: &'a [u8],
    /// The new address.
    pub address: Address<'a>,
}

/// A problem with a transaction, named by the Import message it would cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The Import message number (KB Q96001-Q96004).
    pub message: u16,
    /// One-based line within the transaction.
    pub line: usize,
    /// Byte offset within the transaction text.
    pub at: usize,
    /// What exactly is wrong.
    pub detail: String,
}

impl Issue {
    fn new(message: u16, line: usize, at: usize, detail: impl Into<String>) -> Issue {
        Issue {
            message,
            line,
            at,
            detail: detail.into(),
        }
    }

    /// `[ 20] Address element is too long`.
    pub fn bracketed(&self) -> String {
        messages::bracketed(self.message)
    }

    /// True when Import rejects the transaction for this: every message but
    /// `[ 16] Unknown address type`, which `validate` reports as a warning
    /// (the address is kept as written; what Import then does with it is
    /// not documented, and glbtool applies it).
    pub fn rejects(&self) -> bool {
        self.message != 16
    }
}

/// What to do about a transaction Import rejects: it comes from the
/// postoffice that owns the entry, so it is corrected there.
pub const REJECTED_FIX: &str = "correct the entry in ADMIN at the postoffice that owns it, so that the next export carries a valid transaction";

impl Serialize for Issue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Issue", 5)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("text", messages::text(self.message))?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("at", &self.at)?;
        st.serialize_field("detail", &self.detail)?;
        st.end()
    }
}

/// A parsed transaction. Every part borrows from the stored text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction<'a> {
    /// The command.
    pub command: Command,
    /// How the first line is laid out.
    pub layout: Layout,
    /// The alias (friendly name) for A, D and M.
    pub alias: Option<&'a [u8]>,
    /// The address (for R and T, the postoffice, gateway or node).
    pub address: Option<Address<'a>>,
    /// For M: the line giving the new alias and address, when present.
    pub modify_target: Option<ModifyTarget<'a>>,
    /// Template information lines (`- Prompt:/value`).
    pub template_info: Vec<TemplateInfo<'a>>,
    /// Template definition lines after T (without the leading space).
    pub template_defs: Vec<&'a [u8]>,
    /// For `#`: the comment text after the `#`.
    pub comment: Option<&'a [u8]>,
    /// Limits broken and syntax problems found.
    pub issues: Vec<Issue>,
    /// The code page the text is in: the messages in `issues` and the JSON
    /// form decode names with it.
    pub codepage: CodePage,
}

/// The documented limits (KB Q96001, Q96003, Q104869).
pub mod limits {
    /// Alias (friendly name) length.
    pub const ALIAS: usize = 30;
    /// Length of one element of a 10/10/10 address.
    pub const ELEMENT: usize = 10;
    /// FAX recipient, location, company, phone field lengths.
    pub const FAX: [usize; 4] = [30, 30, 30, 22];
    /// Column (one-based) where the alias starts in the fixed layout.
    pub const ALIAS_COLUMN: usize = 3;
    /// Column (one-based) where the address type starts in the fixed layout.
    pub const TYPE_COLUMN: usize = 34;
}

/// Without trailing spaces, tabs and carriage returns (a CR before the line
/// break, or stray at a line's end, is not part of any field).
fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

/// Offset of `sub` inside `whole` (both from the same buffer).
fn offset_in(whole: &[u8], sub: &[u8]) -> usize {
    (sub.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// True for a character allowed in a network, postoffice or mailbox name:
/// letters and digits, including the code page's accented letters. KB Q199676
/// lists ASCII 1-47, 58-64, 91-96, 123-127 and 145-148 and the space as invalid.
pub fn is_name_char(b: u8) -> bool {
    NAME_CHARS[usize::from(b)]
}

/// [`is_name_char`] for every byte value, worked out once at compile time.
static NAME_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || (b >= 0x80 && !(b >= 145 && b <= 148));
        i += 1;
    }
    t
};

/// Splits `s` at every `sep`, like `s.split(|&b| b == sep)` (an empty `s`
/// gives one empty part), finding the separators with `memchr`.
fn split_byte(s: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr(sep, r) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Iterates the lines of a transaction text, accepting CR LF or LF. Carriage
/// returns at the end of a line belong to the line break, however many there are.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = text
        .strip_suffix(b"\r\n")
        .or_else(|| text.strip_suffix(b"\n"))
        .unwrap_or(text);
    split_byte(body, b'\n').map(|mut l| {
        while let [rest @ .., b'\r'] = l {
            l = rest;
        }
        l
    })
}

/// Parses the alias and address of a line, in either layout. `start` is
/// where the part after the command column and its separator begins: 2 on
/// the first line (`A alias...`, `A<TAB>alias...`) and on a modify line whose
/// blank command column is a space (`<SP><SP>alias...`, `<SP><TAB>alias...`),
/// 1 on a modify line that begins with its tab separator (`<TAB>alias<TAB>...`,
/// the tab layout with the command letter left out).
///
/// Every alias and address returned is a whole field of the line: nothing is
/// cut from either end (a line Import would misread gives no address, and its
/// whole rest as the alias, with the message Import gives).
fn alias_and_address<'a>(
    text: &'a [u8],
    line: &'a [u8],
    start: usize,
    lineno: usize,
    issues: &mut Vec<Issue>,
) -> (Layout, &'a [u8], Option<Address<'a>>) {
    let rest = &line[start.min(line.len())..];
    if let Some(tab) = memchr(b'\t', rest) {
        let alias = trim_end(trim_start(&rest[..tab]));
        let addr = trim_start(&rest[tab + 1..]);
        let addr = trim_end(addr);
        check_alias(text, alias, lineno, issues);
        let address = if addr.is_empty() {
            issues.push(Issue::new(
                48,
                lineno,
                offset_in(text, addr),
                "no address after the alias",
            ));
            None
        } else {
            Some(Address::parse(addr))
        };
        return (Layout::Tabs, alias, address);
    }
    if start != 2 {
        // A line that begins with its tab separator is in the tab layout: a
        // tab must also separate the alias from the address (KB Q96001, 23).
        let alias = trim_end(trim_start(rest));
        if alias.is_empty() {
            issues.push(Issue::new(46, lineno, offset_in(text, rest), "no alias"));
        } else {
            issues.push(Issue::new(
                23,
                lineno,
                offset_in(text, rest) + rest.len(),
                "the line begins with a tab (the tab layout), so a tab must separate the alias from the address",
            ));
        }
        return (Layout::Tabs, alias, None);
    }
    // Fixed columns: alias in columns 3..=32, a space in 33, the type from 34.
    let alias_end = limits::TYPE_COLUMN - 2; // index of column 33
    if line.len() < limits::TYPE_COLUMN {
        let alias = trim_end(rest);
        if alias.is_empty() {
            issues.push(Issue::new(46, lineno, offset_in(text, rest), "no alias"));
        } else if let Some(sp) = alias.iter().rposition(|&b| b == b' ') {
            // Looks like "alias address" squeezed before column 34.
            issues.push(Issue::new(
                72,
                lineno,
                offset_in(text, alias) + sp,
                "the address type must start in column 34 (or be separated by a tab); Import reads everything before column 34 as the alias",
            ));
        } else {
            issues.push(Issue::new(
                18,
                lineno,
                offset_in(text, rest) + rest.len(),
                "line ends before column 34, where the address type belongs",
            ));
        }
        return (Layout::Columns, alias, None);
    }
    if line[alias_end] != b' ' {
        // Import reads a fullname running past column 32 (KB Q104869): where
        // the address would start is unknown, so none is read.
        issues.push(Issue::new(
            72,
            lineno,
            offset_in(text, line) + alias_end,
            "column 33 must be a space: the alias runs past 30 characters or starts after column 3",
        ));
        return (Layout::Columns, trim_end(rest), None);
    }
    let alias = trim_end(&line[2..alias_end]);
    check_alias(text, alias, lineno, issues);
    let addr = trim_end(&line[alias_end + 1..]);
    let address = if addr.is_empty() {
        issues.push(Issue::new(
            48,
            lineno,
            offset_in(text, addr),
            "no address at column 34",
        ));
        None
    } else {
        Some(Address::parse(addr))
    };
    (Layout::Columns, alias, address)
}

fn check_alias(text: &[u8], alias: &[u8], lineno: usize, issues: &mut Vec<Issue>) {
    if alias.is_empty() {
        issues.push(Issue::new(
            46,
            lineno,
            offset_in(text, alias),
            "no alias (friendly name)",
        ));
    } else if alias.len() > limits::ALIAS {
        issues.push(Issue::new(
            72,
            lineno,
            offset_in(text, alias),
            format!(
                "alias is {} characters, at most {} are allowed",
                alias.len(),
                limits::ALIAS
            ),
        ));
    }
}

/// Splits a 10/10/10 address body at `/` in one pass: the first three
/// elements (as [`Address::elements`] gives them), the position of the first
/// byte in each that is not a name character, and the number of elements.
fn scan_elements(body: &[u8]) -> ([&[u8]; 3], [Option<usize>; 3], usize) {
    let mut parts: [&[u8]; 3] = [b""; 3];
    let mut bad: [Option<usize>; 3] = [None; 3];
    let (mut count, mut start) = (0, 0);
    for (i, &b) in body.iter().enumerate() {
        if b == b'/' {
            if count < 3 {
                parts[count] = &body[start..i];
            }
            count += 1;
            start = i + 1;
        } else if !is_name_char(b) && count < 3 && bad[count].is_none() {
            bad[count] = Some(i - start);
        }
    }
    if count < 3 {
        parts[count] = &body[start..];
    }
    (parts, bad, count + 1)
}

/// Checks an address's body against the rules of its type. `elements` is the
/// number of elements a 10/10/10 address must have (3 for an entry, 2 for a
/// postoffice or node in R and T).
fn check_address(
    cp: CodePage,
    text: &[u8],
    addr: &Address<'_>,
    elements: usize,
    lineno: usize,
    issues: &mut Vec<Issue>,
) {
    let at = offset_in(text, addr.body);
    if addr.address_type == AddressType::Other {
        issues.push(Issue::new(
            16,
            lineno,
            offset_in(text, addr.type_name.unwrap_or(addr.body)),
            format!(
                "address type `{}` is not one MS Mail documents; kept as written",
                String::from_utf8_lossy(addr.type_name.unwrap_or(b""))
            ),
        ));
        return;
    }
    if addr.body.is_empty() && elements == 2 {
        // `R SMTP:`, `R FAX:`, `R PROFS:`: a whole gateway list (KB Q96060, Q112285).
        return;
    }
    if addr.address_type.is_elemental() {
        let names = ["network", "postoffice", "mailbox"];
        let (parts, bad_at, count) = scan_elements(addr.body);
        if count < elements {
            let code = if elements == 3 && count == 2 { 81 } else { 19 };
            issues.push(Issue::new(
                code,
                lineno,
                at + addr.body.len(),
                format!("expected {elements} `/`-separated elements, found {count}"),
            ));
        } else if count > elements {
            issues.push(Issue::new(
                26,
                lineno,
                at,
                format!("expected {elements} `/`-separated elements, found {count}"),
            ));
        }
        for (i, part) in parts.iter().take(elements.min(count)).enumerate() {
            let pat = offset_in(text, part);
            if part.is_empty() {
                let code = if i == 2 { 81 } else { 17 };
                issues.push(Issue::new(
                    code,
                    lineno,
                    pat,
                    format!("the {} name is empty", names[i]),
                ));
            } else if part.len() > limits::ELEMENT {
                issues.push(Issue::new(
                    20,
                    lineno,
                    pat,
                    format!(
                        "{} name `{}` is {} characters, at most {} are allowed",
                        names[i],
                        cp.decode(part),
                        part.len(),
                        limits::ELEMENT
                    ),
                ));
            }
            if let Some(bad) = bad_at[i] {
                issues.push(Issue::new(
                    69 + i as u16,
                    lineno,
                    pat + bad,
                    format!("{} name contains {:?}", names[i], cp.decode_byte(part[bad])),
                ));
            }
        }
    } else if addr.address_type == AddressType::Fax {
        // The first four fields are kept; `count` counts them all (no allocation).
        let mut kept: [&[u8]; 4] = [b""; 4];
        let mut count = 0;
        for f in addr.body.split(|&b| b == b'~') {
            if count < 4 {
                kept[count] = f;
            }
            count += 1;
        }
        let fields = &kept[..count.min(4)];
        if count != 4 {
            issues.push(Issue::new(
                26,
                lineno,
                at,
                format!("a FAX address has four `~`-separated fields (recipient~location~company~phone), found {count}"),
            ));
        }
        let labels = ["recipient", "location", "company", "phone"];
        for (i, f) in fields.iter().take(4).enumerate() {
            if f.len() > limits::FAX[i] {
                issues.push(Issue::new(
                    74 + i as u16,
                    lineno,
                    offset_in(text, f),
                    format!(
                        "FAX {} is {} characters, at most {} are allowed",
                        labels[i],
                        f.len(),
                        limits::FAX[i]
                    ),
                ));
            }
        }
        if let Some(phone) = fields.get(3) {
            if let Some(bad) = phone
                .iter()
                .position(|b| !(b.is_ascii_digit() || b" ,-".contains(b)))
            {
                issues.push(Issue::new(
                    15,
                    lineno,
                    offset_in(text, phone) + bad,
                    "a FAX phone number holds only digits, spaces, commas and hyphens",
                ));
            }
        }
    } else if addr.body.is_empty() && elements == 3 {
        issues.push(Issue::new(
            48,
            lineno,
            at,
            "the address after the type is empty",
        ));
    }
}

/// Splits `- Prompt:/value`. A `/` doubled (`//`) belongs to the prompt.
fn template_info<'a>(
    text: &'a [u8],
    line: &'a [u8],
    lineno: usize,
    issues: &mut Vec<Issue>,
) -> Option<TemplateInfo<'a>> {
    let body = trim_start(&line[1..]);
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'/' {
            if body.get(i + 1) == Some(&b'/') {
                i += 2;
                continue;
            }
            return Some(TemplateInfo {
                prompt: &body[..i],
                value: &body[i + 1..],
            });
        }
        i += 1;
    }
    issues.push(Issue::new(
        22,
        lineno,
        offset_in(text, line),
        "a template information line is `- Prompt:/value`",
    ));
    None
}

/// True when `text` is one of the commonest transactions in a form [`parse`]
/// would find nothing wrong with: one line, `A`, `D` or `M` with an alias of
/// 1 to 30 characters, a tab, and `PCM:NET/PO/MAILBOX` (three elements of 1
/// to 10 ASCII letters or digits) or `SMTP:` with an address without spaces;
/// or `R PCM:NET/PO`.
///
/// A quick, conservative recogniser for checking large queues: `false` says
/// nothing (call [`parse`]); `true` guarantees that `parse` reports no issue
/// and that the transaction is not a `#` comment (property-tested against
/// `parse`). It looks at each byte about twice instead of building the whole
/// [`Transaction`].
pub fn plainly_valid(text: &[u8]) -> bool {
    if memchr::memchr2(b'\n', b'\r', text).is_some() {
        return false;
    }
    let [command, b' ', rest @ ..] = text else {
        return false;
    };
    match command.to_ascii_uppercase() {
        b'R' => rest
            .strip_prefix(b"PCM:")
            .is_some_and(|body| plain_elements(body, 2)),
        b'A' | b'D' | b'M' => {
            let Some(tab) = memchr(b'\t', rest) else {
                return false;
            };
            let alias = trim_end(trim_start(&rest[..tab]));
            if alias.is_empty() || alias.len() > limits::ALIAS {
                return false;
            }
            let address = &rest[tab + 1..];
            if let Some(body) = address.strip_prefix(b"PCM:") {
                plain_elements(body, 3)
            } else if let Some(body) = address.strip_prefix(b"SMTP:") {
                !body.is_empty() && !body.iter().any(|&b| b == b' ' || b == b'\t')
            } else {
                false
            }
        }
        _ => false,
    }
}

/// True when `body` is exactly `count` `/`-separated elements of 1 to 10
/// ASCII letters or digits.
fn plain_elements(body: &[u8], count: usize) -> bool {
    // Per byte: 1 for an ASCII letter or digit, 2 for `/`, 0 for anything else.
    static CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = if b.is_ascii_alphanumeric() {
                1
            } else if b == b'/' {
                2
            } else {
                0
            };
            i += 1;
        }
        t
    };
    let (mut n, mut start) = (1, 0);
    for (i, &b) in body.iter().enumerate() {
        match CLASS[usize::from(b)] {
            1 => {}
            2 => {
                if !(1..=limits::ELEMENT).contains(&(i - start)) {
                    return false;
                }
                n += 1;
                start = i + 1;
            }
            _ => return false,
        }
    }
    n == count && (1..=limits::ELEMENT).contains(&(body.len() - start))
}

/// Parses one transaction's text in code page `cp`. Never fails: problems
/// are listed in `issues`.
pub fn parse(text: &[u8], cp: CodePage) -> Transaction<'_> {
    let mut issues = Vec::new();
    let mut it = lines(text);
    let first = it.next().unwrap_or(b"");
    let mut t = Transaction {
        command: Command::Comment,
        layout: Layout::Columns,
        alias: None,
        address: None,
        modify_target: None,
        template_info: Vec::new(),
        template_defs: Vec::new(),
        comment: None,
        issues: Vec::new(),
        codepage: cp,
    };
    let cmd = match first.first() {
        Some(b'#') => {
            t.comment = Some(&first[1..]);
            t.issues = issues;
            return t;
        }
        Some(c) => match c.to_ascii_uppercase() {
            b'A' => Command::Add,
            b'D' => Command::Delete,
            b'M' => Command::Modify,
            b'R' => Command::Replace,
            b'T' => Command::Template,
            // KB Q96001 names messages 12 and 13 but not which character
            // gives which: a letter is a command Import does not know (13),
            // anything else an invalid character (12). Reconstructed.
            c if c.is_ascii_alphabetic() => {
                issues.push(Issue::new(
                    13,
                    1,
                    0,
                    format!("`{}` is not one of A, D, M, R, T", c as char),
                ));
                t.issues = issues;
                return t;
            }
            _ => {
                issues.push(Issue::new(
                    12,
                    1,
                    0,
                    "column 1 must hold A, D, M, R, T or #",
                ));
                t.issues = issues;
                return t;
            }
        },
        None => {
            issues.push(Issue::new(21, 1, 0, "the transaction is empty"));
            t.issues = issues;
            return t;
        }
    };
    t.command = cmd;
    match first.get(1) {
        Some(b' ' | b'\t') => {}
        Some(_) => issues.push(Issue::new(23, 1, 1, "column 2 must be a space or a tab")),
        None => {}
    }
    match cmd {
        Command::Replace | Command::Template => {
            let addr = trim_end(trim_start(first.get(1..).unwrap_or(b"")));
            if first.get(1) == Some(&b'\t') {
                t.layout = Layout::Tabs;
            }
            if addr.is_empty() {
                issues.push(Issue::new(
                    19,
                    1,
                    first.len(),
                    "expected the postoffice or gateway address",
                ));
            } else {
                let a = Address::parse(addr);
                check_address(cp, text, &a, 2, 1, &mut issues);
                t.address = Some(a);
            }
        }
        _ if matches!(first.get(1), Some(b' ' | b'\t') | None) => {
            let (layout, alias, address) = alias_and_address(text, first, 2, 1, &mut issues);
            t.layout = layout;
            t.alias = Some(alias);
            if let Some(a) = &address {
                check_address(cp, text, a, 3, 1, &mut issues);
            }
            t.address = address;
        }
        // Column 2 holds neither a space nor a tab ([ 23], reported above):
        // where the alias starts is unknown, so none is read.
        _ => t.alias = Some(&first[1..1]),
    }
    let mut target_line = false;
    for (n, line) in it.enumerate() {
        let lineno = n + 2;
        match (cmd, line.first()) {
            (Command::Template, Some(b' ')) => t.template_defs.push(&line[1..]),
            (Command::Add | Command::Delete | Command::Modify, Some(b'-')) => {
                if let Some(info) = template_info(text, line, lineno, &mut issues) {
                    t.template_info.push(info);
                }
            }
            (Command::Modify, Some(b' ' | b'\t')) if !target_line && t.template_info.is_empty() => {
                target_line = true;
                // The new entry's line: the first line with its command
                // column blank (KB Q159308, Q151782, Q96001 message 23).
                let start = match line {
                    [b'\t', ..] => 1,
                    [b' ', b' ' | b'\t', ..] | [b' '] => 2,
                    _ => {
                        issues.push(Issue::new(
                            23,
                            lineno,
                            offset_in(text, line) + 1,
                            "the new entry's line has a blank command column: column 2 must be a space or a tab",
                        ));
                        continue;
                    }
                };
                let (layout, alias, address) =
                    alias_and_address(text, line, start, lineno, &mut issues);
                if let Some(a) = &address {
                    check_address(cp, text, a, 3, lineno, &mut issues);
                    t.modify_target = Some(ModifyTarget {
                        layout,
                        alias,
                        address: *a,
                    });
                }
            }
            _ => issues.push(Issue::new(
                12,
                lineno,
                offset_in(text, line),
                match cmd {
                    Command::Template => "template definition lines start with a space",
                    Command::Replace => "an R transaction has no continuation lines",
                    _ => "continuation lines start with `-` (template information) or, after M, with spaces (the new entry)",
                },
            )),
        }
    }
    if !t.template_info.is_empty() {
        let ty = t
            .modify_target
            .map(|m| m.address)
            .or(t.address)
            .map(|a| a.address_type);
        if let Some(ty) = ty {
            if !ty.allows_template() {
                issues.push(Issue::new(
                    24,
                    2,
                    0,
                    format!("{ty:?} addresses carry no template information"),
                ));
            }
        }
    }
    t.issues = issues;
    t
}

// ---------------------------------------------------------------------------
// Writing a transaction back as text
// ---------------------------------------------------------------------------

/// The separator between lines of a stored transaction (docs/formats/queue.md).
pub const LINE_BREAK: &[u8] = b"\r\n";

impl Address<'_> {
    /// Appends the address as written: `TYPE:body`, or the body alone when no type was written.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        if let Some(t) = self.type_name {
            out.extend_from_slice(t);
            out.push(b':');
        }
        out.extend_from_slice(self.body);
    }
}

/// Appends `alias` and `address` in `layout`: the alias padded to 30
/// characters and the address from column 34, or alias TAB address.
fn write_entry(out: &mut Vec<u8>, layout: Layout, alias: &[u8], address: Option<&Address<'_>>) {
    out.extend_from_slice(alias);
    match (layout, address) {
        (Layout::Tabs, a) => {
            out.push(b'\t');
            if let Some(a) = a {
                a.write_text(out);
            }
        }
        (Layout::Columns, Some(a)) => {
            out.resize(out.len() + limits::ALIAS.saturating_sub(alias.len()), b' ');
            out.push(b' ');
            a.write_text(out);
        }
        // No address: the line ends after the alias (before column 34).
        (Layout::Columns, None) => {}
    }
}

impl Transaction<'_> {
    /// The transaction as text in glbtool's canonical form: command letter in
    /// upper case, one space (a tab for an R or T read in the tab layout), the
    /// alias and address in the layout they were read in, then the modify
    /// target, template information and template definition lines, joined by
    /// CR LF, without a final line break.
    ///
    /// The stored text stays authoritative: glbtool never rewrites a record's
    /// text through this. It is used to write new transactions, and it is the
    /// inverse of [`parse`] on canonical text (`parse(t).to_text() == t`; the
    /// property tests and the `import_grammar` fuzz target check this). Text
    /// that is not canonical (extra spaces, lower-case commands, lines the
    /// parser reports and skips) comes back in canonical form, and
    /// `to_text` of that is a fixed point. A transaction whose first line is
    /// unusable (no command) has no text form: the result is empty.
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.command {
            Command::Comment => {
                if let Some(c) = self.comment {
                    out.push(b'#');
                    out.extend_from_slice(c);
                }
                return out;
            }
            Command::Replace | Command::Template => {
                out.push(self.command.letter() as u8);
                out.push(if self.layout == Layout::Tabs {
                    b'\t'
                } else {
                    b' '
                });
                if let Some(a) = &self.address {
                    a.write_text(&mut out);
                }
            }
            Command::Add | Command::Delete | Command::Modify => {
                out.push(self.command.letter() as u8);
                out.push(b' ');
                let alias = self.alias.unwrap_or(b"");
                write_entry(&mut out, self.layout, alias, self.address.as_ref());
            }
        }
        if let Some(m) = &self.modify_target {
            out.extend_from_slice(LINE_BREAK);
            out.extend_from_slice(if m.layout == Layout::Tabs {
                b" \t"
            } else {
                b"  "
            });
            write_entry(&mut out, m.layout, m.alias, Some(&m.address));
        }
        for i in &self.template_info {
            out.extend_from_slice(LINE_BREAK);
            out.extend_from_slice(b"- ");
            out.extend_from_slice(i.prompt);
            out.push(b'/');
            out.extend_from_slice(i.value);
        }
        for d in &self.template_defs {
            out.extend_from_slice(LINE_BREAK);
            out.push(b' ');
            out.extend_from_slice(d);
        }
        out
    }

    /// The transaction without its issues, for comparing structure.
    pub fn without_issues(&self) -> Transaction<'_> {
        Transaction {
            issues: Vec::new(),
            ..self.clone()
        }
    }
}

// ---------------------------------------------------------------------------
// JSON form of a parsed transaction (output only; the stored text is authoritative)
// ---------------------------------------------------------------------------

/// Text bytes, in JSON as a string decoded in the code page.
struct Str<'a>(CodePage, &'a [u8]);
impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.decode(self.1))
    }
}

/// An address, in JSON with its text decoded in the code page.
struct AddressJson<'a, 'b>(CodePage, &'b Address<'a>);
impl Serialize for AddressJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let AddressJson(cp, a) = self;
        a.serialize_in(*cp, s)
    }
}

impl Address<'_> {
    fn serialize_in<S: Serializer>(&self, cp: CodePage, s: S) -> Result<S::Ok, S::Error> {
        let elemental = self.address_type.is_elemental();
        let parts: Vec<&[u8]> = if elemental {
            self.elements().collect()
        } else {
            Vec::new()
        };
        let mut st = s.serialize_struct("Address", 4)?;
        st.serialize_field("type", &self.type_upper())?;
        st.serialize_field("type_written", &self.type_name.is_some())?;
        if elemental && !self.body.is_empty() {
            let names = ["network", "postoffice", "mailbox"];
            let v: Vec<(&str, Str)> = parts
                .iter()
                .take(3)
                .enumerate()
                .map(|(i, p)| (names[i], Str(cp, p)))
                .collect();
            st.serialize_field("elements", &ElementMap(&v))?;
        } else if self.address_type == AddressType::Fax {
            let fields: Vec<Str> = self
                .body
                .split(|&b| b == b'~')
                .map(|f| Str(cp, f))
                .collect();
            st.serialize_field("fax", &fields)?;
        } else {
            st.skip_field("elements")?;
        }
        st.serialize_field("address", &Str(cp, self.body))?;
        st.end()
    }
}

struct ElementMap<'a>(&'a [(&'static str, Str<'a>)]);
impl Serialize for ElementMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Transaction<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Info<'a> {
            prompt: Str<'a>,
            value: Str<'a>,
        }
        #[derive(Serialize)]
        struct Target<'a, 'b> {
            alias: Str<'a>,
            address: AddressJson<'a, 'b>,
        }
        let cp = self.codepage;
        let mut st = s.serialize_struct("Transaction", 9)?;
        st.serialize_field("command", &self.command)?;
        if self.command != Command::Comment {
            st.serialize_field("layout", &self.layout)?;
        }
        if let Some(a) = self.alias {
            st.serialize_field("alias", &Str(cp, a))?;
        }
        if let Some(a) = &self.address {
            st.serialize_field("address", &AddressJson(cp, a))?;
        }
        if let Some(m) = &self.modify_target {
            st.serialize_field(
                "new",
                &Target {
                    alias: Str(cp, m.alias),
                    address: AddressJson(cp, &m.address),
                },
            )?;
        }
        if !self.template_info.is_empty() {
            let v: Vec<Info> = self
                .template_info
                .iter()
                .map(|i| Info {
                    prompt: Str(cp, i.prompt),
                    value: Str(cp, i.value),
                })
                .collect();
            st.serialize_field("template", &v)?;
        }
        if !self.template_defs.is_empty() {
            let v: Vec<Str> = self.template_defs.iter().map(|d| Str(cp, d)).collect();
            st.serialize_field("template_definition", &v)?;
        }
        if let Some(c) = self.comment {
            st.serialize_field("comment", &Str(cp, c))?;
        }
        if !self.issues.is_empty() {
            st.serialize_field("issues", &self.issues)?;
        }
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(t: &Transaction) -> Vec<u16> {
        t.issues.iter().map(|i| i.message).collect()
    }

    #[test]
    fn listq_sample_transactions_parse_cleanly() {
        let r = parse(
            b"R PCM:POLYNOMIAL/MONTGOMERY",
            crate::codepage::CodePage::Cp850,
        );
        assert_eq!(r.command, Command::Replace);
        assert_eq!(
            r.address.unwrap().elements().collect::<Vec<_>>(),
            vec![&b"POLYNOMIAL"[..], b"MONTGOMERY"]
        );
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        let a = parse(
            b"A able is he who knows his limit\tPCM:POLYNOMIAL/MONTGOMERY/able",
            crate::codepage::CodePage::Cp850,
        );
        assert_eq!(a.layout, Layout::Tabs);
        assert!(a.issues.is_empty(), "{:?}", a.issues);
        assert_eq!(a.alias.unwrap(), b"able is he who knows his limit");
        assert_eq!(a.address.unwrap().body, b"POLYNOMIAL/MONTGOMERY/able");
    }

    #[test]
    fn replacing_a_whole_gateway_list_is_valid_for_every_type() {
        for text in [&b"R SMTP:"[..], b"R FAX:", b"R PROFS:", b"R X400:"] {
            let r = parse(text, crate::codepage::CodePage::Cp850);
            assert_eq!(r.command, Command::Replace);
            assert!(r.issues.is_empty(), "{:?}: {:?}", text, r.issues);
        }
        // An A transaction still needs the four FAX fields.
        assert_eq!(
            codes(&parse(b"A Fax\tFAX:", crate::codepage::CodePage::Cp850)),
            vec![26]
        );
    }

    #[test]
    fn fixed_columns_put_the_type_at_column_34() {
        let line = format!("D {:<30} PCM:NET1/PO1/USER1", "User1 alias");
        let t = parse(line.as_bytes(), crate::codepage::CodePage::Cp850);
        assert_eq!(t.layout, Layout::Columns);
        assert!(t.issues.is_empty(), "{:?}", t.issues);
        assert_eq!(t.alias.unwrap(), b"User1 alias");
        assert_eq!(t.address.unwrap().address_type, AddressType::Pcm);
        // The alias shifted one column to the right overruns column 33.
        let shifted = format!(
            "D  {:<30} PCM:NET1/PO1/USER1",
            "User1 alias that is long enough"
        );
        assert!(codes(&parse(shifted.as_bytes(), crate::codepage::CodePage::Cp850)).contains(&72));
    }

    #[test]
    fn limits_name_the_import_message() {
        assert_eq!(
            codes(&parse(
                b"A Joe\tPCM:POLYNOMIALXX/PO/joe",
                crate::codepage::CodePage::Cp850
            )),
            vec![20]
        );
        let long = format!("A {}\tPCM:N/P/m", "x".repeat(31));
        assert_eq!(
            codes(&parse(long.as_bytes(), crate::codepage::CodePage::Cp850)),
            vec![72]
        );
        assert_eq!(
            codes(&parse(
                b"A Joe\tPCM:N/P/jo.e",
                crate::codepage::CodePage::Cp850
            )),
            vec![71]
        );
        assert_eq!(
            codes(&parse(b"A Joe\tPCM:N/P/", crate::codepage::CodePage::Cp850)),
            vec![81]
        );
        assert_eq!(
            codes(&parse(
                b"X Joe\tPCM:N/P/joe",
                crate::codepage::CodePage::Cp850
            )),
            vec![13]
        );
        assert_eq!(
            codes(&parse(
                b"1 Joe\tPCM:N/P/joe",
                crate::codepage::CodePage::Cp850
            )),
            vec![12]
        );
        assert_eq!(
            codes(&parse(b"A \tPCM:N/P/joe", crate::codepage::CodePage::Cp850)),
            vec![46]
        );
    }

    #[test]
    fn fax_fields_and_phone_characters() {
        assert!(parse(
            b"A Fax Joe\tFAX:Joe~Seattle~Acme~206 555-1212",
            crate::codepage::CodePage::Cp850
        )
        .issues
        .is_empty());
        let long = format!("A Fax Joe\tFAX:{}~S~A~1", "r".repeat(31));
        assert_eq!(
            codes(&parse(long.as_bytes(), crate::codepage::CodePage::Cp850)),
            vec![74]
        );
        assert_eq!(
            codes(&parse(
                b"A Fax Joe\tFAX:J~S~A~555-CALL",
                crate::codepage::CodePage::Cp850
            )),
            vec![15]
        );
        assert_eq!(
            codes(&parse(
                b"A Fax Joe\tFAX:J~S~A~12345678901234567890123",
                crate::codepage::CodePage::Cp850
            )),
            vec![77]
        );
        assert_eq!(
            codes(&parse(
                b"A Fax Joe\tFAX:J~S",
                crate::codepage::CodePage::Cp850
            )),
            vec![26]
        );
    }

    #[test]
    fn continuation_lines() {
        let t = parse(b"A Joe\tPROFS:GW/NODE/joe\r\n- Phone:/(206) 635-7022\r\n- City//ST//Zip:/City, State, 12345", crate::codepage::CodePage::Cp850);
        assert!(t.issues.is_empty(), "{:?}", t.issues);
        assert_eq!(t.template_info.len(), 2);
        assert_eq!(t.template_info[1].prompt, b"City//ST//Zip:");
        assert_eq!(t.template_info[1].value, b"City, State, 12345");
        let m = parse(
            b"M Joe\tPCM:N/P/joe\r\n \tJoseph\tPCM:N/P/joe",
            crate::codepage::CodePage::Cp850,
        );
        assert!(m.issues.is_empty(), "{:?}", m.issues);
        assert_eq!(m.modify_target.unwrap().alias, b"Joseph");
        let smtp = parse(
            b"A Joe\tSMTP:joe@example.com\r\n- Phone:/1",
            crate::codepage::CodePage::Cp850,
        );
        assert_eq!(codes(&smtp), vec![24]);
        let tdef = parse(
            b"T PROFS:GW/NODE\r\n Full Name:~10~25~A~John Doe~",
            crate::codepage::CodePage::Cp850,
        );
        assert!(tdef.issues.is_empty(), "{:?}", tdef.issues);
        assert_eq!(
            tdef.template_defs,
            vec![&b"Full Name:~10~25~A~John Doe~"[..]]
        );
        assert_eq!(
            codes(&parse(
                b"A Joe\tPCM:N/P/joe\r\n- Phone 12",
                crate::codepage::CodePage::Cp850
            )),
            vec![22]
        );
    }

    /// The new entry's line of an `M` has a blank command column (KB Q159308,
    /// Q151782): in the tab layout the separator follows it, as in
    /// `A<TAB>alias<TAB>address`; in the column layout column 2 is a space.
    /// Whatever the form, the alias is never cut, or the line is rejected
    /// with the message Import gives (`[ 23] Expecting tab or space`, KB Q96001).
    #[test]
    fn the_new_entry_line_keeps_every_character() {
        let first = "M Old Name\tPCM:NET/PO/mbx\r\n";
        let cols = format!("  {:<30} PCM:NET/PO/mbx", "New Name");
        for second in [
            "\tNew Name\tPCM:NET/PO/mbx",
            " \tNew Name\tPCM:NET/PO/mbx",
            "  New Name\tPCM:NET/PO/mbx",
            &cols,
        ] {
            let text = format!("{first}{second}");
            let t = parse(text.as_bytes(), crate::codepage::CodePage::Cp850);
            assert!(t.issues.is_empty(), "{second:?}: {:?}", t.issues);
            let m = t.modify_target.expect(second);
            assert_eq!(m.alias, b"New Name", "{second:?}");
            assert_eq!(m.address.body, b"NET/PO/mbx", "{second:?}");
        }
        // Forms the documented grammar does not allow: no new entry, and the
        // Import message (column 2 of a blank-command line, or a tab layout
        // without a tab before the address).
        for second in [" New Name\tPCM:NET/PO/mbx", "\tNew Name PCM:NET/PO/mbx"] {
            let text = format!("{first}{second}");
            let t = parse(text.as_bytes(), crate::codepage::CodePage::Cp850);
            assert_eq!(t.modify_target, None, "{second:?}");
            assert_eq!(codes(&t), vec![23], "{second:?}");
        }
        // An M without the second line, straight into template lines (KB Q151782).
        let t = parse(
            b"M Katie Jordan\tMS:TOON/TOWN/WCOYOTE\r\n- Internal Mail Stop:/ Trey Research #86",
            crate::codepage::CodePage::Cp850,
        );
        assert!(t.issues.is_empty(), "{:?}", t.issues);
        assert_eq!(t.modify_target, None);
        assert_eq!(t.template_info[0].value, b" Trey Research #86");
        // Column 2 of the first line is neither space nor tab: no alias is guessed.
        let t = parse(b"AJoe\tPCM:N/P/joe", crate::codepage::CodePage::Cp850);
        assert_eq!(codes(&t), vec![23]);
        assert_eq!(t.alias, Some(&b""[..]));
        assert_eq!(t.address, None);
        // A fullname running past column 32: Import reads a long fullname
        // (KB Q104869); no address is cut out of the middle of it.
        let long = format!("A {} PCM:N/P/joe", "x".repeat(32));
        let t = parse(long.as_bytes(), crate::codepage::CodePage::Cp850);
        assert_eq!(codes(&t), vec![72]);
        assert_eq!(t.alias.unwrap(), &long.as_bytes()[2..]);
        assert_eq!(t.address, None);
    }

    /// The whole text of an address: from its type (or body) to its end.
    fn address_span<'a>(text: &'a [u8], a: &Address<'a>) -> (usize, usize) {
        let start = offset_in(text, a.type_name.unwrap_or(a.body));
        (start, offset_in(text, a.body) + a.body.len())
    }

    /// True when `text[start..end]` is a whole field: preceded by a
    /// separator (space or tab; for R and T, the command column) and followed
    /// by white space or the end of the text.
    fn whole_field(text: &[u8], start: usize, end: usize, after_command: bool) -> bool {
        let before = start.checked_sub(1).map(|i| text[i]);
        let after = text.get(end).copied();
        let sep_before = matches!(before, Some(b' ' | b'\t')) || (after_command && start == 1);
        sep_before && matches!(after, None | Some(b' ' | b'\t' | b'\r' | b'\n'))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Every alias and address the grammar returns occurs verbatim in the
        /// text, as a whole field: no character is dropped from either end.
        #[test]
        fn aliases_and_addresses_are_whole_fields_of_the_text(
            command in proptest::sample::select(vec![b'A', b'D', b'M', b'm', b'R', b'T', b'X']),
            lines in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![b' ', b' ', b'\t', b'\t', b'N', b'e', b'w', b'P', b'C', b'M', b':', b'/', b'-', b'\r', 0xe9]),
                    0..40,
                ),
                1..4,
            ),
        ) {
            let mut text = vec![command];
            text.extend(lines.join(&b"\r\n"[..]));
            let t = parse(&text, crate::codepage::CodePage::Cp850);
            let rt = matches!(t.command, Command::Replace | Command::Template);
            if let Some(alias) = t.alias.filter(|a| !a.is_empty()) {
                let at = offset_in(&text, alias);
                proptest::prop_assert_eq!(&text[at..at + alias.len()], alias);
                proptest::prop_assert!(whole_field(&text, at, at + alias.len(), false), "alias {:?} in {:?}", String::from_utf8_lossy(alias), String::from_utf8_lossy(&text));
            }
            if let Some(a) = &t.address {
                let (s, e) = address_span(&text, a);
                proptest::prop_assert!(whole_field(&text, s, e, rt), "address {:?} in {:?}", String::from_utf8_lossy(&text[s..e]), String::from_utf8_lossy(&text));
            }
            if let Some(m) = &t.modify_target {
                if !m.alias.is_empty() {
                    let at = offset_in(&text, m.alias);
                    proptest::prop_assert!(whole_field(&text, at, at + m.alias.len(), false), "new alias {:?} in {:?}", String::from_utf8_lossy(m.alias), String::from_utf8_lossy(&text));
                }
                let (s, e) = address_span(&text, &m.address);
                proptest::prop_assert!(whole_field(&text, s, e, false), "new address {:?} in {:?}", String::from_utf8_lossy(&text[s..e]), String::from_utf8_lossy(&text));
            }
        }
    }

    #[test]
    fn unknown_types_are_kept_and_reported_as_16() {
        let t = parse(b"A Joe\tWANG:node/joe", crate::codepage::CodePage::Cp850);
        assert_eq!(t.address.unwrap().address_type, AddressType::Other);
        assert_eq!(t.address.unwrap().type_name.unwrap(), b"WANG");
        assert_eq!(codes(&t), vec![16]);
        // Types are case-insensitive.
        assert_eq!(
            parse(b"A Joe\tpcm:n/p/joe", crate::codepage::CodePage::Cp850)
                .address
                .unwrap()
                .address_type,
            AddressType::Pcm
        );
    }

    #[test]
    fn name_characters_follow_kb_q199676() {
        // KB Q199676: ASCII 1-47, 58-64, 91-96, 123-127 and 145-148 (and the
        // space, 32) are invalid in network, postoffice and mailbox names.
        let invalid = |b: u8| matches!(b, 0..=47 | 58..=64 | 91..=96 | 123..=127 | 145..=148);
        for b in 0..=255u8 {
            assert_eq!(is_name_char(b), !invalid(b), "byte {b}");
        }
    }

    #[test]
    fn fax_with_five_fields_counts_them_all() {
        let t = parse(
            b"A Fax Joe\tFAX:J~S~A~1~extra",
            crate::codepage::CodePage::Cp850,
        );
        assert_eq!(codes(&t), vec![26]);
        assert!(t.issues[0].detail.contains("found 5"), "{:?}", t.issues);
    }

    #[test]
    fn split_byte_splits_like_the_standard_split() {
        for s in [&b""[..], b"/", b"a", b"a/b", b"/a//b/", b"NET/PO/mbox"] {
            let ours: Vec<&[u8]> = split_byte(s, b'/').collect();
            let std: Vec<&[u8]> = s.split(|&b| b == b'/').collect();
            assert_eq!(ours, std, "{s:?}");
        }
        assert_eq!(
            lines(b"a\r\nb\nc\r\n").collect::<Vec<_>>(),
            vec![&b"a"[..], b"b", b"c"]
        );
    }

    #[test]
    fn element_scan_agrees_with_split_and_search() {
        for body in [
            &b""[..],
            b"/",
            b"N/P/m",
            b"N.T/P O/m!",
            b"//",
            b"a/b/c/d/e",
            b"\xe9t\x91/x/",
            b"abc",
            b"AZaz09/@[`{/:",
            b"POLYNOMIAL/MONTGOMERY/paul",
        ] {
            let (parts, bad, count) = scan_elements(body);
            let split: Vec<&[u8]> = body.split(|&b| b == b'/').collect();
            assert_eq!(count, split.len(), "{body:?}");
            for i in 0..3 {
                let want = split.get(i).copied().unwrap_or(b"");
                assert_eq!(parts[i], want, "{body:?} part {i}");
                assert_eq!(
                    bad[i],
                    want.iter().position(|&b| !is_name_char(b)),
                    "{body:?} part {i}"
                );
            }
        }
    }

    #[test]
    fn the_commonest_clean_transactions_are_recognised_plainly() {
        for text in [
            &b"R PCM:POLYNOMIAL/MONTGOMERY"[..],
            b"A able is he who knows his limit\tPCM:POLYNOMIAL/MONTGOMERY/able",
            b"d Paul\tPCM:N/P/paul",
            b"M Joe \tSMTP:joe@example.com",
        ] {
            assert!(plainly_valid(text), "{}", String::from_utf8_lossy(text));
            assert!(parse(text, crate::codepage::CodePage::Cp850)
                .issues
                .is_empty());
        }
        for text in [
            &b"R PCM:N/P/x"[..],
            b"A Joe\tPCM:N/P/jo.e",
            b"A Joe\tPCM:N/P/",
            b"A Joe\tpcm:N/P/joe",
            b"A Joe\tPCM:NETWORKNAME1/P/joe",
            b"A \tPCM:N/P/joe",
            b"A Joe\tSMTP:",
            b"A Joe\tPCM:N/P/joe\r\n- Phone:/1",
            b"A Joe                            PCM:N/P/joe",
            b"# comment",
        ] {
            assert!(!plainly_valid(text), "{}", String::from_utf8_lossy(text));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// `plainly_valid` never vouches for a transaction `parse` finds fault with.
        #[test]
        fn plainly_valid_implies_parse_finds_nothing(
            command in proptest::sample::select(vec![b'A', b'a', b'D', b'M', b'R', b'r', b'T', b'#', b'X', b' ']),
            sep in proptest::sample::select(vec![b' ', b'\t', b'x']),
            alias in proptest::collection::vec(proptest::sample::select(vec![b'J', b'o', b' ', b'\t', b'.', 0x01, 0xe9]), 0..34),
            tab in proptest::bool::ANY,
            ty in proptest::sample::select(vec![&b"PCM:"[..], b"SMTP:", b"pcm:", b"FAX:", b"PROFS:", b"", b"WANG:", b"PCM :"]),
            body in proptest::collection::vec(proptest::sample::select(vec![b'N', b'7', b'/', b'/', b' ', b'.', b'@', 0x91, b'\t']), 0..36),
            tail in proptest::sample::select(vec![&b""[..], b"\r\n", b"\r\n- Phone:/1", b"\n \tNew\tPCM:N/P/x", b" ", b"\r"]),
        ) {
            let mut text = vec![command, sep];
            text.extend_from_slice(&alias);
            if tab {
                text.push(b'\t');
            }
            text.extend_from_slice(ty);
            text.extend_from_slice(&body);
            text.extend_from_slice(tail);
            if plainly_valid(&text) {
                let t = parse(&text, crate::codepage::CodePage::Cp850);
                proptest::prop_assert!(t.issues.is_empty(), "{:?}: {:?}", String::from_utf8_lossy(&text), t.issues);
                proptest::prop_assert!(t.command != Command::Comment);
            }
        }

        /// The same near the boundary: well-formed entries with element and
        /// alias lengths around the limits and one byte changed.
        #[test]
        fn plainly_valid_implies_parse_finds_nothing_near_the_limits(
            alias_len in 0usize..33,
            lens in proptest::collection::vec(0usize..12, 2..5),
            smtp in proptest::bool::ANY,
            at in proptest::num::usize::ANY,
            byte in proptest::sample::select(vec![None, None, None, Some(b'/'), Some(b' '), Some(b'\t'), Some(b':'), Some(b'.'), Some(0x91), Some(0xe9), Some(b'\n'), Some(b'x')]),
        ) {
            let mut text = b"A ".to_vec();
            text.extend(std::iter::repeat_n(b'a', alias_len));
            text.push(b'\t');
            if smtp {
                text.extend_from_slice(b"SMTP:");
            } else {
                text.extend_from_slice(b"PCM:");
            }
            let parts: Vec<Vec<u8>> = lens.iter().map(|&n| vec![b'Z'; n]).collect();
            text.extend_from_slice(&parts.join(&b'/'));
            if let Some(b) = byte {
                let i = at % text.len();
                text[i] = b;
            }
            if plainly_valid(&text) {
                let t = parse(&text, crate::codepage::CodePage::Cp850);
                proptest::prop_assert!(t.issues.is_empty(), "{:?}: {:?}", String::from_utf8_lossy(&text), t.issues);
            }
        }
    }

    #[test]
    fn address_type_names_fold_case() {
        assert_eq!(AddressType::from_name(b"msMail"), AddressType::Msmail);
        assert_eq!(AddressType::from_name(b"X400"), AddressType::X400);
        assert_eq!(AddressType::from_name(b"Ms"), AddressType::Ms);
        assert_eq!(AddressType::from_name(b"MSMAILX"), AddressType::Other);
        assert_eq!(AddressType::from_name(b"PC"), AddressType::Other);
        assert_eq!(AddressType::from_name(b""), AddressType::Other);
    }

    #[test]
    fn comments_have_no_effect() {
        let t = parse(
            b"# Dummy record installed by PODIAG.",
            crate::codepage::CodePage::Cp850,
        );
        assert_eq!(t.command, Command::Comment);
        assert!(t.issues.is_empty());
    }

    #[test]
    fn canonical_text_comes_back_byte_for_byte() {
        for text in [
            &b"R PCM:POLYNOMIAL/MONTGOMERY"[..],
            b"R\tSMTP:",
            b"A able is he who knows his limit\tPCM:POLYNOMIAL/MONTGOMERY/able",
            b"D User1 alias                    PCM:NET1/PO1/USER1",
            b"M Paul\tPCM:POLYNOMIAL/MONTGOMERY/paul\r\n \tPaul Montgomery\tPCM:POLYNOMIAL/MONTGOMERY/paul",
            b"A Brook Taylor Jr\tPROFS:PROFSGW/NODE1/brookjr\r\n- Phone:/(206) 635-7022\r\n- City//ST//Zip:/City, State, 12345",
            b"T PROFS:GW/NODE\r\n Full Name:~10~25~A~John Doe~\r\n Phone #:~15~23~NP~~",
            b"# Dummy record installed by PODIAG.",
            b"A Joe",
        ] {
            assert_eq!(
                String::from_utf8_lossy(&parse(text, crate::codepage::CodePage::Cp850).to_text()),
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn other_text_comes_back_canonical() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"a   Joe  \t PCM:N/P/joe \r\n", b"A Joe\tPCM:N/P/joe"),
            (b"R  PCM:N/P  ", b"R PCM:N/P"),
            (
                b"A Joe\tPCM:N/P/joe\n-Phone:/1\r\r",
                b"A Joe\tPCM:N/P/joe\r\n- Phone:/1",
            ),
            // Lines the parser reports and skips are not written.
            (b"R PCM:N/P\r\nstray line", b"R PCM:N/P"),
            // No usable command: no text form.
            (b"X Joe\tPCM:N/P/joe", b""),
            (b"", b""),
        ];
        for (text, want) in cases {
            let once = parse(text, crate::codepage::CodePage::Cp850).to_text();
            assert_eq!(
                String::from_utf8_lossy(&once),
                String::from_utf8_lossy(want)
            );
            assert_eq!(
                parse(&once, crate::codepage::CodePage::Cp850).to_text(),
                once,
                "a fixed point"
            );
        }
    }

    #[test]
    fn address_keys_fold_case_for_ms_mail_names_only() {
        assert_eq!(Address::parse(b"pcm:Net/Po/joe").key(), b"PCM:NET/PO/JOE");
        assert_eq!(
            Address::parse(b"smtp:Joe@Example.com").key(),
            b"SMTP:Joe@Example.com"
        );
        assert_eq!(Address::parse(b"NET/PO/joe").key(), b"PCM:NET/PO/JOE");
    }
}
