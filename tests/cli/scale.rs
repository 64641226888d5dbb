//! Scaling out as the Compose file does it: real `neurocards bot` and `neurocards worker`
//! processes on PostgreSQL and Redis, against the fakes. The work spreads over the workers,
//! every video arrives once, and a worker killed mid-generation costs no second task.

use crate::process::{Process, free_port};
use neurocards_core::config::DatabaseUrl;
use neurocards_core::{JobKind, JobState, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, NewJob, NewUser, Store};
use neurocards_testkit::{FakeKie, FakeOpenAi, FakeTelegram, SimUser};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(30);
const VIDEOS: Duration = Duration::from_secs(120);

struct Fakes {
    tg: FakeTelegram,
    kie: FakeKie,
    ai: FakeOpenAi,
}

fn database_url(db: &ScratchDatabase) -> String {
    match db.url() {
        DatabaseUrl::Postgres(url) => url.expose().to_owned(),
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
    }
}

/// The settings every process shares, plus `extra`.
fn vars(
    fakes: &Fakes,
    db: &str,
    dir: &std::path::Path,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("BOT_TOKEN", fakes.tg.token().to_owned()),
        ("TELEGRAM_API_URL", fakes.tg.api_url()),
        ("DATABASE_URL", db.to_owned()),
        ("REDIS_URL", "redis://127.0.0.1:6379".to_owned()),
        ("KIE_BASE_URL", fakes.kie.api_url()),
        ("KIE_UPLOAD_URL", fakes.kie.upload_url()),
        ("OPENAI_API_KEY", "sk-scale-test".to_owned()),
        ("OPENAI_BASE_URL", fakes.ai.base_url()),
        ("STORAGE_BASE_PATH", dir.join("files").display().to_string()),
        ("DEFAULT_LANGUAGE", "en".to_owned()),
        ("HTTP_ADDR", format!("127.0.0.1:{}", free_port())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    vars
}

async fn start_fakes(generation: Duration) -> Fakes {
    let fakes = Fakes {
        tg: FakeTelegram::start().await,
        kie: FakeKie::start().await,
        ai: FakeOpenAi::start().await,
    };
    fakes.kie.set_generation_time(generation);
    fakes
}

/// One user's Reels clip from text, through the bot.
async fn order_reels(tg: &FakeTelegram, user: SimUser) {
    let chat = user.id();
    let wait =
        |data: &'static str| tg.wait_for(chat, move |m| m.callback_data().contains(&data), SOON);
    user.send_command("start", None);
    let menu = wait("generate_reels").await.expect("menu");
    user.press(menu.message_id, "generate_reels")
        .expect("press");
    tg.wait_for(chat, |m| m.text().contains("idea"), SOON)
        .await
        .expect("idea question");
    user.send_text(&format!(
        "A paper boat number {chat} sailing down a rainy street"
    ));
    let skip = wait("skip_photo").await.expect("first-frame question");
    user.press(skip.message_id, "skip_photo").expect("press");
    let confirm = wait("confirm").await.expect("confirmation");
    user.press(confirm.message_id, "confirm").expect("press");
    tg.wait_for(chat, |m| m.text().contains("in the queue"), SOON)
        .await
        .expect("queued");
}

/// `GET /metrics` of the process started with `vars`; checks every sample line parses.
async fn scrape(vars: &[(String, String)]) -> String {
    let addr = &vars.iter().find(|(k, _)| k == "HTTP_ADDR").expect("addr").1;
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.trim_end().ends_with("# EOF"),
        "OpenMetrics ends with # EOF"
    );
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, sample) = line.rsplit_once(' ').expect("name and value");
        assert!(sample.parse::<f64>().is_ok(), "not a sample: {line}");
    }
    text
}

