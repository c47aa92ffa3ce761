package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmts keeps the prepared statements of the hot paths (every progress
// update reads and writes one record): preparing parses the SQL, which cost
// as much as running it. database/sql prepares a *sql.Stmt again on each
// connection of its pool as needed, so one per pool and query suffices.
type stmts struct {
	mu sync.Mutex
	m  map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// prepared returns the statement for query on pool, preparing it once.
func (c *stmts) prepared(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := stmtKey{pool, query}
	if s, ok := c.m[k]; ok {
		return s, nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = make(map[stmtKey]*sql.Stmt)
	}
	c.m[k] = s
	return s, nil
}

// close releases every statement; the pools close after it.
func (c *stmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.m {
		s.Close()
		delete(c.m, k)
	}
}
