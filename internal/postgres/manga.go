package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
)

// MangaStore persists the catalog: manga and their genres.
type MangaStore struct{ db *DB }

var _ mangahub.MangaStore = (*MangaStore)(nil)

// NewMangaStore returns the catalog of db.
func NewMangaStore(db *DB) *MangaStore { return &MangaStore{db: db} }

const mangaColumns = `m.id, m.slug, m.title, m.alt_titles, m.author, m.status, m.total_chapters,
	m.year, m.description, m.cover_url, m.created_at, m.updated_at`

// mangaGenres is the genres of manga m, names in key order, read in the
// statement that reads the manga: one statement per read, not one for the
// manga and one for its genres.
const mangaGenres = `ARRAY(SELECT g.name FROM manga_genres mg JOIN genres g ON g.id = mg.genre_id
	WHERE mg.manga_id = m.id ORDER BY g.name_key)`

const mangaByIDSQL = `SELECT ` + mangaColumns + `, ` + mangaGenres + ` FROM manga m WHERE m.id = $1`

// FindMangaByID returns one manga with its genres: one statement, one round
// trip, no transaction around it. pgx prepares it once per connection (its
// statement cache, keyed by the SQL) and afterwards only binds and executes.
func (s *MangaStore) FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error) {
	m, err := scanManga(s.db.pool.QueryRow(ctx, mangaByIDSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("manga")
	}
	if err != nil {
		return nil, translate(ctx, err)
	}
	return m, nil
}

// params numbers query parameters as they are added.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// FindManga returns one page of the manga matching f and how many match in
// all, in one statement: the inner query keeps the page's IDs; the outer
// one reads those rows and their genres, so the genres of rows off the page
// are never read, and puts the page back in order (the same order, now over
// the page alone).
func (s *MangaStore) FindManga(ctx context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	var args params
	where := mangaWhere(f, &args)
	nWhere := len(args) // the count of a page past the end takes only these
	order := mangaOrder(f, &args)
	if order == "" {
		return nil, 0, mangahub.Internal(errors.New("unknown manga sort " + strconv.Quote(string(f.Sort))))
	}
	var limit *int64 // NULL: no limit
	if f.Limit > 0 {
		l := int64(f.Limit)
		limit = &l
	}
	offset := int64(max(f.Offset, 0))
	// The total (see sqlite's mangaPageQuery): a search finds and ranks
	// every match anyway, so a window counts them on the way; a listing
	// without words walks an index and stops after the page, which a window
	// over every row would forbid, so a subquery counts there (its WHERE
	// refers to the same parameters).
	totalSQL := `p.total`
	inner := `SELECT m.id, count(*) OVER () AS total FROM manga m` + where
	if len(f.Terms) == 0 {
		totalSQL, inner = `(SELECT count(*) FROM manga m`+where+`)`, `SELECT m.id FROM manga m`+where
	}
	query := `SELECT ` + mangaColumns + `, ` + mangaGenres + `, ` + totalSQL + `
		FROM (` + inner + `
			ORDER BY ` + order + ` LIMIT ` + args.add(limit) + ` OFFSET ` + args.add(offset) + `) p
		JOIN manga m ON m.id = p.id
		ORDER BY ` + order
	rows, err := s.db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	var total int64
	page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mangahub.Manga, error) {
		return scanManga(row, &total)
	})
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	if len(page) == 0 && offset > 0 {
		// Past the end no row carries the total: count on its own. A
		// catalog write between the two statements can only make this
		// page look like one that was read a moment earlier or later.
		if err := s.db.pool.QueryRow(ctx, `SELECT count(*) FROM manga m`+where, args[:nWhere]...).Scan(&total); err != nil {
			return nil, 0, translate(ctx, err)
		}
	}
	return page, int(total), nil
}

// FindMangaSummaries returns the summaries of the manga with ids, in one
// statement.
func (s *MangaStore) FindMangaSummaries(ctx context.Context, ids []int64) ([]*mangahub.MangaSummary, error) {
	if len(ids) == 0 {
		return []*mangahub.MangaSummary{}, nil
	}
	rows, err := s.db.pool.Query(ctx, `
		SELECT id, slug, title, total_chapters, cover_url FROM manga
		WHERE id = ANY($1)
		ORDER BY id`, ids)
	if err != nil {
		return nil, translate(ctx, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mangahub.MangaSummary, error) {
		var m mangahub.MangaSummary
		err := row.Scan(&m.ID, &m.Slug, &m.Title, &m.TotalChapters, &m.CoverURL)
		return &m, err
	})
	if err != nil {
		return nil, translate(ctx, err)
	}
	return out, nil
}

