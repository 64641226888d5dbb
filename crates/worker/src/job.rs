//! One job, from claim to finish. Each step records its result in the job row before the
//! next starts, so a job resumed by another worker picks up where this one stopped: with
//! a stored task id it only waits, never submits again.

use crate::context::Ctx;
use crate::deliver;
use crate::outcome::{Backoff, Failure, Guard, Stop, retrying};
use crate::texts::{self, FailureReason};
use neurocards_core::{JobKind, Language};
use neurocards_providers::{TaskRef, TaskStatus, VideoRequest};
use neurocards_store::{Job, Lease};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Prefix of the stage recorded between sendVideo and `finish_ok`: `sent:<file_id>\n<url>`.
pub(crate) const SENT_STAGE: &str = "sent:";

/// Runs a claimed job to its end (or to a recorded point on shutdown).
pub(crate) async fn run(ctx: Arc<Ctx>, job: Job, shutdown: CancellationToken) {
    let held = ctx.leases.hold(job.id);
    let lease = Lease {
        job: job.id,
        owner: ctx.options.owner.clone(),
    };
    let guard = Guard {
        shutdown,
        lost: held.lost.clone(),
        deadline: deadline(&ctx, &job),
    };
    let language = language(&ctx, &job).await;
    let result = steps(&ctx, &job, &lease, &guard, language).await;
    match result {
        Ok(()) => {}
        Err(Stop::Shutdown) => match ctx.store.release(job.id, &lease.owner).await {
            Ok(_) => tracing::info!(job = %job.id, "released on shutdown"),
            Err(error) => {
                tracing::warn!(job = %job.id, %error, "cannot release; the lease will run out")
            }
        },
        Err(Stop::LeaseLost) => {}
        Err(Stop::Store(error)) => {
            tracing::error!(job = %job.id, %error, "database failed; the job will be claimed again");
        }
        Err(Stop::Blocked) => {
            let failed = ctx
                .store
                .finish_failed(
                    job.id,
                    Some(&lease.owner),
                    "telegram_blocked",
                    "the user blocked the bot",
                )
                .await;
            if let Err(error) = failed {
                tracing::error!(job = %job.id, %error, "cannot fail a job");
            }
            if let Err(error) = ctx.store.mark_blocked(job.user).await {
                tracing::warn!(job = %job.id, %error, "cannot mark a user blocked");
            }
        }
        Err(Stop::Failed(failure)) => {
            fail(&ctx, &job, Some(&lease.owner), &failure, language).await
        }
    }
    drop(held);
}

/// Ends a job as failed (with its refund) and tells the user; shared with the sweeper.
pub(crate) async fn fail(
    ctx: &Ctx,
    job: &Job,
    owner: Option<&str>,
    failure: &Failure,
    language: Language,
) {
    tracing::warn!(job = %job.id, class = %failure.class, detail = %failure.detail, "job failed");
    match ctx
        .store
        .finish_failed(job.id, owner, &failure.class, &failure.detail)
        .await
    {
        Ok(true) => tell_failure(ctx, job, failure.reason, language).await,
        Ok(false) => {}
        Err(error) => tracing::error!(job = %job.id, %error, "cannot fail a job"),
    }
}

/// The failure message (with the credits-back promise) and a final progress line.
pub(crate) async fn tell_failure(ctx: &Ctx, job: &Job, reason: FailureReason, language: Language) {
    let text = texts::failure(language, reason);
    let markup = crate::telegram::keyboard(&[(
        texts::menu_button(language),
        neurocards_core::callbacks::BACK_TO_MENU,
    )]);
    if let Some(message) = progress_message(ctx, job).await {
        let _ = ctx
            .telegram
            .edit_message_text(job.chat_id, message, "❌")
            .await;
    }
    match ctx
        .telegram
        .send_message(job.chat_id, text, Some(&markup))
        .await
    {
        Ok(_) => {}
        Err(crate::telegram::TelegramError::Blocked) => {
            let _ = ctx.store.mark_blocked(job.user).await;
        }
        Err(error) => tracing::warn!(job = %job.id, %error, "cannot tell the user about a failure"),
    }
}

/// The progress message's id, read afresh when the claimed row had none: the bot records
/// it only after its own "queued" edit, so a job claimed at once skips its first status
/// rather than having it overwritten by the older one.
async fn progress_message(ctx: &Ctx, job: &Job) -> Option<i64> {
    if job.progress_message_id.is_some() {
        return job.progress_message_id;
    }
    match ctx.store.job(job.id).await {
        Ok(current) => current.and_then(|j| j.progress_message_id),
        Err(error) => {
            tracing::debug!(job = %job.id, %error, "cannot read the progress message id");
            None
        }
    }
}

/// The user's language, or the configured default.
pub(crate) async fn language(ctx: &Ctx, job: &Job) -> Language {
    match ctx.store.user(job.user).await {
        Ok(Some(user)) => user.language.unwrap_or(ctx.default_language),
        _ => ctx.default_language,
    }
}

