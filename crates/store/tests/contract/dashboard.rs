//! The dashboard agrees with counts computed independently from a seeded history of 100
//! users and 300 jobs in mixed states over 30 days.

use crate::{Fixture, START_MS, new_user};
use neurocards_core::{Clock, JobKind, UserId, VideoDuration};
use neurocards_store::{ChargeOutcome, Lease, NewJob};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

crate::contract!(
    dashboard_matches_an_independent_count,
    heartbeats_show_live_workers
);

const DAY: i64 = 86_400_000;
const WELCOME: i64 = 50;
const ERRORS: [&str; 3] = ["content_policy", "provider", "timeout"];

enum Event {
    User(i64),
    Job {
        user: i64,
        kind: JobKind,
        cost: i64,
        end: End,
        took_ms: i64,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum End {
    Done,
    Failed(&'static str),
    Running,
    Queued,
}

async fn dashboard_matches_an_independent_count(fx: Fixture) {
    let mut rng = StdRng::seed_from_u64(7);
    let span = 30 * DAY;
    // The timeline: users and jobs spread over 30 days; the last 20 jobs stay unfinished so
    // that every claim below takes the job just created.
    let mut timeline: Vec<(i64, Event)> = (0..100)
        .map(|u| (START_MS + u * span / 100, Event::User(u + 1)))
        .collect();
    for j in 0..300i64 {
        // Finished jobs fill the month up to two hours before its end; the unfinished ones
        // come in its last hour, a minute apart.
        let at = if j < 280 {
            START_MS + 1 + j * (span - 2 * 3_600_000) / 280
        } else {
            START_MS + span - 3_600_000 + (j - 280) * 60_000
        };
        let latest_user = timeline
            .iter()
            .filter_map(|(t, e)| match e {
                Event::User(id) if *t < at => Some(*id),
                _ => None,
            })
            .max()
            .unwrap_or(1);
        let end = match j {
            280..290 => End::Running,
            290.. => End::Queued,
            _ if rng.random_bool(0.8) => End::Done,
            _ => End::Failed(ERRORS[rng.random_range(0..ERRORS.len())]),
        };
        let kind = if rng.random_bool(0.5) {
            JobKind::Neurocard
        } else {
            JobKind::Reels
        };
        let event = Event::Job {
            user: rng.random_range(1..=latest_user),
            kind,
            cost: rng.random_range(1..=2),
            end,
            took_ms: rng.random_range(30_000..600_000),
        };
        timeline.push((at, event));
    }
    timeline.sort_by_key(|(t, _)| *t);

    let now = START_MS + span + 3_600_000;
    let midnight = now - now.rem_euclid(DAY);
    let day_ago = now - DAY;
    let mut expected_users_today = 0;
    let mut expected_active = 0;
    let (mut done, mut done_today, mut queued, mut running) = (0, 0, 0, 0);
    let mut by_kind = [0i64; 2];
    let mut failed_24h: Vec<&str> = Vec::new();
    let (mut charged, mut refunded) = (0, 0);
    let mut recent_durations = Vec::new();

    for (at, event) in &timeline {
        let clock_now = fx.clock.now_ms();
        fx.clock
            .advance(Duration::from_millis((at - clock_now).max(0) as u64));
        match event {
            Event::User(id) => {
                fx.store
                    .upsert_user(&new_user(*id), WELCOME)
                    .await
                    .expect("user");
                if *at >= midnight {
                    expected_users_today += 1;
                }
                if *at >= day_ago {
                    expected_active += 1;
                }
            }
            Event::Job {
                user,
                kind,
                cost,
                end,
                took_ms,
            } => {
                let request = NewJob {
                    user: UserId(*user),
                    chat_id: *user,
                    kind: *kind,
                    prompt: "p".into(),
                    input_file_id: None,
                    duration: VideoDuration::S5,
                    cost: *cost,
                    idempotency_key: None,
                    max_attempts: 3,
                };
                let outcome = fx.store.create_job_and_charge(&request).await.expect("job");
                let ChargeOutcome::Created(job) = outcome else {
                    panic!("{outcome:?}")
                };
                charged += cost;
                if *end == End::Queued {
                    queued += 1;
                    continue;
                }
                let claimed = fx
                    .store
                    .claim("w", Duration::from_secs(100 * 86_400))
                    .await
                    .expect("claim");
                assert_eq!(claimed.map(|j| j.id), Some(job.id));
                if *end == End::Running {
                    running += 1;
                    continue;
                }
                fx.clock.advance(Duration::from_millis(*took_ms as u64));
                let finished_at = at + took_ms;
                let lease = Lease {
                    job: job.id,
                    owner: "w".into(),
                };
                match end {
                    End::Done => {
                        assert!(fx.store.finish_ok(&lease, "u", "f").await.expect("ok"));
                        done += 1;
                        by_kind[usize::from(*kind == JobKind::Reels)] += 1;
                        if finished_at >= midnight {
                            done_today += 1;
                        }
                        if finished_at >= day_ago {
                            recent_durations.push(*took_ms);
                        }
                    }
                    End::Failed(class) => {
                        assert!(
                            fx.store
                                .finish_failed(job.id, Some("w"), class, "x")
                                .await
                                .expect("fail")
                        );
                        refunded += cost;
                        if finished_at >= day_ago {
                            failed_24h.push(class);
                        }
                    }
                    End::Running | End::Queued => unreachable!(),
                }
            }
        }
    }
    let clock_now = fx.clock.now_ms();
    fx.clock
        .advance(Duration::from_millis((now - clock_now) as u64));

    let board = fx.store.dashboard().await.expect("dashboard");
    assert_eq!(board.users_total, 100);
    assert_eq!(board.users_new_today, expected_users_today);
    assert_eq!(board.users_active_24h, expected_active);
    assert_eq!(board.videos_total, done);
    assert_eq!(board.videos_today, done_today);
    assert_eq!(
        board.videos_by_kind,
        vec![
            ("neurocard".to_owned(), by_kind[0]),
            ("reels".to_owned(), by_kind[1])
        ]
    );
    assert_eq!((board.jobs_queued, board.jobs_running), (queued, running));
    assert_eq!(board.jobs_failed_24h, failed_24h.len() as i64);
    let top_total: i64 = board.top_errors_24h.iter().map(|(_, n)| n).sum();
    assert_eq!(top_total, failed_24h.len() as i64);
    for (class, n) in &board.top_errors_24h {
        assert_eq!(
            *n,
            failed_24h.iter().filter(|c| *c == class).count() as i64,
            "{class}"
        );
    }
    assert_eq!(board.credits_total.granted, 100 * WELCOME);
    assert_eq!(board.credits_total.charged, charged);
    assert_eq!(board.credits_total.refunded, refunded);
    assert_eq!(board.credits_today.granted, expected_users_today * WELCOME);
    recent_durations.sort_unstable();
    let p50 = recent_durations
        .get((recent_durations.len().max(1) - 1) / 2)
        .map(|ms| *ms as f64 / 1000.0);
    assert_eq!(board.generation_p50_s, p50);
    assert!(
        done > 150 && refunded > 0 && !recent_durations.is_empty(),
        "a varied history"
    );
}

async fn heartbeats_show_live_workers(fx: Fixture) {
    fx.store.heartbeat("w1", 3).await.expect("beat");
    fx.clock.advance(Duration::from_secs(45));
    fx.store.heartbeat("w2", 0).await.expect("beat");
    fx.store.heartbeat("w1", 5).await.expect("beat");
    let live = fx.store.live_workers().await.expect("live");
    assert_eq!(
        live.iter()
            .map(|b| (b.worker.as_str(), b.in_flight))
            .collect::<Vec<_>>(),
        vec![("w1", 5), ("w2", 0)]
    );
    fx.clock.advance(Duration::from_secs(30));
    fx.store.heartbeat("w2", 1).await.expect("beat");
    assert_eq!(
        fx.store.live_workers().await.expect("live").len(),
        2,
        "both within a minute"
    );
    fx.clock.advance(Duration::from_secs(31));
    fx.store.heartbeat("w2", 1).await.expect("beat");
    let live = fx.store.live_workers().await.expect("live");
    assert_eq!(
        live.iter().map(|b| b.worker.as_str()).collect::<Vec<_>>(),
        vec!["w2"],
        "w1 went quiet"
    );
}
