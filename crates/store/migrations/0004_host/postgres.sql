-- Updates the host checks found pending, with when each was first seen, so that "this
-- security update has waited 20 days" survives between runs. `host` names the machine, or
-- the image root a check ran against. A row goes away once its update is no longer pending
-- (installed, or superseded by a newer candidate, which starts its own clock).
CREATE TABLE pending_updates (
    host       TEXT NOT NULL,
    package    TEXT NOT NULL,
    version    TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (host, package, version)
);