/// WORKER_TIMEOUT counted from the first claim.
fn deadline(ctx: &Ctx, job: &Job) -> Instant {
    let now = ctx.store.now_ms();
    let started = job.started_at.unwrap_or(now);
    let timeout_ms = i64::try_from(ctx.worker_timeout.as_millis()).unwrap_or(i64::MAX);
    let left_ms = started
        .saturating_add(timeout_ms)
        .saturating_sub(now)
        .max(0);
    Instant::now() + Duration::from_millis(left_ms as u64)
}

/// Counts a video-provider call by its outcome.
fn count(ctx: &Ctx) -> impl Fn(&str) + '_ {
    move |outcome| ctx.metrics.provider_call(ctx.provider.name(), outcome)
}

fn backoff(ctx: &Ctx) -> Backoff {
    Backoff {
        initial: ctx.options.retry_initial,
        max: ctx.options.retry_max,
    }
}

/// Edits the progress message.
async fn progress(ctx: &Ctx, job: &Job, text: &str) {
    let message = progress_message(ctx, job).await;
    if let Some(message) = message
        && let Err(error) = ctx
            .telegram
            .edit_message_text(job.chat_id, message, text)
            .await
    {
        tracing::debug!(job = %job.id, %error, "cannot edit the progress message");
    }
}

async fn steps(
    ctx: &Ctx,
    job: &Job,
    lease: &Lease,
    guard: &Guard,
    language: Language,
) -> Result<(), Stop> {
    // Delivered before a crash, not yet recorded as done: record it, send nothing again.
    if let Some(sent) = job
        .stage
        .as_deref()
        .and_then(|s| s.strip_prefix(SENT_STAGE))
    {
        let (file_id, url) = sent.split_once('\n').unwrap_or((sent, ""));
        if !ctx.store.finish_ok(lease, url, file_id).await? {
            return Err(Stop::LeaseLost);
        }
        return Ok(());
    }
    // Registered before submitting, so a fast callback is never missed.
    let callback = ctx.hub.register(job.id);
    let (task, resumed) = match &job.provider_task_id {
        Some(task_id) => (TaskRef::from_stored(job.provider.as_deref(), task_id), true),
        None => {
            guard.checkpoint()?;
            progress(ctx, job, texts::generating(language, job.kind)).await;
            let prompt = prompt(ctx, job, lease).await?;
            guard.checkpoint()?;
            let image_url = input(ctx, job, lease, guard).await?;
            guard.checkpoint()?;
            (
                submit(ctx, job, lease, guard, prompt, image_url).await?,
                false,
            )
        }
    };
    let urls = wait(ctx, job, guard, &task, resumed, &callback).await?;
    drop(callback);
    guard.checkpoint()?;
    progress(ctx, job, texts::sending(language)).await;
    deliver::deliver(ctx, job, lease, guard, &urls, language).await?;
    progress(ctx, job, texts::delivered(language)).await;
    Ok(())
}

/// The video prompt: recorded one if resumed, else the LLM's, else the template.
async fn prompt(ctx: &Ctx, job: &Job, lease: &Lease) -> Result<String, Stop> {
    if let Some(prompt) = &job.enhanced_prompt {
        return Ok(prompt.clone());
    }
    let enhanced = ctx
        .enhancer
        .enhance_or(
            texts::system_prompt(job.kind),
            &job.user_prompt,
            texts::template(job.kind, &job.user_prompt),
        )
        .await;
    let outcome = match &enhanced {
        neurocards_providers::Enhanced::Llm(_) => "ok",
        _ => "template",
    };
    ctx.metrics.provider_call("openai", outcome);
    let prompt = enhanced.text().to_owned();
    if !ctx.store.set_enhanced_prompt(lease, &prompt).await? {
        return Err(Stop::LeaseLost);
    }
    Ok(prompt)
}

