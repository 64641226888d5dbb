-- Each worker process reports itself here every few seconds; the admin dashboard counts
-- the ones seen in the last minute and their jobs in flight.
CREATE TABLE worker_heartbeats (
    worker      TEXT PRIMARY KEY,
    in_flight   BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL
);
