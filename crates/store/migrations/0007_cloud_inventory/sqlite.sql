-- The latest inventory of each cloud account: one row per account (the newest check replaces
-- the one before), and every resource seen in it. `ledger_seq` is the cloud.check ledger
-- entry that recorded the check, whose body holds the inventory's digest: a stored inventory
-- is trusted only when its resources hash to that digest and no newer check of the account
-- is in the ledger. When it was taken is the time of that entry.
CREATE TABLE cloud_inventories (
    id         INTEGER PRIMARY KEY,
    provider   TEXT NOT NULL,
    account    TEXT NOT NULL,
    ledger_seq BIGINT NOT NULL,
    digest     TEXT NOT NULL,
    UNIQUE (provider, account)
);

-- One resource of an inventory, in the order the digest was computed over. `tags` is a JSON
-- object; `encryption` is encrypted, unencrypted, unknown or not_applicable, with the KMS key
-- in `encryption_key` when the provider names one.
CREATE TABLE cloud_resources (
    inventory_id   BIGINT NOT NULL REFERENCES cloud_inventories (id),
    position       BIGINT NOT NULL,
    arn            TEXT NOT NULL,
    kind           TEXT NOT NULL,
    region         TEXT,
    name           TEXT NOT NULL,
    tags           TEXT NOT NULL,
    encryption     TEXT NOT NULL,
    encryption_key TEXT,
    holds_phi      BIGINT NOT NULL,
    PRIMARY KEY (inventory_id, position)
);
