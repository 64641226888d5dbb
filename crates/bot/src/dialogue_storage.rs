//! teloxide's dialogue [`Storage`] on our own store, so every step of a flow survives a
//! restart and is shared by all bot replicas, without teloxide's storage features (which
//! would bring a second sqlx into the build).

use futures::future::BoxFuture;
use neurocards_store::{Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use teloxide::dispatching::dialogue::Storage;
use teloxide::prelude::ChatId;

/// Dialogue states kept in the `dialogues` table as JSON.
#[derive(Debug, Clone)]
pub struct StoreStorage {
    store: Store,
}

/// Why a dialogue could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DialogueStorageError {
    /// The database failed.
    #[error("dialogue storage")]
    Store(#[from] StoreError),
    /// A stored state no longer matches the state type (e.g. after an upgrade).
    #[error("stored dialogue state does not parse")]
    Format(#[from] serde_json::Error),
}

impl StoreStorage {
    /// Dialogue storage on `store`, ready to hand to teloxide.
    pub fn new(store: Store) -> Arc<StoreStorage> {
        Arc::new(StoreStorage { store })
    }
}

impl<D> Storage<D> for StoreStorage
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = DialogueStorageError;

    /// Removing a dialogue that is not there is not an error: two replicas may both end it.
    fn remove_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<(), Self::Error>>
    where
        D: Send + 'static,
    {
        Box::pin(async move {
            self.store.remove_dialogue(chat_id.0).await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: D,
    ) -> BoxFuture<'static, Result<(), Self::Error>>
    where
        D: Send + 'static,
    {
        Box::pin(async move {
            let state = serde_json::to_string(&dialogue)?;
            self.store.set_dialogue(chat_id.0, &state).await?;
            Ok(())
        })
    }

    fn get_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            match self.store.dialogue(chat_id.0).await? {
                Some(state) => Ok(Some(serde_json::from_str(&state)?)),
                None => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurocards_store::Dialect;
    use neurocards_store::scratch::ScratchDatabase;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum State {
        AwaitingPhoto,
        AwaitingText { photo: String },
    }

    async fn round_trip(dialect: Dialect) {
        let db = ScratchDatabase::new(dialect).await.expect("database");
        let store = Store::open(db.url()).await.expect("store");
        let storage = StoreStorage::new(store.clone());
        let chat = ChatId(42);
        let got: Option<State> = storage.clone().get_dialogue(chat).await.expect("get");
        assert_eq!(got, None);
        storage
            .clone()
            .update_dialogue(chat, State::AwaitingPhoto)
            .await
            .expect("update");
        storage
            .clone()
            .update_dialogue(chat, State::AwaitingText { photo: "f1".into() })
            .await
            .expect("update");
        // A new storage on a new connection (a restarted process) sees the same state.
        let reopened = StoreStorage::new(Store::open(db.url()).await.expect("store"));
        let got: Option<State> = reopened.clone().get_dialogue(chat).await.expect("get");
        assert_eq!(got, Some(State::AwaitingText { photo: "f1".into() }));
        Storage::<State>::remove_dialogue(reopened.clone(), chat)
            .await
            .expect("remove");
        Storage::<State>::remove_dialogue(reopened.clone(), chat)
            .await
            .expect("twice");
        let got: Option<State> = reopened.clone().get_dialogue(chat).await.expect("get");
        assert_eq!(got, None);

        store.set_dialogue(7, "\"NoSuchState\"").await.expect("raw");
        let broken: Result<Option<State>, _> = reopened.get_dialogue(ChatId(7)).await;
        assert!(matches!(broken, Err(DialogueStorageError::Format(_))));
    }

    #[tokio::test]
    async fn states_survive_a_restart_on_sqlite() {
        round_trip(Dialect::Sqlite).await;
    }

    #[tokio::test]
    async fn states_survive_a_restart_on_postgres() {
        round_trip(Dialect::Postgres).await;
    }
}
