package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"

	"github.com/mangahub/mangahub"
)

const (
	genresSQL = `SELECT g.id, g.name, count(mg.manga_id)
		FROM genres g LEFT JOIN manga_genres mg ON mg.genre_id = g.id
		GROUP BY g.id
		ORDER BY g.name_key`
	genreByIDSQL = `SELECT g.id, g.name, (SELECT count(*) FROM manga_genres mg WHERE mg.genre_id = g.id)
		FROM genres g WHERE g.id = ?`
)

// FindCatalogVersion returns the number the triggers of migration 0010
// move on every catalog change.
func (s *MangaStore) FindCatalogVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.read.QueryRowContext(ctx, `SELECT version FROM catalog_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, translate(ctx, err)
	}
	return v, nil
}

// FindGenres returns every genre, ordered by name (case-insensitively), with
// the number of manga carrying it.
func (s *MangaStore) FindGenres(ctx context.Context) ([]*mangahub.Genre, error) {
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	rows, err := r.genres.QueryContext(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	defer rows.Close()
	genres := []*mangahub.Genre{}
	for rows.Next() {
		var g mangahub.Genre
		if err := rows.Scan(&g.ID, &g.Name, &g.MangaCount); err != nil {
			return nil, translate(ctx, err)
		}
		genres = append(genres, &g)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, err)
	}
	return genres, nil
}

// FindGenreByID returns one genre with its manga count.
func (s *MangaStore) FindGenreByID(ctx context.Context, id int64) (*mangahub.Genre, error) {
	if err := ctx.Err(); err != nil { // see FindMangaByID
		return nil, translate(ctx, err)
	}
	ctx = context.WithoutCancel(ctx)
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	var g mangahub.Genre
	err = r.genreByID.QueryRowContext(ctx, id).Scan(&g.ID, &g.Name, &g.MangaCount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("genre")
	}
	if err != nil {
		return nil, translate(ctx, err)
	}
	return &g, nil
}

// CreateGenre inserts a genre; a name that exists in any letter case is
// CodeConflict.
func (s *MangaStore) CreateGenre(ctx context.Context, name string) (*mangahub.Genre, error) {
	g := mangahub.Genre{Name: name}
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx,
			`INSERT INTO genres (name, name_key) VALUES (?, ?) RETURNING id`, name, mangahub.GenreKey(name)).Scan(&g.ID)
		if uniqueViolation(err, "genres.name_key") {
			return mangahub.Errorf(mangahub.CodeConflict, "genre already exists")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// replaceGenres makes names the genres of the manga, creating the genres that
// do not exist yet, and returns their stored names in order.
func replaceGenres(ctx context.Context, tx *sql.Tx, mangaID int64, names []string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM manga_genres WHERE manga_id = ?`, mangaID); err != nil {
		return nil, err
	}
	return setGenres(ctx, tx, mangaID, names)
}

// setGenres attaches names to a manga that has no genres yet.
func setGenres(ctx context.Context, tx *sql.Tx, mangaID int64, names []string) ([]string, error) {
	keys := make(map[string]string) // key → the first spelling given
	for _, n := range names {
		if _, ok := keys[mangahub.GenreKey(n)]; !ok {
			keys[mangahub.GenreKey(n)] = n
		}
	}
	if len(keys) == 0 {
		return []string{}, nil
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO genres (name, name_key) VALUES (?, ?) ON CONFLICT (name_key) DO NOTHING`,
			keys[k], k); err != nil {
			return nil, err
		}
	}
	list := jsonArray(sorted)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO manga_genres (manga_id, genre_id)
		SELECT ?, id FROM genres WHERE name_key IN (SELECT value FROM json_each(?))`,
		mangaID, list); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT name FROM genres WHERE name_key IN (SELECT value FROM json_each(?)) ORDER BY name_key`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stored := make([]string, 0, len(sorted))
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		stored = append(stored, n)
	}
	return stored, rows.Err()
}

// genreKeys returns the distinct keys of names.
func genreKeys(names []string) []string {
	seen := make(map[string]bool, len(names))
	var keys []string
	for _, n := range names {
		if k := mangahub.GenreKey(n); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// jsonArray encodes v for json_each(?), which passes a whole list as one
// parameter.
func jsonArray[T int64 | string](v []T) string {
	b, _ := json.Marshal(v) // cannot fail for numbers and strings
	return string(b)
}
