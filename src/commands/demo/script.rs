//! The scripted user: /start → a neurocard from a photo → a Reels clip from text → the
//! cabinet → a video re-sent by its file id. Each step waits for the bot's answer (no
//! fixed pauses) and names itself when it does not come.

use super::transcript::Transcript;
use anyhow::{Context, anyhow, bail};
use neurocards_testkit::telegram::{MediaSource, Sent};
use neurocards_testkit::{FakeKie, FakeTelegram, SimUser};
use std::time::{Duration, Instant};

/// The demo user's Telegram id.
const USER: i64 = 777_000_001;
/// An answer from the bot.
const ANSWER: Duration = Duration::from_secs(15);
/// A generated video: the fake generation, polling and the upload.
const VIDEO: Duration = Duration::from_secs(45);

struct Play<'a> {
    telegram: &'a FakeTelegram,
    user: SimUser,
    transcript: Transcript<'a>,
}

impl Play<'_> {
    /// Waits for the bot's next message matching `predicate`, printing what arrives.
    async fn expect(
        &mut self,
        step: &str,
        timeout: Duration,
        predicate: impl Fn(&Sent) -> bool,
    ) -> anyhow::Result<Sent> {
        let found = self.telegram.wait_for(USER, predicate, timeout).await;
        self.transcript.catch_up();
        found.map_err(|error| anyhow!("step '{step}' did not happen: {error}"))
    }

    fn says(&self, text: &str) {
        self.transcript.user(&format!("«{text}»"));
        self.user.send_text(text);
    }

    fn press(&self, message: &Sent, data: &str) -> anyhow::Result<()> {
        let label = message
            .buttons
            .iter()
            .flatten()
            .find(|b| b.callback_data.as_deref() == Some(data))
            .map(|b| b.text.clone())
            .unwrap_or_else(|| data.to_owned());
        self.transcript.user(&format!("presses [{label}]"));
        self.user
            .press(message.message_id, data)
            .with_context(|| format!("pressing {data}"))?;
        Ok(())
    }
}

fn has_button(data: &'static str) -> impl Fn(&Sent) -> bool {
    move |m| m.callback_data().contains(&data)
}

fn is_video(m: &Sent) -> bool {
    m.method == "sendVideo"
}

/// The worker's last edit of the progress message, made once the job is recorded done.
fn is_done(m: &Sent) -> bool {
    m.is_edit() && m.text().contains("Done")
}

/// Plays the script; returns a summary line.
pub async fn play(
    telegram: &FakeTelegram,
    kie: &FakeKie,
    started: Instant,
) -> anyhow::Result<String> {
    let mut play = Play {
        telegram,
        user: telegram
            .user(USER)
            .first_name("Ann")
            .username("ann_demo")
            .language_code(Some("en")),
        transcript: Transcript::new(telegram, USER, started),
    };

    play.says("/start");
    let menu = play
        .expect("welcome and menu", ANSWER, has_button("generate_neurocard"))
        .await?;
    if !telegram.transcript(USER).contains("2 free credits") {
        bail!("step 'welcome' did not offer the 2 free credits");
    }

    play.press(&menu, "generate_neurocard")?;
    play.expect("photo question", ANSWER, |m| m.text().contains("photo"))
        .await?;
    play.transcript.user("sends a photo (640×480 JPEG)");
    play.user.send_photo(None);
    play.expect("topic question", ANSWER, |m| m.text().contains("topic"))
        .await?;
    play.says("How a volcano erupts, for a school geography lesson");
    let confirmation = play
        .expect("neurocard confirmation", ANSWER, has_button("confirm"))
        .await?;
    play.press(&confirmation, "confirm")?;
    play.expect("neurocard queued", ANSWER, |m| m.text().contains("queue"))
        .await?;
    let neurocard = play.expect("neurocard video", VIDEO, is_video).await?;
    play.expect("neurocard marked done", ANSWER, is_done)
        .await?;

    play.press(&neurocard, "back_to_menu")?;
    let menu = play
        .expect("menu again", ANSWER, has_button("generate_reels"))
        .await?;
    play.press(&menu, "generate_reels")?;
    play.expect("idea question", ANSWER, |m| m.text().contains("idea"))
        .await?;
    play.says("A red fox running through snowy woods at dawn");
    let first_frame = play
        .expect("first-frame question", ANSWER, has_button("skip_photo"))
        .await?;
    play.press(&first_frame, "skip_photo")?;
    let confirmation = play
        .expect("Reels confirmation", ANSWER, has_button("confirm"))
        .await?;
    play.press(&confirmation, "confirm")?;
    play.expect("Reels queued", ANSWER, |m| m.text().contains("queue"))
        .await?;
    play.expect("Reels video", VIDEO, is_video).await?;
    play.expect("Reels marked done", ANSWER, is_done).await?;

    play.says("/cabinet");
    let cabinet = play
        .expect("cabinet", ANSWER, |m| m.text().contains("Cabinet"))
        .await?;
    if !cabinet.text().contains("Balance: 0") {
        bail!("step 'cabinet' shows a wrong balance: {}", cabinet.text());
    }
    let resend = cabinet
        .callback_data()
        .into_iter()
        .find(|data| data.starts_with("resend:"))
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("step 'cabinet' offers no video to re-send"))?;
    play.press(&cabinet, &resend)?;
    let again = play.expect("re-sent video", ANSWER, is_video).await?;
    match again.media.as_ref().map(|m| &m.source) {
        Some(MediaSource::FileId(_)) => {}
        other => {
            bail!("step 're-sent video' uploaded again instead of using the file id: {other:?}")
        }
    }
    let videos = telegram.sent(USER).iter().filter(|m| is_video(m)).count();
    Ok(format!(
        "{videos} videos delivered (2 generated by {} KIE tasks, 1 re-sent by file_id); the user spent their 2 free credits.",
        kie.tasks_created()
    ))
}
