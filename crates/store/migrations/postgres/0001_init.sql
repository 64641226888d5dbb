-- Users, the append-only credit ledger, generation jobs (which are the queue),
-- dialogue state and small settings. Times are milliseconds since the Unix epoch.

CREATE TABLE users (
    id             BIGINT PRIMARY KEY,
    username       TEXT,
    full_name      TEXT NOT NULL DEFAULT '',
    language       TEXT,
    referral_code  TEXT NOT NULL UNIQUE,
    referrer_id    BIGINT REFERENCES users (id),
    balance        BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    blocked_at     BIGINT,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL
);
CREATE INDEX users_username ON users (lower(username));
CREATE INDEX users_created_at ON users (created_at);
CREATE INDEX users_referrer ON users (referrer_id);

CREATE TABLE credit_ledger (
    id               BIGSERIAL PRIMARY KEY,
    user_id          BIGINT NOT NULL REFERENCES users (id),
    delta            BIGINT NOT NULL CHECK (delta <> 0),
    reason           TEXT NOT NULL,
    job_id           BIGINT,
    payment_id       TEXT,
    idempotency_key  TEXT UNIQUE,
    created_at       BIGINT NOT NULL
);
CREATE INDEX credit_ledger_user ON credit_ledger (user_id, id);
CREATE INDEX credit_ledger_created_at ON credit_ledger (created_at);

CREATE FUNCTION credit_ledger_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'credit_ledger is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_is_append_only();

CREATE TABLE jobs (
    id                   BIGSERIAL PRIMARY KEY,
    user_id              BIGINT NOT NULL REFERENCES users (id),
    chat_id              BIGINT NOT NULL,
    kind                 TEXT NOT NULL,
    state                TEXT NOT NULL,
    stage                TEXT,
    cost                 BIGINT NOT NULL,
    user_prompt          TEXT NOT NULL,
    enhanced_prompt      TEXT,
    input_file_id        TEXT,
    input_file_ref       TEXT,
    duration_s           BIGINT NOT NULL,
    aspect_ratio         TEXT NOT NULL,
    provider             TEXT,
    provider_task_id     TEXT,
    callback_token       TEXT NOT NULL UNIQUE,
    attempts             BIGINT NOT NULL DEFAULT 0,
    max_attempts         BIGINT NOT NULL,
    lease_owner          TEXT,
    lease_expires_at     BIGINT,
    error_class          TEXT,
    error_message        TEXT,
    result_url           TEXT,
    video_file_id        TEXT,
    progress_message_id  BIGINT,
    idempotency_key      TEXT UNIQUE,
    created_at           BIGINT NOT NULL,
    started_at           BIGINT,
    submitted_at         BIGINT,
    finished_at          BIGINT,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX jobs_open ON jobs (id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_user ON jobs (user_id, id);
CREATE INDEX jobs_created_at ON jobs (created_at);
CREATE INDEX jobs_finished_at ON jobs (finished_at);

CREATE TABLE dialogues (
    chat_id     BIGINT PRIMARY KEY,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
