//! Users: recorded on every contact; free credits on the first one, exactly once.

use crate::ledger::{self, Credit};
use crate::model::{UserRow, user_columns};
use crate::{Contact, NewUser, Store, StoreError, User};
use neurocards_core::{Language, UserId};
use rand::Rng;

/// Length of a user's referral code; 36^10 codes leave collisions to chance alone.
const REFERRAL_CODE_LEN: usize = 10;

fn new_referral_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..REFERRAL_CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

impl Store {
    /// Records a contact: creates the user on first sight (with `free_credits` and the
    /// referrer from the payload, never oneself), otherwise refreshes name and last-seen.
    /// Two first contacts arriving together create one user and one grant.
    pub async fn upsert_user(
        &self,
        contact: &NewUser,
        free_credits: i64,
    ) -> Result<Contact, StoreError> {
        let now = self.now();
        let id = contact.id.0;
        // Nearly every contact is from someone we know: one statement, no transaction.
        let known: Option<UserRow> = sqlx::query_as(concat!(
            "UPDATE users SET username = $2, full_name = $3, last_seen_at = $4, \
             language = COALESCE(language, $5), blocked_at = NULL WHERE id = $1 RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(contact.username.as_deref())
        .bind(&contact.full_name)
        .bind(now)
        .bind(contact.language.map(Language::as_str))
        .fetch_optional(&self.pool)
        .await?;
        if let Some(user) = known {
            return Ok(Contact {
                user: user.into(),
                is_new: false,
                free_credits_granted: 0,
            });
        }
        let mut tx = self.begin_write().await?;
        let referrer: Option<i64> = match &contact.referral_code {
            Some(code) => {
                sqlx::query_scalar("SELECT id FROM users WHERE referral_code = $1 AND id <> $2")
                    .bind(code)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        let created: Option<i64> = sqlx::query_scalar(
            "INSERT INTO users (id, username, full_name, language, referral_code, referrer_id, \
             balance, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) \
             ON CONFLICT (id) DO NOTHING RETURNING id",
        )
        .bind(id)
        .bind(contact.username.as_deref())
        .bind(&contact.full_name)
        .bind(contact.language.map(Language::as_str))
        .bind(new_referral_code())
        .bind(referrer)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let is_new = created.is_some();
        let mut free_credits_granted = 0;
        if is_new {
            if free_credits > 0 {
                let key = format!("welcome:{id}");
                let credit = Credit {
                    user: id,
                    delta: free_credits,
                    reason: "welcome",
                    job_id: None,
                    payment_id: None,
                    idempotency_key: Some(&key),
                };
                if ledger::apply(&mut tx, now, credit).await?.is_some() {
                    free_credits_granted = free_credits;
                }
            }
        } else {
            sqlx::query(
                "UPDATE users SET username = $2, full_name = $3, last_seen_at = $4, \
                 language = COALESCE(language, $5), blocked_at = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(contact.username.as_deref())
            .bind(&contact.full_name)
            .bind(now)
            .bind(contact.language.map(Language::as_str))
            .execute(&mut *tx)
            .await?;
        }
        let user: UserRow = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Contact {
            user: user.into(),
            is_new,
            free_credits_granted,
        })
    }

    /// A user by Telegram id.
    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(User::from))
    }

    /// A user by `@username` (with or without the `@`, any case).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let name = username.trim_start_matches('@').to_lowercase();
        let row: Option<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE lower(username) = $1 ORDER BY last_seen_at DESC LIMIT 1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(User::from))
    }

    /// Sets the language the user chose.
    pub async fn set_language(&self, id: UserId, language: Language) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
            .bind(id.0)
            .bind(language.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownUser(id.0));
        }
        Ok(())
    }

    /// Notes that the user blocked the bot (cleared by their next contact).
    pub async fn mark_blocked(&self, id: UserId) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET blocked_at = $2 WHERE id = $1 AND blocked_at IS NULL")
            .bind(id.0)
            .bind(self.now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many users this user invited.
    pub async fn referral_count(&self, id: UserId) -> Result<i64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE referrer_id = $1")
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }
}
