-- 0003: a change written directly while the hot store (Redis) could not be
-- reached is marked, so that the write-behind flush can tell it from its
-- own earlier writes and reconcile it with the changes still queued in
-- Redis instead of letting the higher version win. The flush clears it.
ALTER TABLE user_progress ADD COLUMN direct INTEGER NOT NULL DEFAULT 0 CHECK (direct IN (0, 1));
