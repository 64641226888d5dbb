//! Making a video: gather the inputs (a neurocard's photo and text, a Reels idea and its
//! optional first frame), show the confirmation with the lengths and prices, then charge
//! and queue in one step. The worker takes it from there and edits the "queued" message.

use crate::app::BotError;
use crate::keyboards;
use crate::photo::{self, PhotoProblem};
use crate::router::first_step;
use crate::state::{Draft, State};
use crate::texts::{Texts, fill};
use crate::turn::Turn;
use neurocards_core::{JobKind, Prompt, PromptError, VideoDuration};
use neurocards_store::{ChargeOutcome, Job, NewJob};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, Message, MessageId};

/// A flow's first question (from the menu or an "again" button under a video).
pub(crate) async fn begin(turn: &Turn<'_>, kind: JobKind) -> Result<(), BotError> {
    turn.set_state(first_step(kind)).await?;
    let question = match kind {
        JobKind::Neurocard => turn.t.ask_photo,
        JobKind::Reels => turn.t.ask_reels_idea,
    };
    turn.say(question, Some(keyboards::cancel(turn.t))).await?;
    Ok(())
}

/// A message that is not a command: what the chat's flow waits for, or a hint.
pub(crate) async fn on_message(
    turn: &Turn<'_>,
    message: &Message,
    state: State,
) -> Result<(), BotError> {
    let t = turn.t;
    match state {
        State::Idle | State::BroadcastDraft => {
            // Only a hint: nothing is downloaded to choose it.
            let offers_a_picture = message.photo().is_some()
                || message.document().is_some()
                || message.animation().is_some();
            let hint = if offers_a_picture {
                t.photo_outside_flow
            } else {
                t.outside_flow
            };
            turn.menu(Some(hint)).await
        }
        State::NeurocardPhoto => match picture(turn, message).await? {
            Picture::Usable(photo) => {
                // A caption is taken as the text, saving the user a step.
                if let Some(prompt) = message.caption().and_then(|c| Prompt::parse(c).ok()) {
                    return to_confirm(turn, draft(JobKind::Neurocard, prompt, Some(photo))).await;
                }
                turn.set_state(State::NeurocardText { photo }).await?;
                ask(turn, t.ask_neurocard_text, None, keyboards::cancel(t)).await
            }
            Picture::Refused(problem) => {
                let why = problem_text(t, problem);
                ask(turn, t.ask_photo, Some(&why), keyboards::cancel(t)).await
            }
            Picture::None => ask(turn, t.expected_photo, None, keyboards::cancel(t)).await,
        },
        State::NeurocardText { photo } => match text_prompt(t, message) {
            Ok(prompt) => to_confirm(turn, draft(JobKind::Neurocard, prompt, Some(photo))).await,
            Err(why) => ask(turn, t.ask_neurocard_text, Some(&why), keyboards::cancel(t)).await,
        },
        State::ReelsIdea => match text_prompt(t, message) {
            Ok(prompt) => {
                turn.set_state(State::ReelsPhoto { idea: prompt }).await?;
                ask(turn, t.ask_reels_photo, None, keyboards::reels_photo(t)).await
            }
            Err(why) => ask(turn, t.ask_reels_idea, Some(&why), keyboards::cancel(t)).await,
        },
        State::ReelsPhoto { idea } => match picture(turn, message).await? {
            Picture::Usable(photo) => {
                to_confirm(turn, draft(JobKind::Reels, idea, Some(photo))).await
            }
            Picture::Refused(problem) => {
                let why = problem_text(t, problem);
                ask(
                    turn,
                    t.ask_reels_photo,
                    Some(&why),
                    keyboards::reels_photo(t),
                )
                .await
            }
            Picture::None => ask(turn, t.expected_photo, None, keyboards::reels_photo(t)).await,
        },
        // The confirmation is shown again (the older one goes stale).
        State::Confirm(draft) => to_confirm(turn, draft).await,
    }
}

fn draft(kind: JobKind, prompt: Prompt, photo: Option<String>) -> Draft {
    Draft {
        kind,
        prompt,
        photo,
        duration: VideoDuration::S5,
        confirmation: None,
    }
}

/// Sends `question`, after `problem` when the last answer was refused.
async fn ask(
    turn: &Turn<'_>,
    question: &str,
    problem: Option<&str>,
    markup: InlineKeyboardMarkup,
) -> Result<(), BotError> {
    let text = match problem {
        Some(problem) => format!("{problem}\n\n{question}"),
        None => question.to_owned(),
    };
    turn.say(text, Some(markup)).await?;
    Ok(())
}

