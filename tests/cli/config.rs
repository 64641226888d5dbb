//! A bad setting stops start-up with one line naming the variable and exit code 2.

use crate::neurocards;
use std::process::Output;

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
