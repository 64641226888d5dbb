//! The same behaviour in process and in Redis; in Redis, two handles (two replicas) agree.

use futures::future::join_all;
use neurocards_core::Secret;
use neurocards_ephemeral::Ephemeral;
use std::time::Duration;

async fn redis() -> Ephemeral {
    Ephemeral::connect(Some(&Secret::new("redis://127.0.0.1:6379")))
        .await
        .expect("redis on 127.0.0.1:6379")
}

fn unique(name: &str) -> String {
    format!("test:{name}:{}", rand::random::<u64>())
}

async fn windows_count_hits(state: Ephemeral) {
    let key = unique("flood");
    let hits = join_all((0..25).map(|_| state.hit(&key, Duration::from_secs(60)))).await;
    let mut counts: Vec<u64> = hits.into_iter().map(|r| r.expect("hit")).collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=25).collect::<Vec<_>>(),
        "every hit counted once"
    );
    state.clear(&key).await.expect("clear");
    assert_eq!(
        state.hit(&key, Duration::from_secs(60)).await.expect("hit"),
        1
    );
}

async fn cool_downs_expire(state: Ephemeral) {
    let key = unique("key");
    assert_eq!(state.cooling(&key).await.expect("cooling"), None);
    state
        .cool_down(&key, Duration::from_secs(300))
        .await
        .expect("cool");
    let left = state
        .cooling(&key)
        .await
        .expect("cooling")
        .expect("cooling down");
    assert!(
        left > Duration::from_secs(290) && left <= Duration::from_secs(300),
        "{left:?}"
    );
    state.clear(&key).await.expect("clear");
    assert_eq!(state.cooling(&key).await.expect("cooling"), None);
}

#[tokio::test]
async fn local_windows_count_hits() {
    windows_count_hits(Ephemeral::local()).await;
}

#[tokio::test]
async fn redis_windows_count_hits() {
    windows_count_hits(redis().await).await;
}

#[tokio::test]
async fn local_cool_downs_expire() {
    cool_downs_expire(Ephemeral::local()).await;
}

#[tokio::test]
async fn redis_cool_downs_expire() {
    cool_downs_expire(redis().await).await;
}

#[tokio::test]
async fn two_replicas_share_state_through_redis() {
    let (a, b) = (redis().await, redis().await);
    assert!(a.is_shared() && !Ephemeral::local().is_shared());
    let key = unique("shared");
    a.cool_down(&key, Duration::from_secs(60))
        .await
        .expect("cool");
    assert!(
        b.cooling(&key).await.expect("cooling").is_some(),
        "b sees a's cool-down"
    );
    let window = unique("window");
    a.hit(&window, Duration::from_secs(60)).await.expect("hit");
    assert_eq!(
        b.hit(&window, Duration::from_secs(60)).await.expect("hit"),
        2
    );
}
