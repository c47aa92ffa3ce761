package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mangahub/mangahub"
)

// MangaStore persists the catalog: manga and their genres.
type MangaStore struct{ db *DB }

var _ mangahub.MangaStore = (*MangaStore)(nil)

// NewMangaStore returns the catalog of db.
func NewMangaStore(db *DB) *MangaStore { return &MangaStore{db: db} }

const mangaColumns = `m.id, m.slug, m.title, m.alt_titles, m.author, m.status, m.total_chapters,
	m.year, m.description, m.cover_url, m.created_at, m.updated_at`

// mangaGenres is the genres of manga m as a JSON array of names in key
// order, read in the statement that reads the manga: one statement per
// read, not one for the manga and one for its genres.
const mangaGenres = `(SELECT json_group_array(g.name ORDER BY g.name_key)
	FROM manga_genres mg JOIN genres g ON g.id = mg.genre_id WHERE mg.manga_id = m.id)`

const mangaByIDSQL = `SELECT ` + mangaColumns + `, ` + mangaGenres + ` FROM manga m WHERE m.id = ?`

// FindMangaByID returns one manga with its genres, in one prepared
// statement.
func (s *MangaStore) FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error) {
	// A primary-key lookup is not worth interrupting once started, and a
	// context without a Done channel spares the driver a goroutine per
	// query; a request that is already over is still not served.
	if err := ctx.Err(); err != nil {
		return nil, translate(ctx, err)
	}
	ctx = context.WithoutCancel(ctx)
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	m, err := scanManga(r.mangaByID.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("manga")
	}
	if err != nil {
		return nil, translate(ctx, err)
	}
	return m, nil
}

