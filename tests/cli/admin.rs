//! `neurocards admin ...` against a database the server would use.

use crate::neurocards;
use neurocards_core::config::DatabaseUrl;
use neurocards_core::{JobKind, JobState, UserId, VideoDuration};
use neurocards_store::{ChargeOutcome, JobId, NewJob, NewUser, Store};
use std::time::Duration;

struct Seeded {
    dir: tempfile::TempDir,
    url: String,
    store: Store,
}

impl Seeded {
    fn admin(&self, args: &[&str]) -> (bool, String, String) {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        let output = neurocards(
            self.dir.path(),
            &all,
            &[("DATABASE_URL", self.url.as_str())],
        );
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Two users; Anna has one queued and one stuck job.
async fn seeded() -> (Seeded, JobId, JobId) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("admin.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&DatabaseUrl::Sqlite(path))
        .await
        .expect("store");
    for (id, name) in [(1, "anna"), (2, "boris")] {
        let user = NewUser {
            id: UserId(id),
            username: Some(name.to_owned()),
            full_name: format!("{name}, the tester"),
            language: None,
            referral_code: None,
        };
        store.upsert_user(&user, 2).await.expect("user");
    }
    let mut ids = Vec::new();
    for _ in 0..2 {
        let job = NewJob {
            user: UserId(1),
            chat_id: 1,
            kind: JobKind::Neurocard,
            prompt: "atoms".into(),
            input_file_id: None,
            duration: VideoDuration::S5,
            cost: 1,
            idempotency_key: None,
            max_attempts: 1,
        };
        match store.create_job_and_charge(&job).await.expect("job") {
            ChargeOutcome::Created(job) => ids.push(job.id),
            other => panic!("{other:?}"),
        }
    }
    // The first job's only attempt ran out long ago: stuck.
    store
        .claim("gone-worker", Duration::ZERO)
        .await
        .expect("claim");
    (Seeded { dir, url, store }, ids[0], ids[1])
}

#[tokio::test]
async fn grant_moves_credits_through_the_ledger() {
    let (db, _, _) = seeded().await;
    let (ok, out, err) = db.admin(&["grant", "@anna", "5", "support", "gift"]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "user 1: +5 credits (support gift), balance now 5"
    );
    let (ok, out, _) = db.admin(&["grant", "2", "-10"]);
    assert!(ok);
    assert!(
        out.contains("-2 credits") && out.contains("balance now 0"),
        "{out}"
    );
    assert_eq!(db.store.balance(UserId(2)).await.expect("balance"), 0);
    assert_eq!(db.store.ledger_sum(UserId(2)).await.expect("sum"), 0);
    let (ok, _, err) = db.admin(&["grant", "@nobody", "1"]);
    assert!(!ok);
    assert!(err.contains("no user @nobody"), "{err}");
}

#[tokio::test]
async fn stuck_jobs_are_listed_retried_and_failed() {
    let (db, stuck, queued) = seeded().await;
    let (ok, out, _) = db.admin(&["jobs", "stuck"]);
    assert!(ok);
    assert!(
        out.contains(&format!("#{stuck} neurocard running")),
        "{out}"
    );
    assert!(
        !out.contains(&format!("#{queued} ")),
        "a queued job is not stuck: {out}"
    );

    let (ok, out, _) = db.admin(&["jobs", "retry", &stuck.to_string()]);
    assert!(ok, "{out}");
    let job = db.store.job(stuck).await.expect("job").expect("exists");
    assert_eq!((job.state, job.attempts), (JobState::Queued, 0));

    let (ok, _, _) = db.admin(&["jobs", "fail", &queued.to_string(), "--reason", "bad photo"]);
    assert!(ok);
    let job = db.store.job(queued).await.expect("job").expect("exists");
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.error_message.as_deref(), Some("bad photo"));
    assert_eq!(
        db.store.balance(UserId(1)).await.expect("balance"),
        1,
        "refunded"
    );
    let (ok, _, err) = db.admin(&["jobs", "fail", &queued.to_string()]);
    assert!(!ok, "a second fail changes nothing: {err}");
    assert_eq!(db.store.balance(UserId(1)).await.expect("balance"), 1);
}

#[tokio::test]
async fn stats_user_and_export_read_the_same_store() {
    let (db, _, _) = seeded().await;
    let (ok, out, _) = db.admin(&["stats", "--json"]);
    assert!(ok);
    let stats: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(stats["users_total"], 2);
    assert_eq!(stats["jobs_queued"], 1);
    assert_eq!(stats["jobs_running"], 1);
    assert_eq!(stats["credits_total"]["charged"], 2);
    let (ok, text, _) = db.admin(&["stats"]);
    assert!(ok && text.contains("users     total 2"), "{text}");

    let (ok, out, _) = db.admin(&["user", "@ANNA"]);
    assert!(ok);
    assert!(
        out.contains("user 1 @anna") && out.contains("balance 0"),
        "{out}"
    );
    assert_eq!(out.matches("  #").count(), 2, "both jobs listed: {out}");

    let (ok, csv, _) = db.admin(&["export", "users", "--csv"]);
    assert!(ok);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("id,username,full_name"));
    assert!(
        lines[1].starts_with("1,anna,\"anna, the tester\",,0,"),
        "{}",
        lines[1]
    );
}

/// `admin keys` asks KIE about each key and shows them masked, with their balances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_listed_masked_with_their_balances() {
    let kie = neurocards_testkit::FakeKie::start().await;
    kie.set_credits("kie-first-key-000-AAAA", 120);
    kie.set_key_state(
        "kie-second-key-00-BBBB",
        neurocards_testkit::KeyState::Invalid,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("keys.db").display());
    let api = kie.api_url();
    let output = tokio::task::spawn_blocking(move || {
        neurocards(
            dir.path(),
            &["admin", "keys"],
            &[
                ("DATABASE_URL", db.as_str()),
                (
                    "KIE_API_KEY",
                    "kie-first-key-000-AAAA,kie-second-key-00-BBBB",
                ),
                ("KIE_BASE_URL", api.as_str()),
            ],
        )
    })
    .await
    .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 configured"), "{stdout}");
    assert!(stdout.contains("***AAAA healthy, 120 credits"), "{stdout}");
    assert!(stdout.contains("***BBBB"), "{stdout}");
    assert!(!stdout.contains("kie-first-key"), "a key leaked: {stdout}");
}
