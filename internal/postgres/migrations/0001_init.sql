-- 0001: users, refresh tokens, the catalog and reading progress.
--
-- search_text, title_key, author_key and genres.name_key are computed in Go
-- (mangahub.FoldSearch, strings.ToLower) on every write, so this engine and
-- SQLite compare exactly the same strings. They use the "C" collation:
-- byte order, as in SQLite and Go, whatever the database's locale.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id            text        NOT NULL,
    username      text        NOT NULL,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    role          text        NOT NULL DEFAULT 'user',
    created_at    timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_role_check CHECK (role IN ('user', 'admin'))
);

-- Named indexes: the names are how a unique violation is told apart
-- (username_taken or email_taken).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE refresh_tokens (
    hash       text        NOT NULL,
    user_id    text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

CREATE TABLE manga (
    id             bigint      GENERATED ALWAYS AS IDENTITY,
    slug           text        NOT NULL,
    title          text        NOT NULL,
    author         text        NOT NULL,
    status         text        NOT NULL,
    total_chapters integer,
    year           integer,
    description    text        NOT NULL DEFAULT '',
    cover_url      text        NOT NULL DEFAULT '',
    search_text    text        COLLATE "C" NOT NULL,
    title_key      text        COLLATE "C" NOT NULL,
    author_key     text        COLLATE "C" NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT manga_pkey PRIMARY KEY (id),
    CONSTRAINT manga_slug_key UNIQUE (slug)
);

-- Trigram indexes serve the LIKE '%term%' of search and of the author filter.
CREATE INDEX manga_search_text_trgm_idx ON manga USING gin (search_text gin_trgm_ops);
CREATE INDEX manga_author_key_trgm_idx ON manga USING gin (author_key gin_trgm_ops);
CREATE INDEX manga_title_key_idx ON manga (title_key, id);
CREATE INDEX manga_updated_at_idx ON manga (updated_at DESC, id);
CREATE INDEX manga_year_idx ON manga (year, id);

CREATE TABLE genres (
    id       bigint GENERATED ALWAYS AS IDENTITY,
    name     text   NOT NULL,
    name_key text   COLLATE "C" NOT NULL,
    CONSTRAINT genres_pkey PRIMARY KEY (id),
    CONSTRAINT genres_name_key UNIQUE (name_key)
);

CREATE TABLE manga_genres (
    manga_id bigint NOT NULL,
    genre_id bigint NOT NULL,
    CONSTRAINT manga_genres_pkey PRIMARY KEY (manga_id, genre_id),
    CONSTRAINT manga_genres_manga_id_fkey FOREIGN KEY (manga_id) REFERENCES manga (id) ON DELETE CASCADE,
    CONSTRAINT manga_genres_genre_id_fkey FOREIGN KEY (genre_id) REFERENCES genres (id) ON DELETE CASCADE
);

CREATE INDEX manga_genres_genre_id_idx ON manga_genres (genre_id, manga_id);

CREATE TABLE user_progress (
    user_id         text        NOT NULL,
    manga_id        bigint      NOT NULL,
    current_chapter integer     NOT NULL,
    status          text        NOT NULL,
    last_read_at    timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint      NOT NULL,
    CONSTRAINT user_progress_pkey PRIMARY KEY (user_id, manga_id),
    CONSTRAINT user_progress_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_progress_manga_id_fkey FOREIGN KEY (manga_id) REFERENCES manga (id) ON DELETE CASCADE,
    CONSTRAINT user_progress_current_chapter_check CHECK (current_chapter >= 0),
    CONSTRAINT user_progress_version_check CHECK (version >= 1)
);

CREATE INDEX user_progress_user_updated_idx ON user_progress (user_id, updated_at DESC, manga_id);
-- Deleting a manga cascades here.
CREATE INDEX user_progress_manga_id_idx ON user_progress (manga_id);
