//! Happy paths: a paid job becomes exactly one provider task and one delivered video with
//! the again/menu buttons; the file_id is kept; the balance stays as charged. With
//! callbacks on, the job asks about its task at most twice.

use crate::{Harness, PROMPT, is_done};
use neurocards_core::{JobKind, UserId};
use neurocards_store::Dialect;
use neurocards_testkit::kie::Endpoint;
use neurocards_testkit::media;
use neurocards_testkit::telegram::{MediaKind, MediaSource};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

async fn neurocard_is_made_once_and_delivered(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let job = h.paid_job(7, 2, JobKind::Neurocard).await;
    let worker = h.start().await;
    let done = h.finished(job.id).await;
    worker.stop().await;

    assert!(is_done(&done), "{done:?}");
    let tasks = h.kie.created_tasks();
    assert_eq!(tasks.len(), 1, "exactly one createTask");
    let body = &tasks[0].body;
    assert_eq!(body["model"], "kling-2.6/image-to-video");
    assert_eq!(body["input"]["duration"], "5");
    assert_eq!(body["input"]["aspect_ratio"], "16:9");
    let asked = h.openai.requests();
    assert_eq!(asked.len(), 1, "one prompt enhancement");
    assert_eq!(asked[0]["messages"][1]["content"], PROMPT);
    assert_eq!(
        body["input"]["prompt"],
        neurocards_testkit::openai::enhance(PROMPT)
    );
    let image = body["input"]["image_urls"][0].as_str().expect("image url");
    assert!(
        image.starts_with(&h.kie.upload_url()),
        "the photo went through KIE's upload: {image}"
    );
    let uploads = h.kie.uploads();
    assert_eq!(uploads.len(), 1, "one upload");
    assert_eq!(uploads[0].download_url, image);
    assert_eq!(uploads[0].size, media::JPEG.len(), "the user's photo");
    assert!(
        !body.to_string().contains(h.telegram.token()),
        "no Telegram file URL reaches KIE"
    );

    let videos = h.sent(7, "sendVideo");
    assert_eq!(videos.len(), 1);
    assert_eq!(h.telegram.calls("sendVideo"), 1);
    assert_eq!(videos[0].chat_id, 7);
    let video = videos[0].media.as_ref().expect("a video");
    assert_eq!(video.kind, MediaKind::Video);
    assert!(
        matches!(&video.source, MediaSource::Upload { size, .. } if *size == media::MP4.len()),
        "{:?}",
        video.source
    );
    assert_eq!(
        h.telegram.file_bytes(&video.file_id).as_deref(),
        Some(media::MP4),
        "the KIE result, uploaded as is"
    );
    assert_eq!(
        videos[0].callback_data(),
        ["again:neurocard", "back_to_menu"]
    );
    assert_eq!(
        done.video_file_id.as_deref(),
        Some(video.file_id.as_str()),
        "{done:?}"
    );
    assert_eq!(
        done.result_url.as_deref(),
        Some(h.kie.result_url(&tasks[0].task_id).as_str())
    );
    assert_eq!(
        done.provider_task_id.as_deref(),
        Some(tasks[0].task_id.as_str())
    );
    let edits: Vec<String> = h
        .sent(7, "editMessageText")
        .iter()
        .map(|m| m.text().to_owned())
        .collect();
    assert!(
        edits.iter().any(|t| t.contains("Making your neurocard")),
        "{edits:?}"
    );
    assert!(edits.iter().any(|t| t.contains("sending")), "{edits:?}");
    assert_eq!(h.store.balance(UserId(7)).await.expect("balance"), 1);
    h.assert_ledger_balanced(7).await;
}

async fn reels_without_photo_is_text_to_video_in_9_16(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let job = h.paid_job(8, 1, JobKind::Reels).await;
    let worker = h.start().await;
    let done = h.finished(job.id).await;
    worker.stop().await;

    assert!(is_done(&done), "{done:?}");
    let tasks = h.kie.created_tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].body["model"], "kling-2.6/text-to-video");
    assert_eq!(tasks[0].body["input"]["aspect_ratio"], "9:16");
    assert!(tasks[0].body["input"].get("image_urls").is_none());
    assert!(h.kie.uploads().is_empty());
    assert_eq!(h.kie.calls(Endpoint::Upload), 0);
    let videos = h.sent(8, "sendVideo");
    assert_eq!(videos.len(), 1);
    assert_eq!(
        videos[0].buttons[0][0].callback_data.as_deref(),
        Some("again:reels")
    );
    assert_eq!(h.store.balance(UserId(8)).await.expect("balance"), 0);
    h.assert_ledger_balanced(8).await;
}