/// The value of the sample `series` (name with labels), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bot_and_two_workers_deliver_twenty_videos_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = ScratchDatabase::postgres().await.expect("scratch database");
    let url = database_url(&db);
    let fakes = start_fakes(Duration::from_secs(2)).await;
    let bot_vars = vars(&fakes, &url, dir.path(), &[]);
    let mut bot = Process::start(dir.path(), "bot", &["bot"], &bot_vars);
    bot.wait_line("neurocards bot:", SOON).await;
    let mut workers = Vec::new();
    let mut worker_vars = Vec::new();
    for (name, key) in [
        ("worker-a", "kie-key-worker-a"),
        ("worker-b", "kie-key-worker-b"),
    ] {
        let vars = vars(
            &fakes,
            &url,
            dir.path(),
            &[
                ("KIE_API_KEY", key.to_owned()),
                ("WORKER_CONCURRENCY", "10".to_owned()),
            ],
        );
        let mut worker = Process::start(dir.path(), name, &["worker"], &vars);
        worker.wait_line("neurocards worker:", SOON).await;
        workers.push(worker);
        worker_vars.push(vars);
    }

    let users: Vec<SimUser> = (0..20)
        .map(|n| {
            fakes
                .tg
                .user(6000 + n)
                .first_name("User")
                .language_code(Some("en"))
        })
        .collect();
    futures::future::join_all(users.into_iter().map(|u| order_reels(&fakes.tg, u))).await;
    assert!(
        fakes.tg.wait_calls("sendVideo", 20, VIDEOS).await.is_some(),
        "bot:\n{}\nworker a:\n{}",
        bot.logs(),
        workers[0].logs()
    );

    let store = Store::connect(db.url()).await.expect("store");
    for n in 0..20 {
        let chat = 6000 + n;
        let videos = fakes
            .tg
            .sent(chat)
            .iter()
            .filter(|m| m.method == "sendVideo")
            .count();
        assert_eq!(videos, 1, "user {chat}");
        let jobs = store.history(UserId(chat), 0, 10).await.expect("history");
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].kind, JobKind::Reels);
        assert!(jobs[0].video_file_id.is_some());
    }
    assert_eq!(fakes.kie.tasks_created(), 20, "one task per job");
    let (a, b) = (
        fakes.kie.tasks_created_by("kie-key-worker-a"),
        fakes.kie.tasks_created_by("kie-key-worker-b"),
    );
    assert!(a > 0 && b > 0, "both workers took jobs: {a} and {b}");

    // The bot's metrics count the updates it handled.
    let text = scrape(&bot_vars).await;
    assert!(
        text.contains("neurocards_updates_handled_total{kind=\"callback_query\"}"),
        "{text}"
    );
    assert!(
        text.contains("neurocards_jobs{kind=\"reels\",state=\"done\"} 20"),
        "{text}"
    );

    // Each worker counts its own provider calls and generation times.
    let mut durations = 0.0;
    for vars in &worker_vars {
        let text = scrape(vars).await;
        assert!(
            value(
                &text,
                "neurocards_provider_calls_total{provider=\"kie\",outcome=\"ok\"}"
            ) > 0.0,
            "{text}"
        );
        assert!(
            value(&text, "neurocards_provider_keys{health=\"healthy\"}") == 1.0,
            "{text}"
        );
        durations += value(
            &text,
            "neurocards_job_duration_seconds_count{kind=\"reels\"}",
        );
    }
    assert_eq!(durations, 20.0, "every delivered job was timed once");

    for mut worker in workers {
        assert!(worker.terminate(SOON).await, "a worker drains on SIGTERM");
    }
    assert!(bot.terminate(SOON).await, "the bot drains on SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_generation_costs_no_second_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = ScratchDatabase::postgres().await.expect("scratch database");
    let url = database_url(&db);
    let fakes = start_fakes(Duration::from_secs(5)).await;
    let store = Store::open(db.url()).await.expect("store");
    let chat = 7001;
    // The user has written to the bot (so Telegram lets it answer) and paid for a clip.
    fakes.tg.user(chat).first_name("Kim").send_text("hi");
    let contact = NewUser {
        id: UserId(chat),
        username: None,
        full_name: "Kim".into(),
        language: None,
        referral_code: None,
    };
    store.upsert_user(&contact, 2).await.expect("user");
    let job = match store
        .create_job_and_charge(&NewJob {
            user: UserId(chat),
            chat_id: chat,
            kind: JobKind::Reels,
            prompt: "A lighthouse in a storm".into(),
            input_file_id: None,
            duration: VideoDuration::S5,
            cost: 1,
            idempotency_key: None,
            max_attempts: 3,
        })
        .await
        .expect("charge")
    {
        ChargeOutcome::Created(job) => job,
        other => panic!("{other:?}"),
    };

    let worker_vars = vars(
        &fakes,
        &url,
        dir.path(),
        &[("KIE_API_KEY", "kie-key-crash".to_owned())],
    );
    let mut first = Process::start(dir.path(), "worker-1", &["worker"], &worker_vars);
    fakes
        .kie
        .wait_tasks_created(1, SOON)
        .await
        .expect("submitted");
    let task = fakes.kie.created_tasks()[0].task_id.clone();
    // Killed while waiting on the task (it asks about a task only once its id is stored).
    fakes
        .kie
        .wait_status_queries(&task, 1, SOON)
        .await
        .expect("waiting on the task");
    first.kill9().await;
    let stranded = store.job(job.id).await.expect("job").expect("exists");
    assert_eq!(stranded.state, JobState::Running);
    assert_eq!(stranded.provider_task_id.as_deref(), Some(task.as_str()));

    // The lease would run out in 90 s; the operator's retry puts it back at once.
    let retry = crate::neurocards(
        dir.path(),
        &["admin", "jobs", "retry", &job.id.to_string()],
        &[("DATABASE_URL", url.as_str())],
    );
    assert!(
        retry.status.success(),
        "{}",
        String::from_utf8_lossy(&retry.stderr)
    );
    let mut second = Process::start(dir.path(), "worker-2", &["worker"], &worker_vars);
    let video = fakes
        .tg
        .wait_for(chat, |m| m.method == "sendVideo", VIDEOS)
        .await
        .unwrap_or_else(|e| panic!("{e}\nworker 2:\n{}", second.logs()));
    assert!(video.media.is_some());
    assert!(second.terminate(SOON).await);

    let done = store.job(job.id).await.expect("job").expect("exists");
    assert_eq!(done.state, JobState::Done);
    assert_eq!(
        done.provider_task_id.as_deref(),
        Some(task.as_str()),
        "the same task"
    );
    assert_eq!(fakes.kie.tasks_created(), 1, "no second task was paid for");
    let videos = fakes
        .tg
        .sent(chat)
        .iter()
        .filter(|m| m.method == "sendVideo")
        .count();
    assert_eq!(videos, 1);
    assert_eq!(store.balance(UserId(chat)).await.expect("balance"), 1);
}
