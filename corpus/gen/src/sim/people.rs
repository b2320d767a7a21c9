//! Names for the simulated network: postoffices, users, groups and gateway
//! addresses. The first three postoffices and their first users are the
//! people of the queue and list samples (KB Q96060's POLYNOMIAL network);
//! everyone else is drawn from the tables below.

use std::collections::BTreeSet;

use super::rng::Rng;
use crate::samples::lists::{LAGRANGE_USERS, TAYLOR_USERS};
use crate::samples::queue::LISTQ_SAMPLE;

/// The network every simulated postoffice belongs to.
pub const NETWORK: &str = crate::samples::lists::NETWORK;
/// The Dir-Sync server postoffice.
pub const SERVER: &str = "MONTGOMERY";

/// Postoffice names after the server (at most 10 alphanumeric characters).
const POSTOFFICES: &[&str] = &[
    "TAYLOR",
    "LAGRANGE",
    "NEWTON",
    "HORNER",
    "BERNOULLI",
    "CHEBYSHEV",
    "LEGENDRE",
    "HERMITE",
    "LAGUERRE",
    "JACOBI",
    "BESSEL",
    "FOURIER",
    "LAPLACE",
    "CAUCHY",
    "GAUSS",
    "RUFFINI",
    "WRONSKI",
    "SYLVESTER",
    "HILBERT",
    "ZERNIKE",
    "GEGENBAUER",
    "ABEL",
    "GALOIS",
    "BEZOUT",
    "STURM",
    "HURWITZ",
    "ROUTH",
    "DESCARTES",
    "BRIOT",
    "PELL",
];

/// The name of postoffice `i` (0 is the server): the table above, then
/// `PO0031`, `PO0032`, ... for larger networks.
pub fn postoffice_name(i: usize) -> String {
    match i {
        0 => SERVER.to_string(),
        i if i <= POSTOFFICES.len() => POSTOFFICES[i - 1].to_string(),
        i => format!("PO{i:04}"),
    }
}

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Alonzo",
    "Amalie",
    "Andr\u{e9}",
    "Bernhard",
    "Blaise",
    "Carl",
    "Charles",
    "Dorothy",
    "Edmund",
    "\u{c9}mile",
    "Emmy",
    "\u{c9}variste",
    "Felix",
    "Florence",
    "Georg",
    "G\u{f6}sta",
    "Grace",
    "Hermann",
    "Hypatia",
    "Isaac",
    "Jacques",
    "John",
    "J\u{fc}rgen",
    "Karl",
    "Katherine",
    "Leonhard",
    "Ludwig",
    "Marie",
    "Mary",
    "Niels",
    "Olga",
    "Pierre",
    "Sofia",
    "Sophie",
    "Srinivasa",
    "Stefan",
    "Zolt\u{e1}n",
];

const LAST: &[&str] = &[
    "Abel",
    "Bernoulli",
    "Bessel",
    "Bezout",
    "Boole",
    "Borel",
    "Cantor",
    "Cauchy",
    "Cayley",
    "Chebyshev",
    "Dedekind",
    "Descartes",
    "Dirichlet",
    "Fermat",
    "Fourier",
    "Galois",
    "Gauss",
    "Germain",
    "Hamilton",
    "Hermite",
    "Hilbert",
    "Jacobi",
    "Klein",
    "Kovalevskaya",
    "Kronecker",
    "Lambert",
    "Laplace",
    "Legendre",
    "Leibniz",
    "Lovelace",
    "Markov",
    "M\u{f6}bius",
    "Noether",
    "Pascal",
    "Poincar\u{e9}",
    "Riemann",
    "Sylvester",
    "Wallis",
    "Weierstrass",
];

/// A person as an administrator creates them: mailbox and friendly name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Mailbox name, at most 10 alphanumeric characters.
    pub mailbox: String,
    /// Friendly name, at most 30 characters, every character in CP850.
    pub name: String,
}

