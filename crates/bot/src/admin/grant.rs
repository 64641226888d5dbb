//! `/grant <user id|@username> <credits> [reason]` and `/user <user id|@username>`.

use crate::app::BotError;
use crate::texts::{fill, texts};
use crate::turn::Turn;
use neurocards_admin::{find_user, user_report};
use teloxide::types::MessageId;

const GRANT_USAGE: &str = "Usage: /grant <user id or @username> <credits> [reason]\n\
Credits may be negative (the balance stops at zero). Example: /grant @anna 5 contest prize";
const USER_USAGE: &str = "Usage: /user <user id or @username>";

/// The most credits one grant moves (a typo guard, and far from the ledger's limits).
const MAX_GRANT: i64 = 1_000_000;

/// Adds (or removes) credits through the ledger and tells the user. The command message is
/// the idempotency key: an update delivered twice grants once.
pub(super) async fn grant(turn: &Turn<'_>, command: MessageId, args: &str) -> Result<(), BotError> {
    let mut words = args.split_whitespace();
    let (Some(who), Some(credits)) = (words.next(), words.next()) else {
        turn.say(GRANT_USAGE, None).await?;
        return Ok(());
    };
    let Some(credits) = credits
        .parse::<i64>()
        .ok()
        .filter(|c| *c != 0 && c.abs() <= MAX_GRANT)
    else {
        turn.say(GRANT_USAGE, None).await?;
        return Ok(());
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    let reason = if reason.is_empty() { "grant" } else { &reason };
    let store = &turn.app.store;
    let Some(user) = find_user(store, who).await? else {
        turn.say(format!("No user {who}."), None).await?;
        return Ok(());
    };
    let key = format!("grant:{}:{}", turn.chat.0, command.0);
    let outcome = store.grant(user.id, credits, reason, Some(&key)).await?;
    turn.say(
        format!(
            "✅ User {}: {:+} credits ({reason}); balance now {}.",
            user.id, outcome.applied, outcome.balance
        ),
        None,
    )
    .await?;
    if outcome.applied != 0 {
        let t = texts(user.language.unwrap_or(turn.app.settings.default_language));
        let template = if outcome.applied > 0 {
            t.credits_granted
        } else {
            t.credits_corrected
        };
        let text = fill(
            template,
            &[("credits", &outcome.applied), ("balance", &outcome.balance)],
        );
        let told = turn
            .app
            .tg
            .send_message(teloxide::types::ChatId(user.id.0), text, None)
            .await;
        if let Err(error) = told {
            tracing::info!(user = %user.id, %error, "the user was not told about a grant");
        }
    }
    Ok(())
}

/// Balance, ledger, referrals and last jobs of a user.
pub(super) async fn show_user(turn: &Turn<'_>, args: &str) -> Result<(), BotError> {
    let who = args.trim();
    if who.is_empty() || who.contains(char::is_whitespace) {
        turn.say(USER_USAGE, None).await?;
        return Ok(());
    }
    let text = match find_user(&turn.app.store, who).await? {
        Some(user) => user_report(&turn.app.store, &user).await?,
        None => format!("No user {who}."),
    };
    turn.say(text, None).await?;
    Ok(())
}