/// The user's text as a prompt, or the message saying what is wrong with it.
fn text_prompt(t: &Texts, message: &Message) -> Result<Prompt, String> {
    let Some(text) = message.text() else {
        return Err(t.expected_text.to_owned());
    };
    Prompt::parse(text).map_err(|error| match error {
        PromptError::Empty => t.text_empty.to_owned(),
        PromptError::TooLong(count) => fill(t.text_too_long, &[("count", &count)]),
    })
}

/// What a message offers as a picture.
enum Picture {
    /// A usable image: its Telegram file id.
    Usable(String),
    /// An image we cannot use, and why.
    Refused(PhotoProblem),
    /// No image at all (text, sticker, voice...).
    None,
}

async fn picture(turn: &Turn<'_>, message: &Message) -> Result<Picture, BotError> {
    if let Some(sizes) = message.photo() {
        return Ok(match photo::check_photo(sizes) {
            Ok(file_id) => Picture::Usable(file_id),
            Err(problem) => Picture::Refused(problem),
        });
    }
    if message.animation().is_some() {
        return Ok(Picture::Refused(PhotoProblem::Animated));
    }
    let Some(document) = message.document() else {
        return Ok(Picture::None);
    };
    if u64::from(document.file.size) > photo::MAX_BYTES {
        return Ok(Picture::Refused(PhotoProblem::TooBig));
    }
    // A file that says it is not an image is not downloaded to find out.
    if document
        .mime_type
        .as_ref()
        .is_some_and(|mime| mime.type_() != "image")
    {
        return Ok(Picture::Refused(PhotoProblem::WrongType));
    }
    let bytes = match download(turn, &document.file.id.0).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(%error, "cannot download an image sent as a file");
            return Ok(Picture::Refused(PhotoProblem::Unreadable));
        }
    };
    Ok(match photo::check_image_bytes(&bytes) {
        Ok(()) => Picture::Usable(document.file.id.0.clone()),
        Err(problem) => Picture::Refused(problem),
    })
}