// mangaWhere builds the WHERE clause of f. Every term must be a substring of
// the search text (the folded names and author): LIKE '%term%', which the
// trigram indexes serve. Terms hold only letters, digits and spaces, but are
// escaped all the same so that the pattern can never be anything else.
func mangaWhere(f mangahub.MangaFilter, args *params) string {
	var conds []string
	for _, t := range f.Terms {
		conds = append(conds, `m.search_text LIKE `+args.add("%"+escapeLike(t)+"%"))
	}
	if a := f.Author; a != "" {
		conds = append(conds, `m.author_key LIKE `+args.add("%"+escapeLike(a)+"%"))
	}
	if f.Status != "" {
		conds = append(conds, `m.status = `+args.add(string(f.Status)))
	}
	if keys := genreKeys(f.Genres); len(keys) > 0 {
		// A manga carries each genre at most once, so having as many of
		// the wanted genres as were asked for means having them all.
		conds = append(conds, `m.id IN (
			SELECT mg.manga_id FROM manga_genres mg JOIN genres g ON g.id = mg.genre_id
			WHERE g.name_key = ANY(`+args.add(keys)+`)
			GROUP BY mg.manga_id HAVING count(*) = `+args.add(int64(len(keys)))+`)`)
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// mangaOrder builds the ORDER BY clause of f.Sort, "" for an unknown one;
// every order ends with the id so that pages never overlap.
func mangaOrder(f mangahub.MangaFilter, args *params) string {
	switch f.Sort {
	case mangahub.SortTitle, "":
		return `m.title_key, m.id`
	case mangahub.SortUpdatedAtDesc:
		return `m.updated_at DESC, m.id`
	case mangahub.SortYear:
		return `m.year ASC NULLS LAST, m.id`
	case mangahub.SortYearDesc:
		return `m.year DESC NULLS LAST, m.id`
	case mangahub.SortRelevance:
		if len(f.Terms) == 0 {
			return `m.title_key, m.id`
		}
		// The rule of mangahub.SortRelevance. names_key is
		// "| name | name |": " t " in it is a whole word of a name, " t"
		// the start of one, "| q |" a whole name.
		exact := `strpos(m.names_key, ` + args.add("| "+strings.Join(f.Terms, " ")+" |") + `) = 0`
		ranks := make([]string, len(f.Terms))
		for i, t := range f.Terms {
			word, prefix, sub := args.add(" "+t+" "), args.add(" "+t), args.add(t)
			// search_text is names_key, " ", the author and " |", and no
			// term holds a "|": once " t " (or " t") is not in the names,
			// finding it in search_text finds it in the author's words,
			// without building a padded author for every row.
			ranks[i] = `CASE WHEN strpos(m.names_key, ` + word + `) > 0 THEN 0
				WHEN strpos(m.search_text, ` + word + `) > 0 THEN 1
				WHEN strpos(m.names_key, ` + prefix + `) > 0 THEN 2
				WHEN strpos(m.search_text, ` + prefix + `) > 0 THEN 3
				WHEN strpos(m.names_key, ` + sub + `) > 0 THEN 4
				ELSE 5 END`
		}
		return exact + `, ` + strings.Join(ranks, " + ") + `, m.title_key, m.id`
	}
	return ""
}

// CreateManga inserts m with its genres and sets its ID, timestamps and
// genres (their stored names, sorted).
func (s *MangaStore) CreateManga(ctx context.Context, m *mangahub.Manga) error {
	var (
		id               int64
		created, updated time.Time
		genres           []string
	)
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
		m.AltTitles = altTitles(m.AltTitles)
		k := mangahub.MangaSearchKeys(m.Title, m.AltTitles, m.Author)
		err := tx.QueryRow(ctx, `
			INSERT INTO manga (slug, title, alt_titles, author, status, total_chapters, year, description,
				cover_url, search_text, names_key, title_key, author_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			RETURNING id, created_at, updated_at`,
			m.Slug, m.Title, m.AltTitles, m.Author, string(m.Status), m.TotalChapters, m.Year,
			m.Description, m.CoverURL, k.Text, k.Names, k.Title, k.Author).Scan(&id, &created, &updated)
		if violation(err, "manga_slug_key") {
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
	m.ID, m.CreatedAt, m.UpdatedAt, m.Genres = id, created.UTC(), updated.UTC(), genres
	return nil
}

// UpdateManga applies upd and returns the new state. The row is locked
// (FOR UPDATE) between reading and writing it back, so concurrent partial
// updates of one manga do not undo each other.
func (s *MangaStore) UpdateManga(ctx context.Context, id int64, upd mangahub.MangaUpdate) (*mangahub.Manga, error) {
	var m *mangahub.Manga
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
		cur, err := findManga(ctx, tx, id, true)
		if err != nil {
			return err
		}
		upd.Apply(cur)
		cur.AltTitles = altTitles(cur.AltTitles)
		k := mangahub.MangaSearchKeys(cur.Title, cur.AltTitles, cur.Author)
		err = tx.QueryRow(ctx, `
			UPDATE manga SET slug = $1, title = $2, alt_titles = $3, author = $4, status = $5,
				total_chapters = $6, year = $7, description = $8, cover_url = $9, search_text = $10,
				names_key = $11, title_key = $12, author_key = $13, updated_at = now()
			WHERE id = $14
			RETURNING updated_at`,
			cur.Slug, cur.Title, cur.AltTitles, cur.Author, string(cur.Status), cur.TotalChapters,
			cur.Year, cur.Description, cur.CoverURL, k.Text, k.Names, k.Title, k.Author, id).
			Scan(&cur.UpdatedAt)
		if violation(err, "manga_slug_key") {
			return slugTaken()
		}
		if err != nil {
			return err
		}
		cur.UpdatedAt = cur.UpdatedAt.UTC()
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
	return s.db.writeTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM manga WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("manga")
		}
		return nil
	})
}

