-- 0010: a number that every change of the catalog moves. A process that
-- keeps the catalog in memory (the search index) reads it to learn, in one
-- row, whether what it holds is still current, instead of reading the
-- whole catalog again; it sees changes made by every instance and process.
-- Statement triggers move it, once per statement, so no write path can
-- forget to; catalog writes are rare, so their sharing one row costs
-- nothing that matters.
CREATE TABLE catalog_version (
    id      integer NOT NULL PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);

INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER catalog_version_manga AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON manga
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER catalog_version_genres AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON genres
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER catalog_version_manga_genres AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON manga_genres
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