// FindManga returns one page of the manga matching f and how many match in
// all, in one statement (see mangaPageQuery).
func (s *MangaStore) FindManga(ctx context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	index := len(f.Terms) > 0 && s.db.largeCatalog.useIndex(ctx, s.db.read)
	where, args := mangaWhere(f, index)
	order, orderArgs, err := mangaOrder(f)
	if err != nil {
		return nil, 0, err
	}
	limit := int64(-1) // SQLite's "no limit"
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	offset := max(f.Offset, 0)
	query, all := mangaPageQuery(f, where, args, order, orderArgs, limit, offset)
	rows, err := s.db.shapes.query(ctx, s.db.read, query, all...)
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	defer rows.Close()
	var (
		page  = []*mangahub.Manga{}
		total int
	)
	for rows.Next() {
		m, err := scanManga(rows, &total)
		if err != nil {
			return nil, 0, translate(ctx, err)
		}
		page = append(page, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate(ctx, err)
	}
	if len(page) == 0 && offset > 0 {
		// Past the end no row carries the total: count on its own. A
		// catalog write between the two statements can only make this
		// page look like one that was read a moment earlier or later.
		err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM manga m`+where, args...).Scan(&total)
		if err != nil {
			return nil, 0, translate(ctx, err)
		}
	}
	return page, total, nil
}

// mangaPageQuery is the statement of one page and its total, and its
// arguments. The inner query keeps the page's IDs; the outer one reads those
// rows and their genres, so the genres of rows off the page are never read,
// and puts the page back in order (the same order, now over the page
// alone; a window numbering the rows would save that sort but costs far
// more, as it orders every match again).
//
// The total: a search must find and rank every match anyway, so a window
// counts them on the way (count(*) OVER (), computed before the limit). A
// listing without words can walk an index and stop after the page, which a
// window over every row would forbid: there a subquery counts, in the same
// statement (the sample catalog's first page took a quarter to a third less
// time than with the window, on a noisy shared machine).
func mangaPageQuery(f mangahub.MangaFilter, where string, args []any, order string, orderArgs []any,
	limit int64, offset int) (string, []any) {
	all := make([]any, 0, 2*len(args)+2*len(orderArgs)+2)
	if len(f.Terms) > 0 {
		query := `SELECT ` + mangaColumns + `, ` + mangaGenres + `, p.total
		FROM (SELECT m.id, count(*) OVER () AS total FROM manga m` + where + `
			ORDER BY ` + order + ` LIMIT ? OFFSET ?) p
		JOIN manga m ON m.id = p.id
		ORDER BY ` + order
		all = append(append(append(append(all, args...), orderArgs...), limit, offset), orderArgs...)
		return query, all
	}
	query := `SELECT ` + mangaColumns + `, ` + mangaGenres + `, (SELECT count(*) FROM manga m` + where + `)
		FROM (SELECT m.id FROM manga m` + where + `
			ORDER BY ` + order + ` LIMIT ? OFFSET ?) p
		JOIN manga m ON m.id = p.id
		ORDER BY ` + order
	all = append(append(append(append(append(all, args...), args...), orderArgs...), limit, offset), orderArgs...)
	return query, all
}

// summariesSQL takes the whole list of IDs as one JSON parameter, so one
// prepared statement serves every list.
const summariesSQL = `SELECT id, slug, title, total_chapters, cover_url FROM manga
	WHERE id IN (SELECT value FROM json_each(?))
	ORDER BY id`

// FindMangaSummaries returns the summaries of the manga with ids, in one
// prepared statement.
func (s *MangaStore) FindMangaSummaries(ctx context.Context, ids []int64) ([]*mangahub.MangaSummary, error) {
	out := []*mangahub.MangaSummary{}
	if len(ids) == 0 {
		return out, nil
	}
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	rows, err := r.summaries.QueryContext(ctx, jsonArray(ids))
	if err != nil {
		return nil, translate(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			m     mangahub.MangaSummary
			total sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.Slug, &m.Title, &total, &m.CoverURL); err != nil {
			return nil, translate(ctx, err)
		}
		m.TotalChapters = intPtr(total)
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, err)
	}
	return out, nil
}

// mangaWhere builds the WHERE clause of f. Every term must be a substring of
// the search text (the folded names and author): instr decides, and no
// character of a term is special to it. With index, the trigram index
// (manga_search, migration 0009) first narrows the rows to those that hold
// every term of three characters or more; shorter terms, which it cannot
// look up, are checked on every row it leaves.
func mangaWhere(f mangahub.MangaFilter, index bool) (string, []any) {
	var (
		conds []string
		args  []any
	)
	if match := searchMatch(f.Terms); index && match != "" {
		conds = append(conds, `m.id IN (SELECT rowid FROM manga_search WHERE manga_search MATCH ?)`)
		args = append(args, match)
	}
	for _, t := range f.Terms {
		conds = append(conds, `instr(m.search_text, ?) > 0`)
		args = append(args, t)
	}
	if a := f.Author; a != "" {
		conds = append(conds, `instr(m.author_key, ?) > 0`)
		args = append(args, a)
	}
	if f.Status != "" {
		conds = append(conds, `m.status = ?`)
		args = append(args, string(f.Status))
	}
	if keys := genreKeys(f.Genres); len(keys) > 0 {
		// A manga carries each genre at most once, so having as many of
		// the wanted genres as were asked for means having them all.
		conds = append(conds, `m.id IN (
			SELECT mg.manga_id FROM manga_genres mg JOIN genres g ON g.id = mg.genre_id
			WHERE g.name_key IN (SELECT value FROM json_each(?))
			GROUP BY mg.manga_id HAVING count(*) = ?)`)
		args = append(args, jsonArray(keys), len(keys))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// mangaOrder builds the ORDER BY clause of f.Sort; every order ends with the
// id so that pages never overlap.
func mangaOrder(f mangahub.MangaFilter) (string, []any, error) {
	switch f.Sort {
	case mangahub.SortTitle, "":
		return `m.title_key, m.id`, nil, nil
	case mangahub.SortUpdatedAtDesc:
		return `m.updated_at DESC, m.id`, nil, nil
	case mangahub.SortYear:
		return `m.year ASC NULLS LAST, m.id`, nil, nil
	case mangahub.SortYearDesc:
		return `m.year DESC NULLS LAST, m.id`, nil, nil
	case mangahub.SortRelevance:
		if len(f.Terms) == 0 {
			return `m.title_key, m.id`, nil, nil
		}
		// The rule of mangahub.SortRelevance. names_key is
		// "| name | name |": " t " in it is a whole word of a name, " t"
		// the start of one, "| q |" a whole name.
		args := []any{"| " + strings.Join(f.Terms, " ") + " |"}
		ranks := make([]string, len(f.Terms))
		for i, t := range f.Terms {
			// search_text is names_key, " ", the author and " |", and no
			// term holds a "|": once " t " (or " t") is not in the names,
			// finding it in search_text finds it in the author's words,
			// without building a padded author for every row.
			ranks[i] = `CASE WHEN instr(m.names_key, ?) > 0 THEN 0
				WHEN instr(m.search_text, ?) > 0 THEN 1
				WHEN instr(m.names_key, ?) > 0 THEN 2
				WHEN instr(m.search_text, ?) > 0 THEN 3
				WHEN instr(m.names_key, ?) > 0 THEN 4
				ELSE 5 END`
			args = append(args, " "+t+" ", " "+t+" ", " "+t, " "+t, t)
		}
		return `instr(m.names_key, ?) = 0, ` + strings.Join(ranks, " + ") + `, m.title_key, m.id`, args, nil
	}
	return "", nil, mangahub.Internal(errors.New("unknown manga sort " + strconv.Quote(string(f.Sort))))
}

// CreateManga inserts m with its genres and sets its ID, timestamps and
// genres (their stored names, sorted).
func (s *MangaStore) CreateManga(ctx context.Context, m *mangahub.Manga) error {
	at := now()
	var (
		id     int64
		genres []string
	)
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		k := mangahub.MangaSearchKeys(m.Title, m.AltTitles, m.Author)
		err := tx.QueryRowContext(ctx, `
			INSERT INTO manga (slug, title, alt_titles, author, status, total_chapters, year, description,
				cover_url, search_text, names_key, title_key, author_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			m.Slug, m.Title, jsonArray(altTitles(m.AltTitles)), m.Author, string(m.Status), nullInt(m.TotalChapters),
			nullInt(m.Year), m.Description, m.CoverURL, k.Text, k.Names, k.Title, k.Author,
			toMicros(at), toMicros(at)).Scan(&id)
		if uniqueViolation(err, "manga.slug") {
			return slugTaken()
		}
		if err != nil {
			return err
		}
		genres, err = setGenres(ctx, tx, id, m.Genres)
		return err
	})
	if err != nil {
		return err
	}
	m.ID, m.CreatedAt, m.UpdatedAt, m.Genres, m.AltTitles = id, at, at, genres, altTitles(m.AltTitles)
	return nil
}

