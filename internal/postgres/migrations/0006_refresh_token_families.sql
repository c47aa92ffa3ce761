-- 0006: refresh-token reuse detection. Every token rotated from one login
-- belongs to that login's family, whose ID the token itself carries (see
-- package auth). A family has one live token; presenting an older token of
-- the family, one already rotated, is treated as theft and deletes the
-- live one too. Tokens issued before have no family ('') and keep working
-- until they are rotated into one.
ALTER TABLE refresh_tokens ADD COLUMN family text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX refresh_tokens_family_key ON refresh_tokens (family) WHERE family <> '';