/// The input photo as a URL the provider can read: fetched from Telegram, kept in our
/// storage, uploaded to the provider. Never a Telegram file URL (it holds the bot token).
async fn input(ctx: &Ctx, job: &Job, lease: &Lease, guard: &Guard) -> Result<Option<String>, Stop> {
    if let Some(reference) = &job.input_file_ref {
        return Ok(Some(reference.clone()));
    }
    let Some(file_id) = &job.input_file_id else {
        return match job.kind {
            JobKind::Neurocard => Err(Stop::Failed(Failure::new(
                "bad_request",
                "a neurocard without a photo",
                FailureReason::BadInput,
            ))),
            JobKind::Reels => Ok(None),
        };
    };
    let photo = match ctx.telegram.download_file(file_id).await {
        Ok(bytes) => bytes,
        Err(crate::telegram::TelegramError::Refused { code, description }) => {
            return Err(Stop::Failed(Failure::new(
                "input_unavailable",
                format!("Telegram getFile {code}: {description}"),
                FailureReason::BadInput,
            )));
        }
        Err(error) => {
            // Telegram was already retried (429s waited out, transport errors tried again).
            return Err(Stop::Failed(Failure::new(
                "input_unavailable",
                error.to_string(),
                FailureReason::Internal,
            )));
        }
    };
    let url = match &ctx.bucket {
        // Our bucket keeps the copy and the provider reads it through a signed link.
        Some(bucket) => bucket
            .put_and_sign(job.id, photo.clone())
            .await
            .map_err(|error| {
                Stop::Failed(Failure::new(
                    "storage",
                    error.to_string(),
                    FailureReason::Internal,
                ))
            })?,
        None => upload_input(ctx, job, guard, photo).await?,
    };
    if !ctx.store.set_input_ref(lease, &url).await? {
        return Err(Stop::LeaseLost);
    }
    Ok(Some(url))
}

/// Keeps a local copy and hands the photo to the provider's upload API.
async fn upload_input(
    ctx: &Ctx,
    job: &Job,
    guard: &Guard,
    photo: bytes::Bytes,
) -> Result<String, Stop> {
    if let Err(error) = ctx.storage.save_input(job.id, &photo).await {
        tracing::warn!(job = %job.id, %error, "cannot keep a copy of the input photo");
    }
    let file_name = format!("job-{}.jpg", job.id);
    retrying(
        guard,
        backoff(ctx),
        "uploading the photo",
        count(ctx),
        || {
            ctx.provider
                .upload_input(photo.clone(), &file_name, "image/jpeg")
        },
    )
    .await
}

/// Creates the provider task and records its id before anything waits on it.
async fn submit(
    ctx: &Ctx,
    job: &Job,
    lease: &Lease,
    guard: &Guard,
    prompt: String,
    image_url: Option<String>,
) -> Result<TaskRef, Stop> {
    let request = VideoRequest {
        kind: job.kind,
        prompt,
        image_url,
        duration_s: u32::try_from(job.duration_s).unwrap_or(5),
        aspect_ratio: job.aspect_ratio.clone(),
        callback_url: ctx
            .callback_base
            .as_ref()
            .map(|base| format!("{base}/kie/callback/{}", job.callback_token)),
    };
    // Not interrupted by shutdown: a task paid for must get its id recorded.
    let submitted = retrying(
        &Guard {
            shutdown: CancellationToken::new(),
            ..guard.clone()
        },
        backoff(ctx),
        "creating the task",
        count(ctx),
        || ctx.provider.submit(&request),
    )
    .await?;
    let task = submitted.task;
    let tag = task.provider_tag(ctx.provider.name());
    if !ctx
        .store
        .record_submission(lease, &tag, &task.task_id)
        .await?
    {
        tracing::error!(job = %job.id, task = %task.task_id, "lease lost right after submitting; the task is orphaned");
        return Err(Stop::LeaseLost);
    }
    tracing::info!(job = %job.id, task = %task.task_id, "submitted");
    Ok(task)
}

/// Waits for the task: by callback when configured (polling as the fallback), by polling
/// with backoff otherwise; bounded by the deadline.
async fn wait(
    ctx: &Ctx,
    job: &Job,
    guard: &Guard,
    task: &TaskRef,
    resumed: bool,
    callback: &crate::hub::Registration,
) -> Result<Vec<String>, Stop> {
    let options = &ctx.options;
    let callbacks = ctx.callback_base.is_some();
    let mut delay = if resumed {
        Duration::ZERO
    } else if callbacks {
        options.callback_fallback
    } else {
        options.poll_initial
    };
    let mut poll = options.poll_initial;
    loop {
        if delay >= guard.left() {
            return Err(Stop::Failed(Failure::timeout("waiting for the provider")));
        }
        if !delay.is_zero() {
            tokio::select! {
                () = callback.notified() => {}
                () = tokio::time::sleep(delay) => {}
                () = guard.lost.cancelled() => return Err(Stop::LeaseLost),
                () = guard.shutdown.cancelled() => return Err(Stop::Shutdown),
            }
        }
        let status = retrying(
            guard,
            backoff(ctx),
            "asking about the task",
            count(ctx),
            || ctx.provider.status(task),
        )
        .await?;
        match status {
            TaskStatus::Succeeded { urls } => return Ok(urls),
            TaskStatus::Failed { error } => {
                return Err(Stop::Failed(Failure::from_provider(&error)));
            }
            TaskStatus::Pending { state } => {
                tracing::debug!(job = %job.id, state, "task pending");
            }
        }
        delay = if callbacks {
            // The callback should come; ask now and then in case it got lost.
            options.callback_fallback
        } else {
            crate::outcome::jitter(poll)
        };
        poll = (poll.mul_f64(1.5)).min(options.poll_max);
    }
}
