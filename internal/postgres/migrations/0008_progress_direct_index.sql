-- 0008: the write-behind flush looks up, for every record of a batch, whether
-- its stored row is a direct write (0003). Such rows are rare and short-lived,
-- so a partial index holds only them: the lookup is an index probe instead of
-- a scan of user_progress.
CREATE INDEX user_progress_direct_idx ON user_progress (user_id, manga_id) WHERE direct;
