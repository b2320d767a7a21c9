//! What `--help` shows beyond the options: each subcommand's examples (run
//! as written from the repository's root, on the committed corpus; lines of
//! at most 80 columns, a long command continued with `\`, so that clap never
//! rewraps them), and the `--kind` values with what each kind is.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use glb_formats::FileKind;

/// `identify`'s examples.
pub const IDENTIFY: &str = "\
Examples:
  glbtool identify corpus/network/TAYLOR/GLB/*
  glbtool identify -f json corpus/network/MONTGOMERY/GLB/SRVCONF.GLB
  glbtool identify --kind reqtrans - < corpus/network/TAYLOR/GLB/REQTRANS.GLB";

/// `dump`'s examples.
pub const DUMP: &str = "\
Examples:
  glbtool dump corpus/network/TAYLOR/GLB/REQTRANS.GLB --check-crc
  glbtool dump corpus/network/MONTGOMERY/GLB/SRVCONF.GLB -f hex
  glbtool dump corpus/network/TAYLOR/GLB/PROCESS.GLB --tz America/Los_Angeles
  glbtool dump --postoffice corpus/network/TAYLOR";

/// `build`'s examples.
pub const BUILD: &str = "\
Examples:
  glbtool dump corpus/network/TAYLOR/GLB/REQTRANS.GLB -f json > r.json
  glbtool build r.json -o REQTRANS.GLB
  glbtool dump corpus/network/TAYLOR/GLB/PROCESS.GLB -f dssched > times.txt
  glbtool build --kind process --from-dssched times.txt -o PROCESS.GLB";

/// `edit`'s examples (they need a terminal; glbtool/tests/edit.rs runs
/// `edit` under script(1) with a scripted $VISUAL).
pub const EDIT: &str = "\
Examples:
  glbtool edit GLB/RESYNC.GLB
  glbtool edit NME/ADMIN.NME --codepage 437
  glbtool edit --kind reqtrans REQTRANS.OLD";

/// `validate`'s examples.
pub const VALIDATE: &str = "\
Examples:
  glbtool validate corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB
  glbtool validate corpus/network/TAYLOR/GLB/REQTRANS.GLB --alone
  glbtool validate corpus/network/MONTGOMERY/GLB/*.GLB -f json";

/// `patch-seq`'s examples.
pub const PATCH_SEQ: &str = "\
Examples:
  glbtool patch-seq corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB \\
      --from-srvconf corpus/scenarios/error14/MONTGOMERY/GLB/SRVCONF.GLB \\
      -o RESYNC.GLB
  glbtool patch-seq corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB --dry-run \\
      --from-reqconf corpus/scenarios/error14/TAYLOR/GLB/REQCONF.GLB \\
      corpus/scenarios/error14/LAGRANGE/GLB/REQCONF.GLB
  glbtool patch-seq corpus/network/TAYLOR/GLB/REQCONF.GLB --reset --dry-run
  glbtool patch-seq corpus/network/MONTGOMERY/GLB/SRVCONF.GLB \\
      --requestor POLYNOMIAL/TAYLOR --srvsync 35 --dry-run -f json";

/// `resync`'s examples.
pub const RESYNC: &str = "\
Examples:
  glbtool resync --server corpus/network/MONTGOMERY -o RESYNC.GLB
  glbtool resync --server corpus/network/MONTGOMERY -o RESYNC.GLB \\
      --date 1994-04-07T12:00:00Z";

/// `diff`'s examples.
pub const DIFF: &str = "\
Examples:
  glbtool diff corpus/network/TAYLOR/GLB/REQTRANS.GLB \\
      corpus/scenarios/reqtrans-below-reqsync/TAYLOR/GLB/REQTRANS.GLB
  glbtool diff -f json corpus/network/TAYLOR/NME/GAL.NME \\
      corpus/network/LAGRANGE/NME/GAL.NME
  glbtool diff --dss corpus/scenarios/missing-names/MONTGOMERY \\
      --requestor corpus/scenarios/missing-names/TAYLOR
  glbtool diff --memory-limit 256 corpus/network/TAYLOR/NME/ADMIN.NME \\
      corpus/scenarios/missing-names/TAYLOR/NME/ADMIN.NME";

/// `doctor`'s examples.
pub const DOCTOR: &str = "\
Examples:
  glbtool doctor corpus/network
  glbtool doctor corpus/scenarios/error14
  glbtool doctor -f json corpus/scenarios/error14/TAYLOR \\
      corpus/scenarios/error14/MONTGOMERY";

/// `probe`'s examples.
pub const PROBE: &str = "\
Examples:
  glbtool probe corpus/network/MONTGOMERY/GLB/MSTTRANS.GLB
  glbtool probe --redact -f json corpus/network/TAYLOR/NME/GAL.NME
  glbtool probe --kind nme corpus/network/TAYLOR/NME/FAX.NME
  glbtool probe --redacted-copy GAL.NME corpus/network/TAYLOR/NME/GAL.NME";

/// `completions`' examples.
pub const COMPLETIONS: &str = "\
Examples:
  glbtool completions bash > ~/.local/share/bash-completion/completions/glbtool
  glbtool completions zsh > ~/.zfunc/_glbtool
  glbtool completions fish > ~/.config/fish/completions/glbtool.fish
  glbtool completions powershell >> $PROFILE";

/// `man`'s examples.
pub const MAN: &str = "\
Examples:
  glbtool man | man -l -
  glbtool man dump | man -l -
  glbtool man --dir /usr/local/share/man/man1";

/// What a kind is, as `--kind`'s list of values shows it.
fn describe(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Reqtrans => "REQTRANS.GLB, the requestor's outgoing transactions",
        FileKind::Srvtrans => "SRVTRANS.GLB, updates from the server before Import",
        FileKind::Msttrans => "MSTTRANS.GLB, the server's master transaction list",
        FileKind::Resync => "RESYNC.GLB, a whole address list after a header",
        FileKind::Usrtrans => "USRTRANS.GLB, Import's sort queue for postoffice names",
        FileKind::Nmetrans => "NMETRANS.GLB, Import's sort queue for names",
        FileKind::Gwtrans => "GWTRANS.GLB, Import's sort queue for gateway names",
        FileKind::Srvupds => "SRVUPDS.GLB, the server's updates of one cycle",
        FileKind::Requpds => "REQUPDS.GLB, the requestor's updates file",
        FileKind::Iusrtran => "IUSRTRAN.GLB, Import's copy of USRTRANS",
        FileKind::Inmetran => "INMETRAN.GLB, Import's copy of NMETRANS",
        FileKind::Igwtrans => "IGWTRANS.GLB, Import's copy of GWTRANS",
        FileKind::Reqconf => "REQCONF.GLB, the requestor configuration",
        FileKind::Srvconf => "SRVCONF.GLB, the server configuration",
        FileKind::Process => "PROCESS.GLB, the Dir-Sync schedule",
        FileKind::Nme => "*.NME, an address list (POL, GAL, gateway names)",
        FileKind::Usr => "*.USR, the users of one external postoffice",
        FileKind::Netpo => "NETPO.GLB, the external addresses of the POL and PALs",
        FileKind::Galnetpo => "GALNETPO.GLB (or TMPNETPO.GLB), the GAL's external addresses",
        FileKind::Network => "NETWORK.GLB, the external networks and gateways",
        FileKind::Xtn => "*.XTN, the postoffices of one network",
    }
}

/// The `--kind` parser: a kind's name or a file name such as `REQCONF.GLB`,
/// and the kinds as the option's listed values (in `--help` and in shell
/// completions). clap's own enum parser would refuse the file names.
#[derive(Debug, Clone, Copy, Default)]
pub struct KindParser;

impl TypedValueParser for KindParser {
    type Value = FileKind;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<FileKind, clap::Error> {
        let text = value.to_string_lossy();
        text.parse::<FileKind>().map_err(|_| {
            let mut e = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                e.insert(
                    ContextKind::InvalidArg,
                    ContextValue::String(arg.to_string()),
                );
            }
            e.insert(
                ContextKind::InvalidValue,
                ContextValue::String(text.into_owned()),
            );
            e.insert(
                ContextKind::ValidValue,
                ContextValue::Strings(FileKind::ALL.iter().map(|k| k.name().into()).collect()),
            );
            e
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            FileKind::ALL
                .iter()
                .map(|k| PossibleValue::new(k.name()).help(describe(*k))),
        ))
    }
}
