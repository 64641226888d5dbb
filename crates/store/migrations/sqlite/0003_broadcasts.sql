-- Admin broadcasts. Each recipient is a row, marked 'sending' before the message goes out
-- and 'sent'/'blocked'/'failed' after, so a restart never sends anyone a message twice.
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id      BIGINT NOT NULL,
    chat_id       BIGINT NOT NULL,
    message_id    BIGINT NOT NULL,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    -- 1 while the broadcast runs, NULL after: the unique constraint allows one at a time.
    open_slot     BIGINT UNIQUE
);

CREATE TABLE broadcast_deliveries (
    broadcast_id  BIGINT NOT NULL REFERENCES broadcasts (id),
    user_id       BIGINT NOT NULL,
    state         TEXT NOT NULL,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX broadcast_deliveries_pending ON broadcast_deliveries (broadcast_id, state, user_id);
