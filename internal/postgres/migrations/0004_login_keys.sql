-- 0004: logins compare by keys folded in Go (mangahub.LoginKey), stored next
-- to each name, instead of by lower() in SQL: PostgreSQL's lower() follows
-- the database's locale and SQLite's folds ASCII only, so the engines
-- disagreed on non-ASCII emails. lower() fills the keys here; the Go step
-- of this migration (rekeyUsers) then folds them properly, in the same
-- transaction.
ALTER TABLE users ADD COLUMN username_key text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_key text COLLATE "C" NOT NULL DEFAULT '';
UPDATE users SET username_key = lower(username), email_key = lower(email);
ALTER TABLE users ALTER COLUMN username_key DROP DEFAULT;
ALTER TABLE users ALTER COLUMN email_key DROP DEFAULT;

-- The same names as before: a unique violation on either says which name
-- is taken.
DROP INDEX users_username_key;
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key);
