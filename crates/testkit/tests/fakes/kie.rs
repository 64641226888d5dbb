//! The KIE fake: task API envelopes and validation, the state machine, callbacks, the
//! result MP4, the upload API, per-key behaviour, service faults and counters.

use crate::{SOON, http};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine;
use neurocards_testkit::kie::{Endpoint, TaskState};
use neurocards_testkit::{FakeKie, KeyState, KieFault, media};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `{"code","msg","data"}` per KIE's docs.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    code: u16,
    msg: String,
    data: Option<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    task_id: String,
}

/// `data` of Get Task Details.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    task_id: String,
    model: String,
    state: String,
    param: String,
    result_json: String,
    fail_code: String,
    fail_msg: String,
    cost_time: i64,
    complete_time: Option<i64>,
    create_time: i64,
    #[allow(dead_code)]
    update_time: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultJson {
    result_urls: Vec<String>,
}

/// The upload API's answer.
#[derive(Debug, Deserialize)]
struct UploadAnswer {
    success: bool,
    code: u16,
    #[allow(dead_code)]
    msg: String,
    data: Option<UploadData>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadData {
    file_name: String,
    file_path: String,
    download_url: String,
    file_size: usize,
    mime_type: String,
    uploaded_at: String,
}

fn i2v_body(callback: Option<&str>) -> Value {
    json!({
        "model": "kling-2.6/image-to-video",
        "callBackUrl": callback,
        "input": {
            "prompt": "A volcano erupts, slow zoom",
            "image_urls": ["https://example.com/photo.jpg"],
            "duration": "5",
            "negative_prompt": "blur",
            "cfg_scale": 0.5
        }
    })
}

async fn create(kie: &FakeKie, key: &str, body: &Value) -> Envelope<Created> {
    http()
        .post(format!("{}/api/v1/jobs/createTask", kie.api_url()))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("envelope")
}

async fn record(kie: &FakeKie, key: &str, task_id: &str) -> Envelope<Record> {
    http()
        .get(format!("{}/api/v1/jobs/recordInfo", kie.api_url()))
        .query(&[("taskId", task_id)])
        .bearer_auth(key)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("envelope")
}

#[tokio::test]
async fn a_task_goes_from_waiting_to_success_and_serves_a_real_mp4() {
    let kie = FakeKie::start().await;
    let created = create(&kie, "k1", &i2v_body(None)).await;
    assert_eq!((created.code, created.msg.as_str()), (200, "success"));
    let task_id = created.data.expect("data").task_id;
    let early = record(&kie, "k1", &task_id).await.data.expect("record");
    assert!(["waiting", "queuing", "generating"].contains(&early.state.as_str()));
    assert_eq!(early.result_json, "");
    assert!(early.complete_time.is_none());

    assert_eq!(
        kie.wait_task_finished(&task_id, SOON).await,
        Some(TaskState::Success)
    );
    let done = record(&kie, "k1", &task_id).await.data.expect("record");
    assert_eq!(
        (done.task_id.as_str(), done.state.as_str()),
        (task_id.as_str(), "success")
    );
    assert_eq!(done.model, "kling-2.6/image-to-video");
    assert_eq!((done.fail_code.as_str(), done.fail_msg.as_str()), ("", ""));
    assert!(done.complete_time.is_some_and(|t| t >= done.create_time));
    assert!(done.cost_time >= 0);
    let param: Value = serde_json::from_str(&done.param).expect("param is the request as a string");
    assert_eq!(param["input"]["duration"], "5");
    let result: ResultJson =
        serde_json::from_str(&done.result_json).expect("resultJson is a JSON string");
    assert_eq!(result.result_urls, vec![kie.result_url(&task_id)]);

    let video = http()
        .get(&result.result_urls[0])
        .send()
        .await
        .expect("get");
    assert_eq!(video.headers()["content-type"], "video/mp4");
    assert_eq!(video.content_length(), Some(media::MP4.len() as u64));
    let bytes = video.bytes().await.expect("bytes");
    assert!(media::mp4_info(&bytes).is_some_and(|i| i.duration_secs > 2.5));

    assert_eq!(kie.tasks_created(), 1);
    assert_eq!(kie.tasks_created_by("k1"), 1);
    assert_eq!(kie.tasks_with_prompt("A volcano erupts, slow zoom"), 1);
    assert_eq!(kie.status_queries(&task_id), 2);
    assert_eq!(kie.created_tasks()[0].body["input"]["cfg_scale"], 0.5);

    let unknown = record(&kie, "k1", "nope").await;
    assert_eq!((unknown.code, unknown.data.is_none()), (404, true));
    let other_key = record(&kie, "k2", &task_id).await;
    assert_eq!(other_key.code, 404, "tasks are private to their key");
}

#[tokio::test]
async fn invalid_bodies_get_422_in_the_envelope() {
    let kie = FakeKie::start().await;
    let cases = [
        json!({"model": "kling-2.6/text-to-video", "input": {"prompt": ""}}),
        json!({"model": "kling-2.6/text-to-video", "input": {"prompt": "x", "duration": "7"}}),
        json!({"model": "kling-2.6/text-to-video", "input": {"prompt": "x", "aspect_ratio": "4:3"}}),
        json!({"model": "kling-2.6/image-to-video", "input": {"prompt": "x"}}),
        json!({"model": "kling/v2-1-standard/image-to-video", "input": {"prompt": "x", "image_url": "ftp://x"}}),
        json!({"model": "kling-2.6/text-to-video", "input": {"prompt": "x", "cfg_scale": 3}}),
        json!({"input": {"prompt": "x"}}),
        json!({"model": "kling-2.6/text-to-video", "callBackUrl": "not a url", "input": {"prompt": "x"}}),
    ];
    for body in cases {
        let answer = http()
            .post(format!("{}/api/v1/jobs/createTask", kie.api_url()))
            .bearer_auth("k")
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(
            answer.status(),
            StatusCode::OK,
            "KIE answers HTTP 200 with the code inside"
        );
        let envelope: Envelope<Created> = answer.json().await.expect("envelope");
        assert_eq!(envelope.code, 422, "{body}");
    }
    let t2v = json!({"model": "kling-2.6/text-to-video", "input": {"prompt": "x", "aspect_ratio": "9:16", "duration": "10"}});
    assert_eq!(create(&kie, "k", &t2v).await.code, 200);
    assert_eq!(kie.tasks_created(), 1);
}

#[tokio::test]
async fn the_callback_is_posted_and_retried_until_2xx() {
    let kie = FakeKie::start().await;
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = bodies.clone();
    let app = Router::new().route(
        "/kie/callback/{token}",
        post(move |body: axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().expect("lock");
                seen.push(body.0);
                if seen.len() == 1 {
                    StatusCode::BAD_GATEWAY
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/kie/callback/tok",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let task_id = create(&kie, "k", &i2v_body(Some(&url)))
        .await
        .data
        .expect("data")
        .task_id;
    kie.wait_task_finished(&task_id, SOON)
        .await
        .expect("finished");
    let waited = kie.wait_callbacks(2, SOON).await;
    assert_eq!(
        waited,
        Some(2),
        "{:?} {:?}",
        kie.callbacks(),
        kie.task_state(&task_id)
    );
    let attempts = kie.callbacks();
    assert_eq!(
        attempts.iter().map(|a| a.status).collect::<Vec<_>>(),
        vec![Some(502), Some(200)]
    );
    let body = bodies.lock().expect("lock")[1].clone();
    assert_eq!(body["code"], 200);
    assert_eq!(body["msg"], "Playground task completed successfully.");
    assert_eq!(body["data"]["taskId"], task_id);
    assert_eq!(body["data"]["state"], "success");
    let result: ResultJson =
        serde_json::from_str(body["data"]["resultJson"].as_str().expect("string")).expect("json");
    assert_eq!(result.result_urls.len(), 1);
}

#[tokio::test]
async fn content_policy_failures_refund_and_report_fail_code() {
    let kie = FakeKie::start().await;
    kie.fail_next_task_content_policy();
    let before = kie.credits("k");
    let task_id = create(&kie, "k", &i2v_body(None))
        .await
        .data
        .expect("data")
        .task_id;
    assert_eq!(
        kie.wait_task_finished(&task_id, SOON).await,
        Some(TaskState::Fail)
    );
    let failed = record(&kie, "k", &task_id).await.data.expect("record");
    assert_eq!(failed.state, "fail");
    assert_eq!(
        failed.fail_code,
        neurocards_testkit::kie::CONTENT_POLICY_CODE
    );
    assert!(!failed.fail_msg.is_empty());
    assert_eq!(failed.result_json, "");
    assert_eq!(kie.credits("k"), before, "a failed generation is refunded");

    kie.set_generation_time(Duration::from_secs(30));
    let slow = create(&kie, "k", &i2v_body(None))
        .await
        .data
        .expect("data")
        .task_id;
    assert!(kie.fail_task(&slow, "500", "Internal server error"));
    kie.set_generation_time(Duration::from_millis(10));
    assert_eq!(kie.task_state(&slow), Some(TaskState::Waiting));
}

#[tokio::test]
async fn keys_can_be_invalid_broke_or_rate_limited_and_credits_are_reported() {
    let kie = FakeKie::start().await;
    let credit = |key: &'static str| {
        let url = format!("{}/api/v1/chat/credit", kie.api_url());
        async move {
            http()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .expect("send")
                .json::<Envelope<i64>>()
                .await
                .expect("json")
        }
    };
    let start = credit("k1").await.data.expect("credits");
    create(&kie, "k1", &i2v_body(None))
        .await
        .data
        .expect("task");
    assert_eq!(credit("k1").await.data, Some(start - 10));

    kie.set_key_state("bad", KeyState::Invalid);
    kie.set_key_state("broke", KeyState::OutOfCredits);
    kie.set_key_state("busy", KeyState::RateLimited);
    assert_eq!(create(&kie, "bad", &i2v_body(None)).await.code, 401);
    assert_eq!(create(&kie, "broke", &i2v_body(None)).await.code, 402);
    assert_eq!(create(&kie, "busy", &i2v_body(None)).await.code, 429);
    assert_eq!(credit("broke").await.data, Some(0));
    kie.set_credits("poor", 5);
    assert_eq!(create(&kie, "poor", &i2v_body(None)).await.code, 402);
    let no_auth: Envelope<Created> = http()
        .post(format!("{}/api/v1/jobs/createTask", kie.api_url()))
        .json(&i2v_body(None))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(no_auth.code, 401);
    assert_eq!(kie.tasks_created(), 1, "refused calls create no task");
}

#[tokio::test]
async fn service_faults_answer_455_500_501_or_hang() {
    let kie = FakeKie::start().await;
    kie.fail_next(1, KieFault::Maintenance);
    kie.fail_next(1, KieFault::ServerError);
    kie.fail_next_on(Endpoint::CreateTask, 1, KieFault::GenerationFailed);
    assert_eq!(create(&kie, "k", &i2v_body(None)).await.code, 455);
    assert_eq!(record(&kie, "k", "x").await.code, 500);
    assert_eq!(create(&kie, "k", &i2v_body(None)).await.code, 501);
    kie.fail_next(1, KieFault::Hang);
    let hung = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client")
        .post(format!("{}/api/v1/jobs/createTask", kie.api_url()))
        .bearer_auth("k")
        .json(&i2v_body(None))
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()));
    assert_eq!(create(&kie, "k", &i2v_body(None)).await.code, 200);
    assert_eq!(kie.calls(Endpoint::CreateTask), 4);
    for code in [400, 404, 422, 505] {
        kie.fail_next_on(Endpoint::CreateTask, 1, KieFault::Code(code));
        let answer = create(&kie, "k", &i2v_body(None)).await;
        assert_eq!(answer.code, code);
        assert!(!answer.msg.is_empty(), "{code} says why");
    }
    assert_eq!(kie.tasks_created(), 1, "refused calls create no task");
}

#[tokio::test]
async fn the_upload_api_stores_files_and_serves_them_back() {
    let kie = FakeKie::start().await;
    let base = kie.upload_url();
    assert_ne!(base, kie.api_url());
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(media::JPEG)
                .file_name("photo.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        )
        .text("uploadPath", "images/user-uploads")
        .text("fileName", "p1.jpg");
    let stream: UploadAnswer = http()
        .post(format!("{base}/api/file-stream-upload"))
        .bearer_auth("k")
        .multipart(form)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(stream.success && stream.code == 200);
    let data = stream.data.expect("data");
    assert_eq!(
        (data.file_name.as_str(), data.file_path.as_str()),
        ("p1.jpg", "images/user-uploads/p1.jpg")
    );
    assert_eq!(
        (data.file_size, data.mime_type.as_str()),
        (media::JPEG.len(), "image/jpeg")
    );
    assert!(
        data.uploaded_at.ends_with('Z') && data.uploaded_at.len() == 24,
        "{}",
        data.uploaded_at
    );
    let served = http()
        .get(&data.download_url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&served[..], media::JPEG);

    let encoded = base64::engine::general_purpose::STANDARD.encode(media::PNG);
    let b64: UploadAnswer = http()
        .post(format!("{base}/api/file-base64-upload"))
        .bearer_auth("k")
        .json(&json!({"base64Data": format!("data:image/png;base64,{encoded}"), "uploadPath": "images"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(
        b64.data.as_ref().map(|d| d.mime_type.as_str()),
        Some("image/png")
    );

    let by_url: UploadAnswer = http()
        .post(format!("{base}/api/file-url-upload"))
        .bearer_auth("k")
        .json(
            &json!({"fileUrl": data.download_url, "uploadPath": "images", "fileName": "copy.jpg"}),
        )
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let copy = by_url.data.expect("data");
    let served = http()
        .get(&copy.download_url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&served[..], media::JPEG);

    let missing: UploadAnswer = http()
        .post(format!("{base}/api/file-base64-upload"))
        .bearer_auth("k")
        .json(&json!({"uploadPath": "images"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!((missing.success, missing.code), (false, 400));
    let unauthorized: UploadAnswer = http()
        .post(format!("{base}/api/file-url-upload"))
        .json(&json!({"fileUrl": "http://x", "uploadPath": "i"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(unauthorized.code, 401);
    let uploads = kie.uploads();
    assert_eq!(
        uploads.iter().map(|u| u.method).collect::<Vec<_>>(),
        vec!["stream", "base64", "url"]
    );
}
