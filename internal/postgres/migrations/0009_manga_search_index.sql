-- 0009: SQLite's 0009 adds a trigram index for catalog search. This engine
-- has had one since 0001 (manga_search_text_trgm_idx, pg_trgm's GIN index,
-- which serves search_text LIKE '%term%'), so there is nothing to add; the
-- number is kept so that migration N means the same change in both engines.
-- Statistics for the index's column let the planner choose it at once
-- after an upgrade rather than after the next autovacuum.
ANALYZE manga;
