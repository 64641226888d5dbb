//! Proxy rotation: with one dead proxy and one working, calls go through the working one
//! and the dead one cools down.

use neurocards_core::Secret;
use neurocards_core::config::parse_proxy_list;
use neurocards_ephemeral::Ephemeral;
use neurocards_providers::kie::KieSettings;
use neurocards_providers::{KeyRing, KieClient, ProxyPool, VideoProvider, VideoRequest};
use neurocards_testkit::FakeKie;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A plain-HTTP forward proxy: reads the request head, connects to the absolute URL's
/// host, forwards the bytes both ways. Counts connections.
async fn forward_proxy() -> (String, Arc<AtomicU32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicU32::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = text
                    .split_whitespace()
                    .nth(1)
                    .and_then(|u| u.strip_prefix("http://"))
                    .and_then(|u| u.split('/').next())
                    .map(str::to_owned)
                else {
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                if upstream.write_all(&head).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr.to_string(), count)
}

async fn dead_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    drop(listener);
    addr
}

#[tokio::test]
async fn calls_go_through_the_working_proxy_and_the_dead_one_cools_down() {
    let kie = FakeKie::start().await;
    kie.set_generation_time(Duration::from_millis(10));
    let (working, through_working) = forward_proxy().await;
    let dead = dead_port().await;
    let proxies = parse_proxy_list(&format!("{dead}\n{working}\n")).expect("proxies");
    let routes =
        ProxyPool::new(&proxies, Duration::from_secs(300), Ephemeral::local()).expect("pool");
    let settings = KieSettings {
        base_url: kie.api_url().parse().expect("url"),
        upload_url: kie.upload_url().parse().expect("url"),
        model_image_to_video: "kling-2.6/image-to-video".into(),
        model_text_to_video: "kling-2.6/text-to-video".into(),
    };
    let keys = KeyRing::new(
        "kie",
        &[Secret::new("kie-key-one-0001")],
        Ephemeral::local(),
    );
    let client = KieClient::new(settings, keys, routes.clone());
    let request = VideoRequest {
        kind: neurocards_core::JobKind::Reels,
        prompt: "a wave".into(),
        image_url: None,
        duration_s: 5,
        aspect_ratio: "9:16".into(),
        callback_url: None,
    };
    for _ in 0..4 {
        client
            .submit(&request)
            .await
            .expect("submitted through the working proxy");
    }
    assert_eq!(kie.tasks_created(), 4);
    assert!(through_working.load(Ordering::SeqCst) >= 1);
    assert_eq!(routes.cooling_labels().await, vec![dead]);
}
