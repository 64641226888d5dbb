//! Delivery: download the result (streamed to disk, refused over 2 GB), send it with
//! sendVideo (over 50 MB: a link with a clear message), record the `file_id`.

use crate::context::Ctx;
use crate::job::SENT_STAGE;
use crate::outcome::{Failure, Guard, Stop, jitter};
use crate::telegram::{TelegramError, keyboard};
use crate::texts::{self, FailureReason};
use futures::StreamExt;
use neurocards_core::metrics::KindLabel;
use neurocards_core::{Language, callbacks};
use neurocards_store::{Job, Lease};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Tries of a result download that meets transport errors.
const DOWNLOAD_TRIES: u32 = 4;

pub(crate) async fn deliver(
    ctx: &Ctx,
    job: &Job,
    lease: &Lease,
    guard: &Guard,
    urls: &[String],
    language: Language,
) -> Result<(), Stop> {
    let url = urls.first().cloned().unwrap_or_default();
    if !ctx.store.set_stage(lease, "delivering").await? {
        return Err(Stop::LeaseLost);
    }
    let path = ctx.storage.result_path(job.id);
    let size = download(ctx, guard, &url, &path).await?;
    let markup = keyboard(&[
        (
            texts::again_button(language, job.kind),
            callbacks::again(job.kind),
        ),
        (texts::menu_button(language), callbacks::BACK_TO_MENU),
    ]);
    let sent = if size > ctx.options.max_upload_bytes {
        let text = texts::too_big_for_telegram(language, &url);
        ctx.telegram
            .send_message(job.chat_id, &text, Some(&markup))
            .await
            .map(|_| String::new())
    } else {
        ctx.telegram
            .send_video_file(
                job.chat_id,
                &path,
                texts::caption(language, job.kind),
                &markup,
            )
            .await
    };
    let _ = tokio::fs::remove_file(&path).await;
    let file_id = match sent {
        Ok(file_id) => file_id,
        Err(TelegramError::Blocked) => return Err(Stop::Blocked),
        Err(error) => {
            return Err(Stop::Failed(Failure::new(
                "delivery_failed",
                error.to_string(),
                FailureReason::Internal,
            )));
        }
    };
    // Recorded first, so a crash before finish_ok never sends the video twice.
    ctx.store
        .set_stage(lease, &format!("{SENT_STAGE}{file_id}\n{url}"))
        .await?;
    if !ctx.store.finish_ok(lease, &url, &file_id).await? {
        tracing::warn!(job = %job.id, "delivered, but the lease was lost before finish_ok");
        return Err(Stop::LeaseLost);
    }
    tracing::info!(job = %job.id, bytes = size, "delivered");
    if let Some(started) = job.started_at {
        let seconds = (ctx.store.now_ms() - started).max(0) as f64 / 1000.0;
        ctx.metrics
            .job_duration_seconds
            .get_or_create(&KindLabel {
                kind: job.kind.as_str().to_owned(),
            })
            .observe(seconds);
    }
    Ok(())
}

/// Streams `url` to `path`; returns the size. Refuses results over the limit.
async fn download(ctx: &Ctx, guard: &Guard, url: &str, path: &Path) -> Result<u64, Stop> {
    let mut wait = ctx.options.retry_initial;
    let mut last = String::new();
    for _ in 0..DOWNLOAD_TRIES {
        match download_once(ctx, url, path).await {
            Ok(size) => return Ok(size),
            Err(Fetch::Terminal(failure)) => return Err(Stop::Failed(failure)),
            Err(Fetch::Retry(detail)) => {
                last = detail;
                if wait >= guard.left() {
                    break;
                }
                guard.pause(jitter(wait)).await?;
                wait = (wait * 2).min(ctx.options.retry_max);
            }
        }
    }
    Err(Stop::Failed(Failure::new(
        "result_unavailable",
        format!("cannot download the result: {last}"),
        FailureReason::Internal,
    )))
}

enum Fetch {
    Retry(String),
    Terminal(Failure),
}

fn too_big(size: u64) -> Fetch {
    Fetch::Terminal(Failure::new(
        "result_too_large",
        format!("the result has {size} bytes or more, over the 2 GB limit"),
        FailureReason::Internal,
    ))
}

async fn download_once(ctx: &Ctx, url: &str, path: &Path) -> Result<u64, Fetch> {
    let response = ctx
        .downloads
        .get(url)
        .send()
        .await
        .map_err(|e| Fetch::Retry(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(Fetch::Retry(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(Fetch::Terminal(Failure::new(
            "result_unavailable",
            format!("result download: HTTP {status}"),
            FailureReason::Internal,
        )));
    }
    let limit = ctx.options.max_result_bytes;
    if let Some(length) = response.content_length()
        && length > limit
    {
        return Err(too_big(length));
    }
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Fetch::Retry(format!("storage: {e}")))?;
    }
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| Fetch::Retry(format!("storage: {e}")))?;
    let mut size: u64 = 0;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Fetch::Retry(e.without_url().to_string()))?;
        size += chunk.len() as u64;
        if size > limit {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
            return Err(too_big(size));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| Fetch::Retry(format!("storage: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| Fetch::Retry(format!("storage: {e}")))?;
    Ok(size)
}
