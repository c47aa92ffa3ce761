-- 0001: users, refresh tokens, the catalog and reading progress.
--
-- Times are INTEGER microseconds since the Unix epoch (UTC): they sort as
-- numbers and round-trip exactly at the precision PostgreSQL keeps. Read one
-- with datetime(col / 1000000, 'unixepoch').
--
-- search_text, title_key, author_key and genres.name_key are computed in Go
-- (mangahub.FoldSearch, strings.ToLower) on every write, so both engines
-- compare exactly the same strings. SQLite's own lower() folds ASCII only.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    INTEGER NOT NULL
) STRICT;

-- Named indexes: the names are how a unique violation is told apart
-- (username_taken or email_taken).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE refresh_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

-- AUTOINCREMENT so that an ID is never reused after a delete, as with
-- PostgreSQL's identity columns.
CREATE TABLE manga (
    id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    slug           TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    author         TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    total_chapters INTEGER,
    year           INTEGER,
    description    TEXT    NOT NULL DEFAULT '',
    cover_url      TEXT    NOT NULL DEFAULT '',
    search_text    TEXT    NOT NULL,
    title_key      TEXT    NOT NULL,
    author_key     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX manga_slug_key ON manga (slug);
CREATE INDEX manga_title_key_idx ON manga (title_key, id);
CREATE INDEX manga_updated_at_idx ON manga (updated_at DESC, id);
CREATE INDEX manga_year_idx ON manga (year, id);

CREATE TABLE genres (
    id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name     TEXT    NOT NULL,
    name_key TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX genres_name_key ON genres (name_key);

CREATE TABLE manga_genres (
    manga_id INTEGER NOT NULL REFERENCES manga (id) ON DELETE CASCADE,
    genre_id INTEGER NOT NULL REFERENCES genres (id) ON DELETE CASCADE,
    PRIMARY KEY (manga_id, genre_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX manga_genres_genre_id_idx ON manga_genres (genre_id, manga_id);

CREATE TABLE user_progress (
    user_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    manga_id        INTEGER NOT NULL REFERENCES manga (id) ON DELETE CASCADE,
    current_chapter INTEGER NOT NULL CHECK (current_chapter >= 0),
    status          TEXT    NOT NULL,
    last_read_at    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (user_id, manga_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_progress_user_updated_idx ON user_progress (user_id, updated_at DESC, manga_id);
-- Deleting a manga cascades here.
CREATE INDEX user_progress_manga_id_idx ON user_progress (manga_id);