/// The bytes of a file the user sent (the token-bearing URL stays inside teloxide).
async fn download(turn: &Turn<'_>, file_id: &str) -> Result<Vec<u8>, String> {
    let file = turn
        .app
        .raw
        .get_file(teloxide::types::FileId(file_id.to_owned()))
        .await
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    turn.app
        .raw
        .download_file(&file.path, &mut bytes)
        .await
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

fn problem_text(t: &Texts, problem: PhotoProblem) -> String {
    match problem {
        PhotoProblem::WrongType => t.photo_wrong_type.to_owned(),
        PhotoProblem::Animated => t.photo_animated.to_owned(),
        PhotoProblem::TooBig => t.photo_too_big.to_owned(),
        PhotoProblem::TooSmall { width, height } => {
            fill(t.photo_too_small, &[("width", &width), ("height", &height)])
        }
        PhotoProblem::Unreadable => t.photo_unreadable.to_owned(),
    }
}

/// Shows the confirmation and remembers which message it is.
async fn to_confirm(turn: &Turn<'_>, mut draft: Draft) -> Result<(), BotError> {
    let (text, markup) = confirmation(turn, &draft);
    draft.confirmation = turn.say(text, Some(markup)).await?.map(|m| m.0);
    turn.set_state(State::Confirm(draft)).await
}

/// The draft a press on `message` acts on: only the latest confirmation's buttons count.
async fn current_draft(turn: &Turn<'_>, message: MessageId) -> Result<Option<Draft>, BotError> {
    Ok(match turn.state().await? {
        State::Confirm(draft) if draft.confirmation == Some(message.0) => Some(draft),
        _ => None,
    })
}

/// The confirmation's text and buttons. The balance is the one read with this update's
/// contact: nothing in these flows moves credits before showing it.
fn confirmation(turn: &Turn<'_>, draft: &Draft) -> (String, InlineKeyboardMarkup) {
    let t = turn.t;
    let cost = turn.app.settings.prices.cost(draft.kind, draft.duration);
    let photo = if draft.photo.is_some() {
        t.with_photo
    } else {
        t.without_photo
    };
    let text = fill(
        t.confirm,
        &[
            ("kind", &t.kind(draft.kind)),
            ("photo", &photo),
            ("prompt", &draft.prompt.as_str()),
            ("seconds", &draft.duration.seconds()),
            ("cost", &cost),
            ("balance", &turn.user.balance),
        ],
    );
    let markup = keyboards::confirm(t, draft, &turn.app.settings.prices);
    (text, markup)
}

/// "No photo" for Reels.
pub(crate) async fn skip_photo(turn: &Turn<'_>) -> Result<Option<&'static str>, BotError> {
    let State::ReelsPhoto { idea } = turn.state().await? else {
        return Ok(Some(turn.t.stale_button));
    };
    to_confirm(turn, draft(JobKind::Reels, idea, None)).await?;
    Ok(None)
}

/// A length picked in the confirmation: the message shows the new price.
pub(crate) async fn choose_duration(
    turn: &Turn<'_>,
    message: MessageId,
    duration: VideoDuration,
) -> Result<Option<&'static str>, BotError> {
    let Some(mut draft) = current_draft(turn, message).await? else {
        return Ok(Some(turn.t.stale_button));
    };
    draft.duration = duration;
    turn.set_state(State::Confirm(draft.clone())).await?;
    let (text, markup) = confirmation(turn, &draft);
    turn.edit(message, text, Some(markup)).await?;
    Ok(None)
}

/// "Generate": charge and queue in one transaction. The confirmation message is the
/// idempotency key and only the latest one acts, so however many taps reach however many
/// replicas, one draft pays for one job.
pub(crate) async fn confirm(
    turn: &Turn<'_>,
    message: MessageId,
) -> Result<Option<&'static str>, BotError> {
    let Some(draft) = current_draft(turn, message).await? else {
        return Ok(Some(turn.t.stale_button));
    };
    let store = &turn.app.store;
    let request = NewJob {
        user: turn.user.id,
        chat_id: turn.chat.0,
        kind: draft.kind,
        prompt: draft.prompt.as_str().to_owned(),
        input_file_id: draft.photo.clone(),
        duration: draft.duration,
        cost: turn.app.settings.prices.cost(draft.kind, draft.duration),
        idempotency_key: Some(format!("confirm:{}:{}", turn.chat.0, message.0)),
        max_attempts: turn.app.settings.max_attempts,
    };
    match store.create_job_and_charge(&request).await? {
        ChargeOutcome::Created(job) => {
            announce_queued(turn, &job, message).await;
            Ok(None)
        }
        // Charged before, but the announcement may not have happened (a crash, a failed
        // edit): finish it rather than leave the user without word.
        ChargeOutcome::Duplicate(job) if job.progress_message_id.is_none() => {
            announce_queued(turn, &job, message).await;
            Ok(None)
        }
        ChargeOutcome::Duplicate(_) => Ok(None),
        ChargeOutcome::InsufficientCredits { balance, cost } => {
            let text = fill(
                turn.t.not_enough_credits,
                &[("cost", &cost), ("balance", &balance)],
            );
            turn.say(text, Some(keyboards::not_enough_credits(turn.t)))
                .await?;
            Ok(None)
        }
    }
}

/// After the charge: leaves the flow and turns the confirmation into the progress message.
/// The money is taken, so nothing here may fail the update (a "try again" would invite a
/// second payment): each step is best effort, and a failed edit becomes a new message.
async fn announce_queued(turn: &Turn<'_>, job: &Job, confirmation: MessageId) {
    if let Err(error) = turn.set_state(State::Idle).await {
        tracing::warn!(%error, job = %job.id, "cannot close the flow after charging");
    }
    let store = &turn.app.store;
    let position = store.queue_position(job.id).await.unwrap_or(1);
    let text = fill(
        turn.t.queued,
        &[
            ("kind", &turn.t.kind(job.kind)),
            ("position", &position),
            ("minutes", &rough_wait_minutes(position)),
        ],
    );
    let progress = match turn.edit(confirmation, text.clone(), None).await {
        Ok(()) => Some(confirmation),
        Err(error) => {
            tracing::warn!(%error, job = %job.id, "cannot edit the confirmation; sending anew");
            turn.say(text, None).await.ok().flatten()
        }
    };
    // Recorded only after our edit: the worker edits the message once it finds the id, so
    // its newer status is never overwritten by this older one.
    if let Some(progress) = progress
        && let Err(error) = store
            .set_progress_message(job.id, i64::from(progress.0))
            .await
    {
        tracing::warn!(%error, job = %job.id, "cannot record the progress message");
    }
}

/// A generation takes about two minutes; workers run many at once, so the queue adds
/// roughly a minute per fifty jobs ahead.
fn rough_wait_minutes(position: i64) -> i64 {
    2 + (position - 1).max(0) / 50
}
