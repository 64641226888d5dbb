//! Small durable key-value state: each chat's dialogue (serialised by the bot) and settings
//! such as the cached welcome-video file id.

use crate::{Store, StoreError};

impl Store {
    /// The stored dialogue state of a chat.
    pub async fn dialogue(&self, chat_id: i64) -> Result<Option<String>, StoreError> {
        let state = sqlx::query_scalar("SELECT state FROM dialogues WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(state)
    }

    /// Stores a chat's dialogue state, replacing the previous one.
    pub async fn set_dialogue(&self, chat_id: i64, state: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, \
             updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(state)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a chat's dialogue state.
    pub async fn remove_dialogue(&self, chat_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = $1")
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A stored setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(value)
    }

    /// Stores a setting, replacing the previous value.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
