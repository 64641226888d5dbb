//! The `neurocards` binary, run as a real process: start-up validation, `migrate`, the demo and the
//! operator's `admin` tools.

mod admin;
mod config;
mod demo;
mod deploy;
mod migrate;
mod process;
mod scale;
mod webhook;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary in `dir` with exactly `vars` set (no `.env`, no inherited settings).
pub fn neurocards(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neurocards"));
    command.args(args).current_dir(dir).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(vars.iter().copied());
    command.output().expect("run neurocards")
}
