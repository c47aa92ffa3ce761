-- 0005: alternative titles, matched by search like the title, and the keys
-- that relevance ranks by (mangahub.MangaSearchKeys): names_key holds the
-- folded title and alternative titles as "| title | alt | … |", and
-- search_text is names_key followed by the folded author and " |". Rows
-- written before have no alternative titles, so their keys follow from the
-- keys they have; every write computes them in Go from now on.
ALTER TABLE manga ADD COLUMN alt_titles TEXT NOT NULL DEFAULT '[]' CHECK (json_type(alt_titles) = 'array');
ALTER TABLE manga ADD COLUMN names_key TEXT NOT NULL DEFAULT '';
UPDATE manga SET
    names_key = '| ' || title_key || ' |',
    search_text = '| ' || title_key || ' | ' || author_key || ' |';
