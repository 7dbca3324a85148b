-- The evidence ledger (docs/formats/ledger.md). Rows are only ever inserted.

-- Entry `seq` (from 0) holds the exact canonical JSON text whose SHA-256 leaf hash is in the
-- Merkle tree; verification hashes these bytes as stored, never a re-encoding. `hashes` holds
-- the tree hashes this entry's append produced, 32 bytes each: its leaf hash, then the root of
-- every complete subtree it completed (one per trailing 1 bit of seq). Together the rows hold
-- every complete-subtree hash once, so a root or a proof costs O(log n) reads.
-- In SQLite, `INTEGER PRIMARY KEY` makes seq the rowid: entries live in one b-tree in
-- sequence order, with no separate index to maintain on append or to hop through on a scan.
CREATE TABLE ledger_entries (
    seq    INTEGER PRIMARY KEY,
    entry  TEXT NOT NULL,
    hashes BLOB NOT NULL
);

-- Signed checkpoints (C2SP tlog-checkpoint notes), one per tree size.
CREATE TABLE ledger_checkpoints (
    size       INTEGER PRIMARY KEY,
    note       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
