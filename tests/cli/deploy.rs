//! The deployment files: Compose accepts docker-compose.yml (no engine needed to parse it),
//! its services run subcommands the binary has, and the worker count is a knob.

use crate::neurocards;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `docker compose` (v2 plugin) or `docker-compose` (v1), whichever is installed.
fn compose() -> Option<Vec<&'static str>> {
    let works = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works("docker", &["compose", "version"]) {
        Some(vec!["docker", "compose"])
    } else if works("docker-compose", &["version"]) {
        Some(vec!["docker-compose"])
    } else {
        None
    }
}

fn compose_config(dir: &Path, replicas: &str) -> String {
    let Some(compose) = compose() else {
        unreachable!("checked by the caller")
    };
    let output = Command::new(compose[0])
        .args(&compose[1..])
        .args(["--profile", "webhook", "config"])
        .current_dir(dir)
        .env("WORKER_REPLICAS", replicas)
        .output()
        .expect("run compose");
    assert!(
        output.status.success(),
        "compose rejected the file: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn compose_accepts_the_file_and_runs_our_subcommands() {
    if compose().is_none() {
        eprintln!(
            "SKIPPED: neither `docker compose` nor `docker-compose` is installed (.ci/run installs docker-compose)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo().join("docker-compose.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .expect("copy compose file");
    std::fs::copy(repo().join(".env.example"), dir.path().join(".env")).expect("copy env");
    let config = compose_config(dir.path(), "2");
    for service in ["postgres:", "redis:", "bot:", "worker:", "nginx:"] {
        assert!(config.contains(service), "{service} missing:\n{config}");
    }
    assert!(config.contains("replicas: 2"), "{config}");
    assert!(compose_config(dir.path(), "7").contains("replicas: 7"));
    assert!(config.contains("postgres:15") && config.contains("redis:7"));

    // The commands the compose file runs exist in the binary.
    for subcommand in ["bot", "worker"] {
        assert!(
            config.contains(&format!("- {subcommand}")),
            "{subcommand} not run"
        );
        let help = neurocards(dir.path(), &[subcommand, "--help"], &[]);
        assert!(help.status.success(), "neurocards {subcommand} --help");
    }
}

#[test]
fn the_image_runs_as_a_non_root_user_with_a_healthcheck() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile");
    assert!(dockerfile.contains("\nUSER neurocards\n"));
    assert!(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("/healthz"));
    assert!(
        dockerfile.matches("\nFROM ").count() + usize::from(dockerfile.starts_with("FROM ")) >= 2,
        "multi-stage"
    );
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    assert!(ignore.lines().any(|l| l == "target"));
}