// PutManga inserts m, or updates every field and the genres of the manga
// with m's slug, and sets m's ID, timestamps and genres. A manga stored with
// the same content is not written (its updated_at stays); its row is
// locked while it is compared, so a concurrent put waits.
func (s *MangaStore) PutManga(ctx context.Context, m *mangahub.Manga) (mangahub.PutResult, error) {
	var (
		res              mangahub.PutResult
		id               int64
		created, updated time.Time
		genres           []string
	)
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
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
		m.AltTitles = altTitles(m.AltTitles)
		k := mangahub.MangaSearchKeys(m.Title, m.AltTitles, m.Author)
		var inserted bool
		err = tx.QueryRow(ctx, `
			INSERT INTO manga (slug, title, alt_titles, author, status, total_chapters, year, description,
				cover_url, search_text, names_key, title_key, author_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (slug) DO UPDATE SET
				title = excluded.title, alt_titles = excluded.alt_titles, author = excluded.author,
				status = excluded.status, total_chapters = excluded.total_chapters,
				year = excluded.year, description = excluded.description,
				cover_url = excluded.cover_url, search_text = excluded.search_text,
				names_key = excluded.names_key, title_key = excluded.title_key,
				author_key = excluded.author_key, updated_at = now()
			RETURNING id, created_at, updated_at, xmax = 0`,
			m.Slug, m.Title, m.AltTitles, m.Author, string(m.Status), m.TotalChapters, m.Year,
			m.Description, m.CoverURL, k.Text, k.Names, k.Title, k.Author).Scan(&id, &created, &updated, &inserted)
		if err != nil {
			return err
		}
		// xmax = 0: the row is new (a put racing ours may have made it).
		res.Outcome = mangahub.PutUpdated
		if inserted {
			res.Outcome = mangahub.PutCreated
		}
		if genres, err = replaceGenres(ctx, tx, id, m.Genres); err != nil {
			return err
		}
		if res.Outcome == mangahub.PutUpdated && m.TotalChapters != nil {
			err = tx.QueryRow(ctx, `
				SELECT count(*) FROM user_progress
				WHERE manga_id = $1 AND NOT deleted AND current_chapter > $2`,
				id, *m.TotalChapters).Scan(&res.Beyond)
		}
		return err
	})
	if err != nil {
		return mangahub.PutResult{}, err
	}
	if res.Outcome != mangahub.PutUnchanged {
		m.ID, m.CreatedAt, m.UpdatedAt, m.Genres = id, created.UTC(), updated.UTC(), genres
	}
	return res, nil
}

// findMangaBySlug returns the manga with slug, its row locked until the
// transaction ends; CodeNotFound when there is none.
func findMangaBySlug(ctx context.Context, q querier, slug string) (*mangahub.Manga, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM manga WHERE slug = $1 FOR UPDATE`, slug).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("manga")
	}
	if err != nil {
		return nil, err
	}
	return findManga(ctx, q, id, false)
}

func findManga(ctx context.Context, q querier, id int64, forUpdate bool) (*mangahub.Manga, error) {
	sql := mangaByIDSQL
	if forUpdate {
		sql += ` FOR UPDATE OF m`
	}
	m, err := scanManga(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("manga")
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// scanManga reads a row of mangaColumns and mangaGenres, then into extra
// whatever columns follow.
func scanManga(row pgx.Row, extra ...any) (*mangahub.Manga, error) {
	var (
		m      mangahub.Manga
		status string
	)
	dest := append([]any{&m.ID, &m.Slug, &m.Title, &m.AltTitles, &m.Author, &status, &m.TotalChapters,
		&m.Year, &m.Description, &m.CoverURL, &m.CreatedAt, &m.UpdatedAt, &m.Genres}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	m.AltTitles = altTitles(m.AltTitles)
	if m.Genres == nil {
		m.Genres = []string{}
	}
	m.Status = mangahub.MangaStatus(status)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return &m, nil
}

// escapeLike escapes LIKE's metacharacters for the default escape, '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// altTitles is never nil, so that JSON says [] and stores agree.
func altTitles(ts []string) []string {
	if ts == nil {
		return []string{}
	}
	return ts
}

func slugTaken() error { return mangahub.Errorf(mangahub.CodeConflict, "slug is already taken") }
