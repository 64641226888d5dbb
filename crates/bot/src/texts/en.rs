//! English.

use super::Texts;

pub static TEXTS: Texts = Texts {
    welcome_new: "👋 Hi, {name}! I'm NeuroCards: I turn a photo and a few words into a short video.\n\n\
🎓 Neurocard — an educational video card animated from your photo.\n\
🎬 Reels — a vertical 9:16 clip from your idea.\n\n\
🎁 You have {credits} free credits to start. One 5-second video costs 1 credit.",
    welcome_back: "👋 Welcome back, {name}!",
    menu: "What shall we make?\n💳 Balance: {balance} credits",
    help: "ℹ️ How it works\n\n\
1. Choose 🎓 Neurocard or 🎬 Reels.\n\
2. Send a photo (JPEG, PNG or WebP, at least 300×300 px, up to 20 MB) and/or describe what should happen.\n\
3. Confirm: the credits are charged and the video arrives here in a few minutes.\n\n\
Prices: 5 s — {short} credit(s), 10 s — {long} credit(s). If a generation fails, the credits come back automatically.\n\n\
Commands: /menu — main menu, /cabinet — balance and history, /cancel — leave the current step.\n\
Support: {support}",
    support_default: "reply to this chat and the operator will see it",
    buy: "💳 Balance: {balance} credits.\n\n\
Prices: 5 s — {short} credit(s), 10 s — {long} credit(s).\n\
To top up your balance, contact support: {support}.\n\
Invite friends with your link from the 👤 Cabinet.",

    button_neurocard: "🎓 Neurocard",
    button_reels: "🎬 Reels",
    button_cabinet: "👤 Cabinet",
    button_buy: "💳 Credits",
    button_help: "ℹ️ Help",
    button_menu: "🏠 Menu",
    button_cancel: "✖️ Cancel",
    button_skip_photo: "⏭ No photo",
    button_confirm: "✅ Generate for {cost} credit(s)",
    button_duration: "{seconds} s — {cost} credit(s)",
    button_resend: "▶️ #{number} {kind}",
    button_older: "⬅️ Older",
    button_newer: "Newer ➡️",
    button_again_neurocard: "🔁 Another neurocard",
    button_again_reels: "🔁 Another Reels",
    button_language: "🇷🇺 Русский",

    ask_photo: "📷 Send a photo for the neurocard (JPEG, PNG or WebP, at least 300×300 px, up to 20 MB). You can also send the image as a file.",
    ask_neurocard_text: "✍️ Now describe the topic: what should the video explain or show? (up to 1000 characters)",
    ask_reels_idea: "✍️ Describe the idea of your Reels clip: who or what, what happens, the mood. (up to 1000 characters)",
    ask_reels_photo: "📷 Send a photo to use as the first frame, or press «No photo» to make the clip from text alone.",

    photo_wrong_type: "⚠️ This file is not a picture I can use. Please send a JPEG, PNG or WebP image.",
    photo_animated: "⚠️ Animated images (GIF, animated PNG or WebP) cannot be used. Please send a still photo.",
    photo_too_big: "⚠️ The image is larger than 20 MB. Please send a smaller one.",
    photo_too_small: "⚠️ The image is {width}×{height} px; it must be at least 300 px on each side. Please send a larger one.",
    photo_unreadable: "⚠️ I could not read this image. Please send another one.",
    expected_photo: "📷 I'm waiting for a photo here. Send a picture, or /cancel to leave.",
    expected_text: "✍️ I'm waiting for a text description here. Type it, or /cancel to leave.",
    text_empty: "⚠️ The description is empty. Please write a few words.",
    text_too_long: "⚠️ The description has {count} characters; the limit is 1000. Please shorten it.",

    confirm: "🧾 Check your order\n\n\
Type: {kind} ({photo})\n\
Description: {prompt}\n\
Length: {seconds} s\n\
Cost: {cost} credit(s)\n\
Balance: {balance} credit(s)\n\n\
Choose the length and press «Generate».",
    with_photo: "with a photo",
    without_photo: "from text",
    not_enough_credits: "😔 Not enough credits: this video costs {cost}, your balance is {balance}. Top up and try again — nothing was charged.",
    queued: "⏳ Your {kind} is in the queue (position {position}). It usually takes about {minutes} min; I'll send the video here.",

    cabinet: "👤 Cabinet — {name}\n\n\
💳 Balance: {balance} credits\n\
🎞 Videos: {done} made, {active} in progress, {failed} failed (refunded)\n\
👥 Friends invited: {referrals}\n\
🔗 Your invite link: {link}\n\n\
Recent generations:\n{history}",
    history_line: "#{number} {kind} — {state}, {date}: {prompt}",
    history_empty: "none yet — make your first video from the menu!",
    resend_missing: "This video is not available any more.",
    language_switched: "✅ Language: English.",

    cancelled: "✖️ Cancelled: {what}. Nothing was charged.",
    nothing_to_cancel: "There is nothing to cancel.",
    flow_neurocard: "the neurocard",
    flow_reels: "the Reels clip",
    unknown_command: "🤔 I don't know this command. Here is the menu:",
    outside_flow: "🤔 To make a video, choose what to create:",
    photo_outside_flow: "📷 Nice photo! To turn it into a video, choose 🎓 Neurocard or 🎬 Reels first:",
    stale_button: "This button is out of date.",
    flood: "🐢 Too many messages at once. Please wait a minute, then continue.",
    credits_granted: "🎁 You received {credits} credits. Your balance: {balance}.",
    credits_corrected: "ℹ️ Your balance was corrected ({credits}); it is now {balance} credits.",
    internal_error: "😔 Something went wrong on our side. Please try again in a minute.",

    kind_neurocard: "neurocard",
    kind_reels: "Reels",
    state_queued: "in the queue",
    state_running: "in progress",
    state_done: "ready",
    state_failed: "failed, refunded",

    commands: &[
        ("start", "Start and main menu"),
        ("menu", "Main menu"),
        ("cabinet", "Balance, history, invite link"),
        ("cancel", "Leave the current step"),
        ("help", "How it works and prices"),
    ],
};
