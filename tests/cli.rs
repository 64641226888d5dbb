//! The binary's start-up: a bad setting stops it with one line naming the variable and exit
//! code 2; `migrate` prepares either backend.

use neurocards_store::scratch::ScratchDatabase;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary in `dir` with exactly `vars` set (no `.env`, no inherited settings).
fn neurocards(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neurocards"));
    command.args(args).current_dir(dir).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(vars.iter().copied());
    command.output().expect("run neurocards")
}

fn assert_config_error(output: &Output, var: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "exit code, stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(
        lines[0].starts_with(&format!("configuration error: {var}: ")),
        "names {var}: {stderr}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

#[test]
fn a_missing_bot_token_stops_run_and_bot() {
    let dir = tempfile::tempdir().expect("tempdir");
    for command in [&[][..], &["run"][..], &["bot"][..]] {
        let output = neurocards(dir.path(), command, &[]);
        assert_config_error(&output, "BOT_TOKEN");
    }
}

#[test]
fn each_malformed_setting_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proxies = dir.path().join("proxies.txt");
    std::fs::write(&proxies, "1.2.3.4:8080:user:pass\nnot a proxy line\n").expect("write");
    let proxies = proxies.to_string_lossy().into_owned();
    let cases: [(&str, &str); 4] = [
        ("DATABASE_URL", "mysql://localhost/neurocards"),
        ("ADMIN_IDS", "12345,admin"),
        ("PROXY_FILE", proxies.as_str()),
        ("FREE_CREDITS", "two"),
    ];
    for (var, value) in cases {
        let output = neurocards(dir.path(), &["migrate"], &[(var, value)]);
        assert_config_error(&output, var);
    }
    let output = neurocards(
        dir.path(),
        &["migrate"],
        &[("PROXY_FILE", proxies.as_str())],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 2"));
}

#[test]
fn secrets_never_reach_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = neurocards(
        dir.path(),
        &["bot"],
        &[
            ("BOT_TOKEN", "123456:SECRET-token-value"),
            ("KIE_API_KEY", "kie-secret-key"),
            ("DATABASE_URL", "postgres://u:db-password@127.0.0.1:1/x"),
            ("ADMIN_IDS", "oops"),
        ],
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in ["SECRET-token-value", "kie-secret-key", "db-password"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

#[test]
fn migrate_creates_the_default_sqlite_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = neurocards(dir.path(), &["migrate"], &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(dir.path().join("data/neurocards.db").is_file());
    // Running it again is a no-op that still succeeds.
    assert!(neurocards(dir.path(), &["migrate"], &[]).status.success());
}

#[tokio::test]
async fn migrate_prepares_postgres() {
    let db = ScratchDatabase::postgres().await.expect("scratch database");
    let url = match db.url() {
        neurocards_core::config::DatabaseUrl::Postgres(url) => url.expose().to_owned(),
        other => panic!("{other:?}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let output = neurocards(dir.path(), &["migrate"], &[("DATABASE_URL", url.as_str())]);
    assert!(output.status.success(), "{output:?}");
    let store = neurocards_store::Store::connect(db.url())
        .await
        .expect("connect");
    assert_eq!(
        store
            .job_counts(0)
            .await
            .expect("jobs table exists")
            .total(),
        0
    );
    store.close().await;
}
