-- 0002: deletes keep a tombstone, so that versions never repeat for one
-- (user, manga) and a write-behind flush can tell a late write from a fresh
-- one. Reads of the library skip tombstones.
ALTER TABLE user_progress ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1));
