package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// readStmts are the statements of the single-entity reads (and of the
// library page, whose shape never varies), prepared on the read pool once:
// parsing a statement costs about as much as running a primary-key lookup.
// Each read is one statement, hence its own implicit transaction: no BEGIN,
// no COMMIT. database/sql prepares a *sql.Stmt again on each connection of
// the pool as it needs to, so one per query suffices.
type readStmts struct {
	mangaByID   *sql.Stmt
	genres      *sql.Stmt
	genreByID   *sql.Stmt
	progress    *sql.Stmt
	libraryPage *sql.Stmt
	summaries   *sql.Stmt
	userByID    *sql.Stmt
}

// preparedReads holds the read statements once they are prepared. They can
// only be prepared once the tables exist, so Migrate prepares them after it
// applied the schema (serve opens, migrates, then serves); a process that
// opens a database migrated by another prepares them on its first read.
// After that every read is one atomic load: no lock, no map.
type preparedReads struct {
	p  atomic.Pointer[readStmts]
	mu sync.Mutex // serialises preparing
}

// get returns the read statements, preparing them on pool if needed.
func (pr *preparedReads) get(ctx context.Context, pool *sql.DB) (*readStmts, error) {
	if r := pr.p.Load(); r != nil {
		return r, nil
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if r := pr.p.Load(); r != nil {
		return r, nil
	}
	r, err := prepareReads(ctx, pool)
	if err != nil {
		return nil, err
	}
	pr.p.Store(r)
	return r, nil
}

// close releases the statements; the pools close after it.
func (pr *preparedReads) close() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if r := pr.p.Swap(nil); r != nil {
		r.close()
	}
}

func prepareReads(ctx context.Context, pool *sql.DB) (*readStmts, error) {
	var (
		r    readStmts
		errs []error
	)
	prep := func(dst **sql.Stmt, query string) {
		s, err := pool.PrepareContext(ctx, query)
		*dst, errs = s, append(errs, err)
	}
	prep(&r.mangaByID, mangaByIDSQL)
	prep(&r.genres, genresSQL)
	prep(&r.genreByID, genreByIDSQL)
	prep(&r.progress, findProgressSQL)
	prep(&r.libraryPage, libraryPageSQL)
	prep(&r.summaries, summariesSQL)
	prep(&r.userByID, userByIDSQL)
	if err := errors.Join(errs...); err != nil {
		r.close()
		return nil, err
	}
	return &r, nil
}

func (r *readStmts) close() {
	for _, s := range []*sql.Stmt{r.mangaByID, r.genres, r.genreByID, r.progress, r.libraryPage, r.summaries, r.userByID} {
		if s != nil {
			s.Close()
		}
	}
}

// maxShapes bounds the cached statements of the catalog queries. A
// search's SQL follows from the shape of its filter (how many terms, which
// filters are set, the order), not from its values, so a few dozen shapes
// cover what clients ask; a rarer one is prepared for its one use.
const maxShapes = 64

// shapeStmts caches the prepared statements of queries built per filter
// shape: a relevance search's statement takes longer to parse than to run.
type shapeStmts struct {
	m  sync.Map // query → *sql.Stmt
	mu sync.Mutex
	n  int // entries in m, under mu
}

// query runs query on pool through its cached statement, preparing it if
// there is room.
func (c *shapeStmts) query(ctx context.Context, pool *sql.DB, query string, args ...any) (*sql.Rows, error) {
	if s, ok := c.m.Load(query); ok {
		return s.(*sql.Stmt).QueryContext(ctx, args...)
	}
	c.mu.Lock()
	if s, ok := c.m.Load(query); ok {
		c.mu.Unlock()
		return s.(*sql.Stmt).QueryContext(ctx, args...)
	}
	if c.n >= maxShapes {
		c.mu.Unlock()
		return pool.QueryContext(ctx, query, args...)
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.m.Store(query, s)
	c.n++
	c.mu.Unlock()
	return s.QueryContext(ctx, args...)
}

// close releases every statement; the pools close after it.
func (c *shapeStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
	c.n = 0
}
