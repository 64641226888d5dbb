//! The dashboard as text.

use neurocards_store::Dashboard;
use std::fmt::Write as _;

/// The dashboard as plain text.
pub fn render_dashboard(b: &Dashboard) -> String {
    let mut out = String::new();
    let seconds = |s: Option<f64>| s.map_or("-".to_owned(), |s| format!("{s:.0} s"));
    let kinds: Vec<String> = b
        .videos_by_kind
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    let errors: Vec<String> = b
        .top_errors_24h
        .iter()
        .map(|(class, n)| format!("{class} {n}"))
        .collect();
    let in_flight: i64 = b.live_workers.iter().map(|w| w.in_flight).sum();
    let _ = writeln!(
        out,
        "users     total {}, new today {}, active 24h {}",
        b.users_total, b.users_new_today, b.users_active_24h
    );
    let _ = writeln!(
        out,
        "videos    total {}, today {} ({})",
        b.videos_total,
        b.videos_today,
        kinds.join(", ")
    );
    let _ = writeln!(
        out,
        "jobs      queued {}, in progress {}, failed 24h {}{}",
        b.jobs_queued,
        b.jobs_running,
        b.jobs_failed_24h,
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({})", errors.join(", "))
        }
    );
    let _ = writeln!(
        out,
        "workers   live {}, jobs in flight {in_flight}",
        b.live_workers.len()
    );
    let _ = writeln!(
        out,
        "credits   today: granted {}, purchased {}, charged {}, refunded {}",
        b.credits_today.granted,
        b.credits_today.purchased,
        b.credits_today.charged,
        b.credits_today.refunded
    );
    let _ = writeln!(
        out,
        "          total: granted {}, purchased {}, charged {}, refunded {}",
        b.credits_total.granted,
        b.credits_total.purchased,
        b.credits_total.charged,
        b.credits_total.refunded
    );
    let _ = writeln!(
        out,
        "time      generation 24h: median {}, p90 {}",
        seconds(b.generation_p50_s),
        seconds(b.generation_p90_s)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurocards_store::{Credits, WorkerBeat};

    #[test]
    fn every_figure_appears() {
        let credits = Credits {
            granted: 10,
            purchased: 20,
            charged: 7,
            refunded: 1,
        };
        let board = Dashboard {
            users_total: 100,
            users_new_today: 3,
            users_active_24h: 40,
            videos_total: 250,
            videos_today: 12,
            videos_by_kind: vec![("neurocard".into(), 200), ("reels".into(), 50)],
            jobs_queued: 4,
            jobs_running: 2,
            jobs_failed_24h: 5,
            top_errors_24h: vec![("content_policy".into(), 3), ("timeout".into(), 2)],
            live_workers: vec![WorkerBeat {
                worker: "w1".into(),
                in_flight: 2,
                seen_at: 0,
            }],
            credits_today: credits,
            credits_total: credits,
            generation_p50_s: Some(95.4),
            generation_p90_s: None,
        };
        let text = render_dashboard(&board);
        for expected in [
            "total 100, new today 3, active 24h 40",
            "total 250, today 12 (neurocard 200, reels 50)",
            "queued 4, in progress 2, failed 24h 5 (content_policy 3, timeout 2)",
            "live 1, jobs in flight 2",
            "granted 10, purchased 20, charged 7, refunded 1",
            "median 95 s, p90 -",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
    }
}
