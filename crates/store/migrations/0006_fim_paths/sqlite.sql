-- The paths a baseline was taken of, when they were given on the command line
-- (`fim init /srv/ehr`), as JSON `{"paths": [...], "one_filesystem": bool}`; NULL when the
-- baseline followed phiguard.toml's rules. `fim check` and `assess` without paths compare
-- under the same paths, instead of under the configured rules, which would report every file
-- of either set as added or removed.
ALTER TABLE fim_baselines ADD COLUMN paths TEXT;
