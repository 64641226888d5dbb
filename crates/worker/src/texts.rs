//! Every text the worker sends or feeds to the LLM, per language, in one place.

use neurocards_core::{JobKind, Language};

/// Why a job ended without a video, as the user hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// The provider refused the content or could not make this video: rephrase.
    Rephrase,
    /// The request could not be made (missing photo, rejected input).
    BadInput,
    /// It took longer than we allow.
    Timeout,
    /// Something on our side or the provider's broke.
    Internal,
}

/// The status line of the progress message while the video is being made.
pub fn generating(lang: Language, kind: JobKind) -> &'static str {
    match (lang, kind) {
        (Language::Ru, JobKind::Neurocard) => {
            "🎬 Создаю нейрокарточку… Обычно это занимает 1–3 минуты."
        }
        (Language::Ru, JobKind::Reels) => "🎬 Создаю Reels… Обычно это занимает 1–3 минуты.",
        (Language::En, JobKind::Neurocard) => {
            "🎬 Making your neurocard… This usually takes 1–3 minutes."
        }
        (Language::En, JobKind::Reels) => {
            "🎬 Making your Reels clip… This usually takes 1–3 minutes."
        }
    }
}

/// The status line while the video is being sent.
pub fn sending(lang: Language) -> &'static str {
    match lang {
        Language::Ru => "📤 Видео готово, отправляю…",
        Language::En => "📤 The video is ready, sending…",
    }
}

/// The status line once the video is delivered.
pub fn delivered(lang: Language) -> &'static str {
    match lang {
        Language::Ru => "✅ Готово!",
        Language::En => "✅ Done!",
    }
}

/// The caption under a delivered video.
pub fn caption(lang: Language, kind: JobKind) -> &'static str {
    match (lang, kind) {
        (Language::Ru, JobKind::Neurocard) => "Ваша нейрокарточка готова ✨",
        (Language::Ru, JobKind::Reels) => "Ваш Reels готов ✨",
        (Language::En, JobKind::Neurocard) => "Your neurocard is ready ✨",
        (Language::En, JobKind::Reels) => "Your Reels clip is ready ✨",
    }
}

/// Sent instead of the video when it is too big for a bot to upload.
pub fn too_big_for_telegram(lang: Language, url: &str) -> String {
    match lang {
        Language::Ru => format!(
            "Видео готово, но оно больше 50 МБ — Telegram не даёт ботам отправлять такие файлы. \
             Скачайте его по ссылке (она действует ограниченное время):\n{url}"
        ),
        Language::En => format!(
            "Your video is ready, but it is larger than 50 MB, which Telegram does not let bots \
             send. Download it here (the link expires after a while):\n{url}"
        ),
    }
}

/// Why a job failed, and that the credits are back.
pub fn failure(lang: Language, reason: FailureReason) -> &'static str {
    match (lang, reason) {
        (Language::Ru, FailureReason::Rephrase) => {
            "😔 Не удалось создать видео: сервис генерации отклонил запрос. Попробуйте переформулировать описание или выбрать другое фото. Кредиты возвращены на баланс."
        }
        (Language::Ru, FailureReason::BadInput) => {
            "😔 Не удалось создать видео: сервис не принял фото или описание. Попробуйте другое фото или текст. Кредиты возвращены на баланс."
        }
        (Language::Ru, FailureReason::Timeout) => {
            "😔 Генерация заняла слишком много времени и была остановлена. Кредиты возвращены на баланс — попробуйте ещё раз чуть позже."
        }
        (Language::Ru, FailureReason::Internal) => {
            "😔 Не удалось создать видео из-за технической ошибки. Кредиты возвращены на баланс — попробуйте ещё раз чуть позже."
        }
        (Language::En, FailureReason::Rephrase) => {
            "😔 The video could not be made: the generation service refused the request. Try rephrasing the description or using another photo. Your credits are back on your balance."
        }
        (Language::En, FailureReason::BadInput) => {
            "😔 The video could not be made: the service did not accept the photo or the description. Try another photo or text. Your credits are back on your balance."
        }
        (Language::En, FailureReason::Timeout) => {
            "😔 The generation took too long and was stopped. Your credits are back on your balance — please try again a bit later."
        }
        (Language::En, FailureReason::Internal) => {
            "😔 The video could not be made because of a technical error. Your credits are back on your balance — please try again a bit later."
        }
    }
}

/// The label of the "again" button under a video.
pub fn again_button(lang: Language, kind: JobKind) -> &'static str {
    match (lang, kind) {
        (Language::Ru, JobKind::Neurocard) => "🔁 Ещё нейрокарточку",
        (Language::Ru, JobKind::Reels) => "🔁 Ещё Reels",
        (Language::En, JobKind::Neurocard) => "🔁 Another neurocard",
        (Language::En, JobKind::Reels) => "🔁 Another Reels",
    }
}

/// The label of the "menu" button.
pub fn menu_button(lang: Language) -> &'static str {
    match lang {
        Language::Ru => "🏠 В меню",
        Language::En => "🏠 Menu",
    }
}

/// The LLM's instructions for turning a user's idea into a video prompt (English works
/// best with the video models, whatever the user's language).
pub fn system_prompt(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Neurocard => {
            "You write prompts for an image-to-video model (Kling). The user \
            gives a photo and a short topic for an educational video card. Write ONE English \
            prompt of at most 60 words that animates the photo to explain the topic: what \
            moves, how the camera moves, the lighting and mood. Keep the subject of the photo \
            recognisable. No lists, no quotes, no text overlays, no preamble — only the prompt."
        }
        JobKind::Reels => {
            "You write prompts for a text-to-video model (Kling) that makes \
            vertical 9:16 short clips for Reels and Shorts. Turn the user's idea into ONE \
            English prompt of at most 60 words: the subject, the action, the camera movement, \
            the style, the lighting. Make it dynamic and eye-catching from the first second. \
            No lists, no quotes, no preamble — only the prompt."
        }
    }
}

/// The prompt built without the LLM.
pub fn template(kind: JobKind, user_text: &str) -> String {
    let idea = user_text.trim();
    match kind {
        JobKind::Neurocard => format!(
            "{idea}. Animate the photo as a short educational video card: smooth natural \
             motion, gentle camera push-in, soft cinematic lighting, the subject stays \
             recognisable, high detail."
        ),
        JobKind::Reels => format!(
            "{idea}. Vertical 9:16 short clip, dynamic camera movement, vivid colours, \
             cinematic lighting, high detail, eye-catching from the first second."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_says_the_credits_are_back() {
        for reason in [
            FailureReason::Rephrase,
            FailureReason::BadInput,
            FailureReason::Timeout,
            FailureReason::Internal,
        ] {
            assert!(failure(Language::Ru, reason).contains("Кредиты возвращены"));
            assert!(failure(Language::En, reason).contains("credits are back"));
        }
    }

    #[test]
    fn templates_keep_the_idea() {
        assert!(template(JobKind::Reels, " cats in space ").starts_with("cats in space."));
        assert!(template(JobKind::Neurocard, "photosynthesis").contains("photosynthesis"));
    }
}
