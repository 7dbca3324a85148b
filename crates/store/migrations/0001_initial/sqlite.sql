-- Installation facts that live with the data (not in phiguard.toml), e.g. when it began.
CREATE TABLE installation (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One run of a set of checks against one host or file-system root.
CREATE TABLE check_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    host        TEXT,
    root        TEXT NOT NULL
);

-- What each check found in a run. `evidence` is a JSON array of ledger references
-- ({"seq": n, "leaf_hash": hex}); the evidence itself lives in the ledger.
CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    run_id      BIGINT NOT NULL REFERENCES check_runs (id),
    check_id    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'not_applicable', 'error')),
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    subject     TEXT NOT NULL,
    message     TEXT NOT NULL,
    remediation TEXT,
    evidence    TEXT NOT NULL
);
CREATE INDEX findings_by_run ON findings (run_id);
CREATE INDEX findings_by_check ON findings (check_id);