// UpdateManga applies upd and returns the new state. The write transaction
// holds SQLite's write lock, so reading, merging and writing back is safe.
func (s *MangaStore) UpdateManga(ctx context.Context, id int64, upd mangahub.MangaUpdate) (*mangahub.Manga, error) {
	var m *mangahub.Manga
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := findManga(ctx, tx, id)
		if err != nil {
			return err
		}
		upd.Apply(cur)
		cur.UpdatedAt = now()
		cur.AltTitles = altTitles(cur.AltTitles)
		k := mangahub.MangaSearchKeys(cur.Title, cur.AltTitles, cur.Author)
		_, err = tx.ExecContext(ctx, `
			UPDATE manga SET slug = ?, title = ?, alt_titles = ?, author = ?, status = ?,
				total_chapters = ?, year = ?, description = ?, cover_url = ?, search_text = ?,
				names_key = ?, title_key = ?, author_key = ?, updated_at = ?
			WHERE id = ?`,
			cur.Slug, cur.Title, jsonArray(cur.AltTitles), cur.Author, string(cur.Status),
			nullInt(cur.TotalChapters), nullInt(cur.Year), cur.Description, cur.CoverURL,
			k.Text, k.Names, k.Title, k.Author, toMicros(cur.UpdatedAt), id)
		if uniqueViolation(err, "manga.slug") {
			return slugTaken()
		}
		if err != nil {
			return err
		}
		if upd.Genres != nil {
			if cur.Genres, err = replaceGenres(ctx, tx, id, *upd.Genres); err != nil {
				return err
			}
		}
		m = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DeleteManga removes the manga; foreign keys remove its genre links and
// every progress record that refers to it.
func (s *MangaStore) DeleteManga(ctx context.Context, id int64) error {
	return s.db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM manga WHERE id = ?`, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("manga")
		}
		return nil
	})
}

// PutManga inserts m, or updates every field and the genres of the manga
// with m's slug, and sets m's ID, timestamps and genres. A manga stored with
// the same content is not written (its updated_at stays). The write
// transaction holds SQLite's write lock, so reading first is safe.
func (s *MangaStore) PutManga(ctx context.Context, m *mangahub.Manga) (mangahub.PutResult, error) {
	at := now()
	var (
		res                  mangahub.PutResult
		id, created, updated int64
		genres               []string
	)
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := findMangaBySlug(ctx, tx, m.Slug)
		if mangahub.IsCode(err, mangahub.CodeNotFound) {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		if cur != nil && cur.SameContent(m) {
			res.Outcome = mangahub.PutUnchanged
			*m = *cur
			return nil
		}
		res.Outcome = mangahub.PutCreated
		if cur != nil {
			res.Outcome = mangahub.PutUpdated
		}
		k := mangahub.MangaSearchKeys(m.Title, m.AltTitles, m.Author)
		err = tx.QueryRowContext(ctx, `
			INSERT INTO manga (slug, title, alt_titles, author, status, total_chapters, year, description,
				cover_url, search_text, names_key, title_key, author_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (slug) DO UPDATE SET
				title = excluded.title, alt_titles = excluded.alt_titles, author = excluded.author,
				status = excluded.status, total_chapters = excluded.total_chapters,
				year = excluded.year, description = excluded.description,
				cover_url = excluded.cover_url, search_text = excluded.search_text,
				names_key = excluded.names_key, title_key = excluded.title_key,
				author_key = excluded.author_key, updated_at = excluded.updated_at
			RETURNING id, created_at, updated_at`,
			m.Slug, m.Title, jsonArray(altTitles(m.AltTitles)), m.Author, string(m.Status), nullInt(m.TotalChapters),
			nullInt(m.Year), m.Description, m.CoverURL, k.Text, k.Names, k.Title, k.Author,
			toMicros(at), toMicros(at)).
			Scan(&id, &created, &updated)
		if err != nil {
			return err
		}
		if genres, err = replaceGenres(ctx, tx, id, m.Genres); err != nil {
			return err
		}
		if res.Outcome == mangahub.PutUpdated && m.TotalChapters != nil {
			err = tx.QueryRowContext(ctx, `
				SELECT count(*) FROM user_progress
				WHERE manga_id = ? AND deleted = 0 AND current_chapter > ?`,
				id, *m.TotalChapters).Scan(&res.Beyond)
		}
		return err
	})
	if err != nil {
		return mangahub.PutResult{}, err
	}
	if res.Outcome != mangahub.PutUnchanged {
		m.ID, m.CreatedAt, m.UpdatedAt, m.Genres = id, fromMicros(created), fromMicros(updated), genres
		m.AltTitles = altTitles(m.AltTitles)
	}
	return res, nil
}

// findMangaBySlug returns the manga with slug; CodeNotFound when there is
// none.
func findMangaBySlug(ctx context.Context, q querier, slug string) (*mangahub.Manga, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM manga WHERE slug = ?`, slug).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("manga")
	}
	if err != nil {
		return nil, err
	}
	return findManga(ctx, q, id)
}

