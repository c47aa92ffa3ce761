package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mangahub/mangahub"
)

// translate turns a driver error into the domain vocabulary, once, here: a
// cancelled or expired context and an unreachable, locked or failing database
// file are unavailable (503); anything else is a programming error. Errors
// that already speak the vocabulary pass through.
func translate(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if e := (*mangahub.Error)(nil); errors.As(err, &e) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return mangahub.Unavailable(ctxErr)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return mangahub.Unavailable(err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM,
			sqlite3.SQLITE_READONLY, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB:
			return mangahub.Unavailable(err)
		}
	}
	return mangahub.Internal(err)
}

// uniqueViolation reports whether err is a unique constraint failure on
// target, "table.column". SQLite's only way of saying which one is its
// message: "UNIQUE constraint failed: manga.slug". (An index on an
// expression would be named by the index instead; the schema has none.)
func uniqueViolation(err error, target string) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
	default:
		return false
	}
	msg := se.Error()
	return strings.Contains(msg, "failed: "+target)
}

// foreignKeyViolation reports whether err is a foreign key failure. SQLite
// does not say which key; callers look the parents up themselves.
func foreignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// notFound is the error of a lookup that found no row.
func notFound(what string) error {
	return mangahub.Errorf(mangahub.CodeNotFound, "%s not found", what)
}