/// The users a postoffice starts with before any generated ones: the LISTQ
/// export of MONTGOMERY (KB Q96060) and the list samples' TAYLOR and LAGRANGE.
pub fn known_people(postoffice: &str) -> Vec<Person> {
    match postoffice {
        SERVER => LISTQ_SAMPLE
            .iter()
            .filter_map(|&(_, _, text)| text.strip_prefix("A "))
            .filter_map(|rest| rest.split_once('\t'))
            .map(|(name, address)| Person {
                mailbox: address.rsplit('/').next().unwrap_or_default().to_string(),
                name: name.to_string(),
            })
            .collect(),
        "TAYLOR" | "LAGRANGE" => {
            let people = if postoffice == "TAYLOR" {
                TAYLOR_USERS
            } else {
                LAGRANGE_USERS
            };
            people
                .iter()
                .map(|p| Person {
                    mailbox: p.mailbox.to_string(),
                    name: p.name.to_string(),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Folds a name to the ASCII letters a mailbox may hold.
fn mailbox_stem(first: &str) -> String {
    let folded: String = first
        .chars()
        .map(|c| match c {
            '\u{e1}' => 'a',
            '\u{e9}' | '\u{c9}' => 'e',
            '\u{f6}' => 'o',
            '\u{fc}' => 'u',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    folded.chars().take(7).collect()
}

/// Draws a new person whose mailbox is not in `taken` (which it joins).
pub fn new_person(rng: &mut Rng, taken: &mut BTreeSet<String>) -> Person {
    let first = *rng.pick(FIRST);
    let last = *rng.pick(LAST);
    let stem = mailbox_stem(first);
    let mailbox = std::iter::once(stem.clone())
        .chain((2..).map(|n| format!("{stem}{n}")))
        .find(|m| !taken.contains(m))
        .expect("an unused mailbox");
    taken.insert(mailbox.clone());
    Person {
        mailbox,
        name: format!("{first} {last}"),
    }
}

/// A new friendly name for someone called `old`: a new surname (the
/// administrator records a marriage) or an added middle initial.
pub fn renamed(rng: &mut Rng, old: &str) -> String {
    let first = old.split(' ').next().unwrap_or(old);
    let candidate = if rng.percent(50) {
        format!("{first} {}", rng.pick(LAST))
    } else {
        let initial = (b'A' + rng.below(26) as u8) as char;
        match old.split_once(' ') {
            Some((f, rest)) => format!("{f} {initial}. {rest}"),
            None => format!("{old} {initial}."),
        }
    };
    if candidate == old || candidate.chars().count() > 30 {
        format!(
            "{first} {}",
            LAST[(LAST.iter().position(|l| old.ends_with(l)).unwrap_or(0) + 1) % LAST.len()]
        )
    } else {
        candidate
    }
}

/// Capitalised postoffice name for friendly names (`TAYLOR` -> `Taylor`).
pub fn title(postoffice: &str) -> String {
    let mut c = postoffice.chars();
    match c.next() {
        Some(f) => f.to_string() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// The PROFS gateway every postoffice has installed, and its nodes.
pub const PROFS_GATEWAY: &str = "PROFSGW";
/// The nodes behind [`PROFS_GATEWAY`].
pub const PROFS_NODES: [&str; 2] = ["NODE1", "NODE2"];

/// A gateway address an administrator defines at a postoffice (a custom
/// recipient), as `(friendly name, TYPE:address)`.
pub fn gateway_addresses(i: usize, postoffice: &str) -> Vec<(String, String)> {
    let t = title(postoffice);
    let lower = postoffice.to_ascii_lowercase();
    match postoffice {
        SERVER => vec![(
            "Polynomial Info".into(),
            "SMTP:info@montgomery.example.com".into(),
        )],
        "TAYLOR" => vec![
            (
                "Taylor Sales".into(),
                "SMTP:sales@taylor.example.com".into(),
            ),
            (
                "Brook Taylor Jr".into(),
                format!("PROFS:{PROFS_GATEWAY}/NODE1/brookjr"),
            ),
        ],
        "LAGRANGE" => vec![(
            "Fax Lagrange".into(),
            "FAX:Joseph Lagrange~Turin~Lagrange~011 39 555 0100".into(),
        )],
        _ => vec![match i % 3 {
            0 => (
                format!("{t} Sales"),
                format!("SMTP:sales@{lower}.example.com"),
            ),
            1 => (
                format!("Fax {t}"),
                format!("FAX:{t} Office~{t}~Polynomial~555 {:04}", i % 10_000),
            ),
            _ => (
                format!("{t} Mainframe"),
                format!(
                    "PROFS:{PROFS_GATEWAY}/{}/{}",
                    PROFS_NODES[i % 2],
                    &lower[..lower.len().min(8)]
                ),
            ),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glb_formats::import;
    use glb_formats::CodePage;

    #[test]
    fn postoffice_names_are_short_alphanumeric_and_distinct() {
        let names: Vec<String> = (0..200).map(postoffice_name).collect();
        let set: BTreeSet<&String> = names.iter().collect();
        assert_eq!(set.len(), names.len());
        for n in &names {
            assert!(
                n.len() <= 10 && n.chars().all(|c| c.is_ascii_alphanumeric()),
                "{n}"
            );
        }
        assert_eq!(&names[..3], ["MONTGOMERY", "TAYLOR", "LAGRANGE"]);
    }

    #[test]
    fn the_known_people_are_the_samples() {
        let m = known_people(SERVER);
        assert_eq!(m.len(), 5);
        assert_eq!(m[0].mailbox, "able");
        assert_eq!(m[2].name, "Paul");
        assert_eq!(known_people("TAYLOR")[0].name, "Brook Taylor");
    }

    #[test]
    fn generated_people_and_addresses_obey_the_import_limits() {
        let mut rng = Rng::new(3);
        let mut taken = BTreeSet::new();
        for _ in 0..500 {
            let p = new_person(&mut rng, &mut taken);
            let renamed = renamed(&mut rng, &p.name);
            for name in [&p.name, &renamed] {
                let text = format!("A {name}\tPCM:{NETWORK}/TAYLOR/{}", p.mailbox);
                let bytes = CodePage::Cp850.encode(&text).expect("CP850");
                let t = import::parse(&bytes, glb_formats::CodePage::Cp850);
                assert!(t.issues.is_empty(), "{text}: {:?}", t.issues);
            }
        }
        assert_eq!(taken.len(), 500, "mailboxes are unique");
        for i in 0..60 {
            for (name, address) in gateway_addresses(i, &postoffice_name(i)) {
                let text = format!("A {name}\t{address}");
                let t = import::parse(text.as_bytes(), glb_formats::CodePage::Cp850);
                assert!(t.issues.is_empty(), "{text}: {:?}", t.issues);
            }
        }
    }
}
