//! The S3 fake: signed PUTs, signed or presigned GETs, and S3's XML errors.

use crate::http;
use neurocards_testkit::FakeS3;
use neurocards_testkit::s3::ACCESS_KEY_ID;

fn signed(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
    request
        .header(
            "Authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={key}/20261125/us-east-1/s3/aws4_request, \
                 SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}",
                "a".repeat(64)
            ),
        )
        .header("x-amz-date", "20261125T120000Z")
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
}

#[tokio::test]
async fn objects_need_a_signature_and_errors_are_s3_xml() {
    let s3 = FakeS3::start("media").await;
    let url = format!("{}/media/a/b.jpg", s3.endpoint());

    let unsigned = http().put(&url).body("x").send().await.expect("PUT");
    assert_eq!(unsigned.status(), 403);
    assert!(
        unsigned
            .text()
            .await
            .expect("body")
            .contains("<Code>AccessDenied</Code>")
    );
    let stranger = signed(http().put(&url), "SOMEONEELSE")
        .body("x")
        .send()
        .await
        .expect("PUT");
    assert_eq!(stranger.status(), 403);

    let put = signed(http().put(&url), ACCESS_KEY_ID)
        .body("jpeg")
        .send()
        .await
        .expect("PUT");
    assert_eq!(put.status(), 200);
    assert!(put.headers().contains_key("etag"));
    assert_eq!(s3.object("a/b.jpg").as_deref(), Some(&b"jpeg"[..]));

    let presigned = format!(
        "{url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY_ID}%2F20261125%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20261125T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
        "b".repeat(64)
    );
    let got = http().get(&presigned).send().await.expect("GET");
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), b"jpeg");
    assert_eq!(s3.presigned_reads(), 1);

    let missing = signed(
        http().get(format!("{}/media/none", s3.endpoint())),
        ACCESS_KEY_ID,
    )
    .send()
    .await
    .expect("GET");
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.expect("body").contains("NoSuchKey"));
    let other_bucket = signed(
        http().get(format!("{}/other/a/b.jpg", s3.endpoint())),
        ACCESS_KEY_ID,
    )
    .send()
    .await
    .expect("GET");
    assert!(
        other_bucket
            .text()
            .await
            .expect("body")
            .contains("NoSuchBucket")
    );
}
