-- 0010: a number that every change of the catalog moves. A process that
-- keeps the catalog in memory (the search index) reads it to learn, in one
-- row, whether what it holds is still current, instead of reading the
-- whole catalog again; it sees changes made by any process, the CLI's
-- import included. Triggers move it, so no write path can forget to.
CREATE TABLE catalog_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);

INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE TRIGGER catalog_version_manga_insert AFTER INSERT ON manga BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_manga_update AFTER UPDATE ON manga BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_manga_delete AFTER DELETE ON manga BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_genres_insert AFTER INSERT ON genres BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_genres_update AFTER UPDATE ON genres BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_genres_delete AFTER DELETE ON genres BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_manga_genres_insert AFTER INSERT ON manga_genres BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
CREATE TRIGGER catalog_version_manga_genres_delete AFTER DELETE ON manga_genres BEGIN
    UPDATE catalog_version SET version = version + 1;
END;
