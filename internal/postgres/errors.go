package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mangahub/mangahub"
)

// programmingClasses are the SQLSTATE classes that mean the query or its
// arguments are wrong, not the server: data exceptions, integrity
// violations no caller translated, syntax and access rules, and so on.
var programmingClasses = map[string]bool{
	"0A": true, // feature not supported
	"21": true, // cardinality violation
	"22": true, // data exception
	"23": true, // integrity constraint violation
	"2F": true, // SQL routine exception
	"42": true, // syntax error or access rule violation
	"44": true, // WITH CHECK OPTION violation
	"P0": true, // PL/pgSQL
	"XX": true, // internal error
}

// translate turns a driver error into the domain vocabulary, once, here: a
// cancelled or expired context, a connection that fails, a server that is
// shutting down, out of resources or reporting a serialisation failure are
// unavailable (503); a query the server rejects as wrong is a programming
// error. Errors that already speak the vocabulary pass through.
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
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if len(pgErr.Code) == 5 && programmingClasses[pgErr.Code[:2]] {
			return mangahub.Internal(err)
		}
		return mangahub.Unavailable(err)
	}
	var scanErr pgx.ScanArgError
	if errors.As(err, &scanErr) || errors.Is(err, pgx.ErrTooManyRows) || errors.Is(err, pgx.ErrNoRows) {
		return mangahub.Internal(err)
	}
	// Refused or broken connections, timeouts, a closed pool.
	return mangahub.Unavailable(err)
}

// violation reports whether err is the violation of the named constraint
// (a unique index counts as a constraint).
func violation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.ConstraintName == constraint
}

// foreignKeyViolation reports whether err is any foreign key violation.
func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// notFound is the error of a lookup that found no row.
func notFound(what string) error {
	return mangahub.Errorf(mangahub.CodeNotFound, "%s not found", what)
}