func findManga(ctx context.Context, q querier, id int64) (*mangahub.Manga, error) {
	m, err := scanManga(q.QueryRowContext(ctx, mangaByIDSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("manga")
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanManga reads a row of mangaColumns and mangaGenres, then into extra
// whatever columns follow.
func scanManga(row scanner, extra ...any) (*mangahub.Manga, error) {
	// One allocation for the manga and every scan target, instead of one
	// for each target that escapes to the heap through Scan.
	r := new(struct {
		m                   mangahub.Manga
		alt, status, genres string
		total, year         sql.NullInt64
		created, updated    int64
		dest                [16]any
	})
	m := &r.m
	dest := append(r.dest[:0], &m.ID, &m.Slug, &m.Title, &r.alt, &m.Author, &r.status, &r.total, &r.year,
		&m.Description, &m.CoverURL, &r.created, &r.updated, &r.genres)
	err := row.Scan(append(dest, extra...)...)
	r.dest = [16]any{} // a cached manga keeps no pointers to its scan
	if err != nil {
		return nil, err
	}
	if m.AltTitles, err = stringArray(r.alt); err != nil {
		return nil, fmt.Errorf("manga %d: alt_titles: %w", m.ID, err)
	}
	if m.Genres, err = stringArray(r.genres); err != nil {
		return nil, fmt.Errorf("manga %d: genres: %w", m.ID, err)
	}
	m.Status = mangahub.MangaStatus(r.status)
	m.TotalChapters, m.Year = intPtr(r.total), intPtr(r.year)
	m.CreatedAt, m.UpdatedAt = fromMicros(r.created), fromMicros(r.updated)
	return m, nil
}

// stringArray decodes a JSON array of strings, never nil. Every manga read
// decodes two (alternative titles, genres), so the common forms are decoded
// by hand: the empty array, and strings without escapes, which become
// substrings of js (no copy). Anything else goes to encoding/json.
func stringArray(js string) ([]string, error) {
	if js == "[]" {
		return []string{}, nil
	}
	if out, ok := plainStringArray(js); ok {
		return out, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// plainStringArray decodes ["a","b",…] written without spaces or escapes,
// as json_group_array and json.Marshal write names without quotes,
// backslashes or HTML characters; ok is false for any other input.
func plainStringArray(js string) (out []string, ok bool) {
	if len(js) < 4 || js[0] != '[' || js[len(js)-1] != ']' || strings.IndexByte(js, '\\') >= 0 {
		return nil, false
	}
	out = make([]string, 0, strings.Count(js, `","`)+1)
	for rest := js[1 : len(js)-1]; ; {
		if len(rest) < 2 || rest[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(rest[1:], '"') + 1
		if end == 0 {
			return nil, false
		}
		out = append(out, rest[1:end])
		rest = rest[end+1:]
		if rest == "" {
			return out, true
		}
		if rest[0] != ',' {
			return nil, false
		}
		rest = rest[1:]
	}
}

// altTitles is never nil, so that JSON says [] and stores agree.
func altTitles(ts []string) []string {
	if ts == nil {
		return []string{}
	}
	return ts
}

func slugTaken() error { return mangahub.Errorf(mangahub.CodeConflict, "slug is already taken") }

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}
