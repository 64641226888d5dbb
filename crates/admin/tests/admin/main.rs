//! Alerts reach the admins once per incident, not once per job: every KIE key parked, the
//! KIE balance low, a failure rate over 20% in 15 minutes — and once more when it is over.

use neurocards_admin::KeyReport;
use neurocards_admin::alerts::{Alerts, Incident};
use neurocards_core::{JobKind, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, Dialect, NewJob, NewUser, Store};
use neurocards_testkit::FakeTelegram;
use std::time::Duration;
use teloxide::prelude::*;

const ADMINS: [i64; 2] = [501, 502];
const SOON: Duration = Duration::from_secs(10);

struct Setup {
    store: Store,
    tg: FakeTelegram,
    alerts: Alerts,
    _db: ScratchDatabase,
}

async fn setup() -> Setup {
    let db = ScratchDatabase::new(Dialect::Sqlite)
        .await
        .expect("database");
    let store = Store::open(db.url()).await.expect("store");
    let tg = FakeTelegram::start().await;
    for admin in ADMINS {
        tg.user(admin).first_name("Op").send_text("hi");
    }
    let bot = Bot::new(tg.token()).set_api_url(tg.api_url().parse().expect("url"));
    let alerts = Alerts::new(store.clone(), bot, ADMINS.to_vec());
    Setup {
        store,
        tg,
        alerts,
        _db: db,
    }
}

fn messages(tg: &FakeTelegram, admin: i64) -> Vec<String> {
    tg.sent(admin).iter().map(|m| m.text().to_owned()).collect()
}

fn key(health: &'static str, credits: Option<f64>) -> KeyReport {
    KeyReport {
        key: "***abcd".into(),
        health,
        credits,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_is_told_once_when_it_starts_and_once_when_it_ends() {
    let s = setup().await;
    assert!(
        s.alerts
            .update(Incident::AllKeysParked, true, "keys gone")
            .await
            .expect("update")
    );
    assert!(
        !s.alerts
            .update(Incident::AllKeysParked, true, "keys gone")
            .await
            .expect("update")
    );
    assert!(
        !s.alerts
            .update(Incident::LowProviderBalance, false, "fine")
            .await
            .expect("update")
    );
    assert!(
        s.alerts
            .update(Incident::AllKeysParked, false, "")
            .await
            .expect("update")
    );
    for admin in ADMINS {
        assert_eq!(
            messages(&s.tg, admin),
            ["⚠️ keys gone", "✅ Resolved: provider keys work again"],
            "admin {admin}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_keys_and_a_low_balance_are_reported_from_key_health() {
    let s = setup().await;
    let healthy_but_poor = [key("healthy", Some(40.0)), key("parked", None)];
    s.alerts.check_keys(&healthy_but_poor).await.expect("check");
    s.alerts
        .check_keys(&healthy_but_poor)
        .await
        .expect("check again");
    let all_parked = [key("parked", None), key("parked", Some(500.0))];
    s.alerts.check_keys(&all_parked).await.expect("check");
    let text = messages(&s.tg, ADMINS[0]).join("\n");
    assert_eq!(
        text.matches("The KIE balance is low: 40 credits").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("Every KIE key is parked").count(), 1, "{text}");
    // Parked keys' balances do not count; with none usable, "low" no longer applies.
    assert!(text.contains("Resolved: the KIE balance"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_rate_over_a_fifth_raises_the_alarm() {
    let s = setup().await;
    let user = NewUser {
        id: UserId(77),
        username: None,
        full_name: "U".into(),
        language: None,
        referral_code: None,
    };
    s.store.upsert_user(&user, 100).await.expect("user");
    // 10 finished jobs, 3 failed: 30% > 20%.
    for n in 0..10 {
        let job = NewJob {
            user: UserId(77),
            chat_id: 77,
            kind: JobKind::Reels,
            prompt: format!("idea {n}"),
            input_file_id: None,
            duration: VideoDuration::S5,
            cost: 1,
            idempotency_key: None,
            max_attempts: 3,
        };
        let ChargeOutcome::Created(created) =
            s.store.create_job_and_charge(&job).await.expect("job")
        else {
            panic!("not created");
        };
        let claimed = s
            .store
            .claim("w", Duration::from_secs(60))
            .await
            .expect("claim")
            .expect("a job");
        assert_eq!(claimed.id, created.id);
        if n < 3 {
            s.store
                .finish_failed(created.id, Some("w"), "generation_failed", "x")
                .await
                .expect("fail");
        } else {
            let lease = neurocards_store::Lease {
                job: created.id,
                owner: "w".into(),
            };
            s.store
                .finish_ok(&lease, "https://cdn/v.mp4", "file")
                .await
                .expect("done");
        }
    }
    assert!(s.alerts.check_failure_rate().await.expect("check"));
    assert!(
        !s.alerts.check_failure_rate().await.expect("check"),
        "told once"
    );
    s.tg.wait_for(
        ADMINS[1],
        |m| m.text().contains("30% of generations failed"),
        SOON,
    )
    .await
    .expect("the alert");
}
