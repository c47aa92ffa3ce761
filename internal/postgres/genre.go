package postgres

import (
	"context"
	"errors"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
)

// FindCatalogVersion returns the number the triggers of migration 0010
// move on every catalog change.
func (s *MangaStore) FindCatalogVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.pool.QueryRow(ctx, `SELECT version FROM catalog_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, translate(ctx, err)
	}
	return v, nil
}

// FindGenres returns every genre, ordered by name (case-insensitively), with
// the number of manga carrying it.
func (s *MangaStore) FindGenres(ctx context.Context) ([]*mangahub.Genre, error) {
	rows, err := s.db.pool.Query(ctx, `
		SELECT g.id, g.name, count(mg.manga_id)
		FROM genres g LEFT JOIN manga_genres mg ON mg.genre_id = g.id
		GROUP BY g.id
		ORDER BY g.name_key`)
	if err != nil {
		return nil, translate(ctx, err)
	}
	// The columns are Genre's fields in order.
	genres, err := pgx.CollectRows(rows, pgx.RowToAddrOfStructByPos[mangahub.Genre])
	if err != nil {
		return nil, translate(ctx, err)
	}
	return genres, nil
}

// FindGenreByID returns one genre with its manga count.
func (s *MangaStore) FindGenreByID(ctx context.Context, id int64) (*mangahub.Genre, error) {
	var g mangahub.Genre
	err := s.db.pool.QueryRow(ctx, `
		SELECT g.id, g.name, (SELECT count(*) FROM manga_genres mg WHERE mg.genre_id = g.id)
		FROM genres g WHERE g.id = $1`, id).Scan(&g.ID, &g.Name, &g.MangaCount)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`INSERT INTO genres (name, name_key) VALUES ($1, $2) RETURNING id`, name, mangahub.GenreKey(name)).Scan(&g.ID)
		if violation(err, "genres_name_key") {
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
func replaceGenres(ctx context.Context, tx pgx.Tx, mangaID int64, names []string) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM manga_genres WHERE manga_id = $1`, mangaID); err != nil {
		return nil, err
	}
	return setGenres(ctx, tx, mangaID, names)
}

// setGenres attaches names to a manga that has no genres yet. New genres are
// inserted in key order, so two transactions creating the same genres wait
// on each other in the same order and cannot deadlock.
func setGenres(ctx context.Context, tx pgx.Tx, mangaID int64, names []string) ([]string, error) {
	first := make(map[string]string) // key → the first spelling given
	for _, n := range names {
		if _, ok := first[mangahub.GenreKey(n)]; !ok {
			first[mangahub.GenreKey(n)] = n
		}
	}
	if len(first) == 0 {
		return []string{}, nil
	}
	keys := make([]string, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	spellings := make([]string, len(keys))
	for i, k := range keys {
		spellings[i] = first[k]
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO genres (name, name_key)
		SELECT * FROM unnest($1::text[], $2::text[])
		ON CONFLICT (name_key) DO NOTHING`, spellings, keys); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
		WITH attached AS (
			INSERT INTO manga_genres (manga_id, genre_id)
			SELECT $1::bigint, id FROM genres WHERE name_key = ANY($2)
			RETURNING genre_id
		)
		SELECT g.name FROM genres g JOIN attached a ON a.genre_id = g.id ORDER BY g.name_key`,
		mangaID, keys)
	if err != nil {
		return nil, err
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return stored, nil
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
