//! `/healthz` answers while the process lives; `/readyz` tracks the database and Redis.

use crate::tcp_switch::TcpSwitch;
use crate::{start, start_with};
use neurocards_core::Secret;
use neurocards_core::config::DatabaseUrl;
use neurocards_core::metrics::Metrics;
use neurocards_store::Store;
use neurocards_store::scratch::ScratchDatabase;
use neurocards_web::HttpState;

async fn get(url: String) -> (u16, String) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn healthz_answers() {
    let server = start(|_| {}).await;
    assert_eq!(get(format!("{}/healthz", server.base)).await.0, 200);
}

#[tokio::test]
async fn readyz_follows_postgres_going_away_and_coming_back() {
    let db = ScratchDatabase::postgres().await.expect("database");
    Store::open(db.url()).await.expect("migrate").close().await;
    let switch = TcpSwitch::start("127.0.0.1:5432").await;
    let DatabaseUrl::Postgres(url) = db.url() else {
        panic!("postgres scratch");
    };
    let mut through_switch = url::Url::parse(url.expose()).expect("url");
    through_switch.set_port(Some(switch.port)).expect("port");
    let store = Store::connect(&DatabaseUrl::Postgres(Secret::new(through_switch.as_str())))
        .await
        .expect("store through the switch");
    let state = HttpState {
        store,
        redis: Some(redis::Client::open("redis://127.0.0.1:6379").expect("redis url")),
        metrics: Metrics::new(),
        job_waker: None,
        webhook: None,
    };
    let server = start_with(state, db).await;
    let ready = format!("{}/readyz", server.base);
    assert_eq!(get(ready.clone()).await, (200, "ready\n".to_owned()));

    switch.set(false);
    let (status, body) = get(ready.clone()).await;
    assert_eq!(status, 503);
    assert!(body.contains("database"), "{body}");
    assert!(!body.contains("redis"), "{body}");

    switch.set(true);
    // The pool drops the dead connections and opens new ones on the next check.
    let (status, _) = get(ready.clone()).await;
    assert_eq!(status, 200, "ready again once the database is back");
}

#[tokio::test]
async fn readyz_names_an_unreachable_redis() {
    let server = start(|state| {
        // Nothing listens on port 1.
        state.redis = Some(redis::Client::open("redis://127.0.0.1:1").expect("redis url"));
    })
    .await;
    let (status, body) = get(format!("{}/readyz", server.base)).await;
    assert_eq!(status, 503);
    assert_eq!(body, "unavailable: redis\n");
}
