//! The `glbtool` command: [`glbtool::run_process`], the whole of it.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(glbtool::run_process())
}
