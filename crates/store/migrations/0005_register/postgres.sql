-- The compliance register: the records people keep (vendors and BAAs, the responsibility
-- matrix, people and training, access grants and reviews, SLAs and restore tests). One row per
-- record, its current state as canonical JSON whose shape the register crate defines for each
-- kind: the records are few, are read whole, and change shape with the regulation more often
-- than a column-per-field schema could follow on two databases.
--
-- Every change is made in the same transaction as the ledger entry that records it;
-- `ledger_seq` and `leaf_hash` name that entry, so a finding about a record can cite the
-- evidence for its state, and an edit made behind phiguard's back shows as a record that
-- differs from its last ledger entry.
CREATE TABLE register_records (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    ledger_seq BIGINT NOT NULL,
    leaf_hash  BYTEA NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Every change to the register (deletions included) by its ledger entry, so the history of one
-- record is read without scanning the whole ledger.
CREATE TABLE register_changes (
    seq  BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL
);
CREATE INDEX register_changes_by_record ON register_changes (kind, id, seq);
