-- File integrity baselines. Each `fim init` or `fim update` adds one; the newest is what
-- `fim check` compares against, and the older ones stay as history.
CREATE TABLE fim_baselines (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    rules       TEXT NOT NULL,
    entries     BIGINT NOT NULL,
    root_hash   TEXT NOT NULL
);

-- One row per monitored path of a baseline. `path` is the raw bytes of the name (names need
-- not be UTF-8); `record` is the JSON of everything recorded about it.
CREATE TABLE fim_entries (
    baseline_id BIGINT NOT NULL REFERENCES fim_baselines (id),
    path        BLOB NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (baseline_id, path)
);
