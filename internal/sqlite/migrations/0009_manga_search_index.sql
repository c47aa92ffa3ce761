-- 0009: an index for catalog search. A search term must occur anywhere in
-- search_text (the folded names and author), which no B-tree serves, so
-- every search read every manga. manga_search is an FTS5 index of
-- search_text with the trigram tokenizer, which finds the rows holding a
-- substring of three characters or more. It keeps no copy of the text
-- (content='manga'): the triggers below keep it in step with manga, and
-- the search still checks each term on search_text itself, so the index
-- only narrows which rows are read and can never change what matches.
-- Terms of one or two characters cannot use it and are checked on every
-- row, as before.
CREATE VIRTUAL TABLE manga_search USING fts5(
    search_text,
    content = 'manga',
    content_rowid = 'id',
    tokenize = 'trigram'
);

INSERT INTO manga_search (manga_search) VALUES ('rebuild');

CREATE TRIGGER manga_search_insert AFTER INSERT ON manga BEGIN
    INSERT INTO manga_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER manga_search_delete AFTER DELETE ON manga BEGIN
    INSERT INTO manga_search (manga_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER manga_search_update AFTER UPDATE OF search_text ON manga BEGIN
    INSERT INTO manga_search (manga_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO manga_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
