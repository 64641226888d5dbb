//! The cabinet: balance, totals, the history ten at a time with a button per finished video
//! (re-sent instantly by its Telegram file id), the invite link and the language switch.

use crate::actions::Action;
use crate::app::BotError;
use crate::keyboards;
use crate::texts::{Texts, fill, texts};
use crate::turn::Turn;
use neurocards_core::clock::month_day;
use neurocards_core::{JobState, Language};
use neurocards_store::{Job, JobId};
use teloxide::types::{FileId, InlineKeyboardMarkup, InputFile, MessageId};

/// Generations per history page.
const PAGE_SIZE: i64 = 10;
/// How much of a prompt a history line shows.
const PROMPT_PREVIEW_CHARS: usize = 40;
const DAY_MS: i64 = 86_400_000;

/// The cabinet as a new message.
pub(crate) async fn open(turn: &Turn<'_>) -> Result<(), BotError> {
    let (text, markup) = render(turn, turn.language(), 0).await?;
    turn.say(text, Some(markup)).await?;
    Ok(())
}

/// Another history page, in place.
pub(crate) async fn page(turn: &Turn<'_>, message: MessageId, page: u32) -> Result<(), BotError> {
    let (text, markup) = render(turn, turn.language(), page).await?;
    turn.edit(message, text, Some(markup)).await
}

/// Switches the user's language and redraws the cabinet in it.
pub(crate) async fn switch_language(
    turn: &Turn<'_>,
    message: MessageId,
    language: Language,
) -> Result<Option<&'static str>, BotError> {
    turn.app.store.set_language(turn.user.id, language).await?;
    let t = texts(language);
    let (text, markup) = render(turn, language, 0).await?;
    turn.edit(message, text, Some(markup)).await?;
    Ok(Some(t.language_switched))
}

/// Sends a finished video again by its file id: no upload, no new generation.
pub(crate) async fn resend(turn: &Turn<'_>, id: JobId) -> Result<Option<&'static str>, BotError> {
    let job = turn.app.store.job(id).await?;
    let Some((job, file_id)) = job
        .filter(|job| job.user == turn.user.id)
        .and_then(|job| job.video_file_id.clone().map(|file_id| (job, file_id)))
    else {
        return Ok(Some(turn.t.resend_missing));
    };
    let caption = format!(
        "{} #{}: {}",
        turn.t.kind(job.kind),
        job.id,
        preview(&job.user_prompt)
    );
    let markup = keyboards::after_video(turn.t, job.kind);
    let sent = turn
        .app
        .tg
        .send_video(
            turn.chat,
            InputFile::file_id(FileId(file_id)),
            caption,
            Some(markup),
        )
        .await;
    if let Err(error) = sent {
        turn.blocked_or(error).await?;
    }
    Ok(None)
}

async fn render(
    turn: &Turn<'_>,
    language: Language,
    page: u32,
) -> Result<(String, InlineKeyboardMarkup), BotError> {
    let t = texts(language);
    let store = &turn.app.store;
    let user = &turn.user;
    let counts = store.user_job_counts(user.id).await?;
    let referrals = store.referral_count(user.id).await?;
    let mut jobs = store
        .history(user.id, i64::from(page) * PAGE_SIZE, PAGE_SIZE + 1)
        .await?;
    let has_older = jobs.len() as i64 > PAGE_SIZE;
    jobs.truncate(PAGE_SIZE as usize);
    let history = if jobs.is_empty() {
        t.history_empty.to_owned()
    } else {
        jobs.iter()
            .map(|job| history_line(t, job))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let link = format!(
        "https://t.me/{}?start=ref_{}",
        turn.app.username, user.referral_code
    );
    let text = fill(
        t.cabinet,
        &[
            ("name", &user.full_name),
            ("balance", &user.balance),
            ("done", &counts.done),
            ("active", &(counts.queued + counts.running)),
            ("failed", &counts.failed),
            ("referrals", &referrals),
            ("link", &link),
            ("history", &history),
        ],
    );

    let mut rows: Vec<Vec<(String, Action)>> = jobs
        .iter()
        .filter(|job| job.state == JobState::Done && job.video_file_id.is_some())
        .map(|job| {
            let label = fill(
                t.button_resend,
                &[("number", &job.id), ("kind", &t.kind(job.kind))],
            );
            (label, Action::Resend(job.id))
        })
        .collect::<Vec<_>>()
        .chunks(2)
        .map(<[_]>::to_vec)
        .collect();
    let mut paging = Vec::new();
    if has_older {
        paging.push((t.button_older.to_owned(), Action::Cabinet(Some(page + 1))));
    }
    if page > 0 {
        paging.push((t.button_newer.to_owned(), Action::Cabinet(Some(page - 1))));
    }
    if !paging.is_empty() {
        rows.push(paging);
    }
    let other = match language {
        Language::Ru => Language::En,
        Language::En => Language::Ru,
    };
    rows.push(vec![(
        t.button_language.to_owned(),
        Action::Language(other),
    )]);
    rows.push(vec![(t.button_menu.to_owned(), Action::Menu)]);
    Ok((text, keyboards::rows(rows)))
}

fn history_line(t: &Texts, job: &Job) -> String {
    fill(
        t.history_line,
        &[
            ("number", &job.id),
            ("kind", &t.kind(job.kind)),
            ("state", &t.state(job.state)),
            ("date", &month_day(job.created_at.div_euclid(DAY_MS))),
            ("prompt", &preview(&job.user_prompt)),
        ],
    )
}

fn preview(prompt: &str) -> String {
    let mut chars = prompt.chars();
    let head: String = chars.by_ref().take(PROMPT_PREVIEW_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}