async fn callbacks_keep_status_queries_at_two_or_fewer(dialect: Dialect) {
    let mut h = Harness::with_generation(dialect, Duration::from_millis(300)).await;
    // The real HTTP server's callback route wakes the worker through its hub.
    let hub: Arc<OnceLock<neurocards_worker::CallbackHub>> = Arc::default();
    let waker_hub = hub.clone();
    let waker: neurocards_web::JobWaker = Arc::new(move |job| {
        if let Some(hub) = waker_hub.get() {
            hub.notify(job);
        }
    });
    let state = neurocards_web::HttpState {
        store: h.store.clone(),
        redis: None,
        metrics: neurocards_core::metrics::Metrics::new(),
        job_waker: Some(waker),
        webhook: None,
    };
    let server = neurocards_web::HttpServer::bind("127.0.0.1:0".parse().expect("addr"), state)
        .await
        .expect("bind");
    let addr = server.local_addr().expect("addr");
    let stop_server = tokio_util::sync::CancellationToken::new();
    tokio::spawn(server.serve(stop_server.clone()));
    h.set("PUBLIC_BASE_URL", &format!("http://{addr}"));

    let jobs = [
        h.paid_job(21, 1, JobKind::Reels).await,
        h.paid_job(22, 1, JobKind::Neurocard).await,
    ];
    let worker = h.worker().await;
    assert!(hub.set(worker.callback_hub()).is_ok());
    let running = Harness::spawn(worker);
    let mut tasks = Vec::new();
    for job in &jobs {
        let done = h.finished(job.id).await;
        assert!(is_done(&done), "{done:?}");
        let task = done.provider_task_id.expect("task id");
        let queries = h.kie.status_queries(&task);
        assert!(queries <= 2, "{queries} status queries for {task}");
        let sent = h
            .kie
            .created_tasks()
            .into_iter()
            .find(|t| t.task_id == task)
            .expect("task");
        assert_eq!(
            sent.body["callBackUrl"],
            format!("http://{addr}/kie/callback/{}", job.callback_token)
        );
        tasks.push(task);
    }
    running.stop().await;
    // KIE's callbacks reached the HTTP server and were accepted.
    assert!(
        h.kie
            .wait_callbacks(tasks.len(), Duration::from_secs(10))
            .await
            .is_some(),
        "{:?}",
        h.kie.callbacks()
    );
    for task in &tasks {
        let callbacks: Vec<_> = h
            .kie
            .callbacks()
            .into_iter()
            .filter(|c| &c.task_id == task)
            .collect();
        assert_eq!(callbacks.len(), 1, "{callbacks:?}");
        assert_eq!(callbacks[0].status, Some(200), "{callbacks:?}");
    }
    stop_server.cancel();
}

/// With `STORAGE_TYPE=s3` the photo goes to our bucket and KIE reads it through a signed
/// link of ours: KIE's upload API is not used, and no Telegram URL leaves the worker.
async fn s3_storage_hands_kie_a_signed_link(dialect: Dialect) {
    use neurocards_testkit::FakeS3;
    use neurocards_testkit::s3::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};
    let mut h = Harness::new(dialect).await;
    let bucket = FakeS3::start("neurocards-media").await;
    for (name, value) in [
        ("STORAGE_TYPE", "s3"),
        ("STORAGE_BASE_PATH", "prod"),
        ("S3_BUCKET", "neurocards-media"),
        ("S3_REGION", "eu-central-1"),
        ("S3_ENDPOINT", bucket.endpoint().as_str()),
        ("S3_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("S3_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ] {
        h.set(name, value);
    }
    let job = h.paid_job(8, 2, JobKind::Neurocard).await;
    let worker = h.start().await;
    let done = h.finished(job.id).await;
    worker.stop().await;

    assert!(is_done(&done), "{done:?}");
    let key = format!("prod/inputs/job-{}.jpg", job.id);
    assert_eq!(bucket.keys(), [key.clone()]);
    assert_eq!(
        bucket.object(&key).as_deref(),
        Some(media::JPEG),
        "the user's photo"
    );
    assert!(h.kie.uploads().is_empty(), "KIE's upload API is not used");
    let tasks = h.kie.created_tasks();
    let image = tasks[0].body["input"]["image_urls"][0]
        .as_str()
        .expect("image url")
        .to_owned();
    assert!(
        image.starts_with(&format!("{}/neurocards-media/{key}?", bucket.endpoint())),
        "{image}"
    );
    assert!(image.contains("X-Amz-Signature="), "a signed link: {image}");
    assert!(!image.contains(SECRET_ACCESS_KEY), "{image}");
    assert_eq!(done.input_file_ref.as_deref(), Some(image.as_str()));
    // The link works for whoever holds it, as KIE does, and only with its signature.
    let fetched = reqwest::get(&image).await.expect("GET the link");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.expect("bytes").as_ref(), media::JPEG);
    let unsigned = image.split('?').next().expect("path").to_owned();
    assert_eq!(reqwest::get(unsigned).await.expect("GET").status(), 403);
    assert_eq!(h.sent(8, "sendVideo").len(), 1);
}

crate::both!(
    s3_storage_hands_kie_a_signed_link,
    neurocard_is_made_once_and_delivered,
    reels_without_photo_is_text_to_video_in_9_16,
    callbacks_keep_status_queries_at_two_or_fewer,
);
