//! The one place that maps a [`Family`](crate::Family) to its [`Format`](crate::Format) type.
//!
//! `with_format!(family, |F| expr)` evaluates `expr` with the type alias `F`
//! bound to the family's format, so generic code (`dump::<F>()`,
//! `Reader::<F, _>`) can be written once and used for every family. The match
//! has no wildcard arm: adding a [`Family`](crate::Family) variant is a
//! compile error here (and at every other match over kinds and families)
//! until it is given its format.

/// Runs an expression with `F` bound to the format type of a family.
#[macro_export]
macro_rules! with_format {
    ($family:expr, |$F:ident| $body:expr $(,)?) => {{
        match $family {
            $crate::Family::Queue => {
                type $F = $crate::queue::Queue;
                $body
            }
            $crate::Family::ReqConf => {
                type $F = $crate::reqconf::ReqConfFile;
                $body
            }
            $crate::Family::SrvConf => {
                type $F = $crate::srvconf::SrvConfFile;
                $body
            }
            $crate::Family::Process => {
                type $F = $crate::process::ProcessFile;
                $body
            }
            $crate::Family::Nme => {
                type $F = $crate::nme::Nme;
                $body
            }
            $crate::Family::Usr => {
                type $F = $crate::usr::Usr;
                $body
            }
            $crate::Family::Netpo => {
                type $F = $crate::netpo::Netpo;
                $body
            }
            $crate::Family::Galnetpo => {
                type $F = $crate::netpo::Galnetpo;
                $body
            }
            $crate::Family::Network => {
                type $F = $crate::network::Network;
                $body
            }
            $crate::Family::Xtn => {
                type $F = $crate::xtn::Xtn;
                $body
            }
        }
    }};
}
