package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mangahub/mangahub"
)

func TestTranslate(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	domain := mangahub.Errorf(mangahub.CodeMangaNotFound, "manga not found")
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		code mangahub.ErrorCode
	}{
		{"nil", context.Background(), nil, ""},
		{"domain error passes", context.Background(), domain, mangahub.CodeMangaNotFound},
		{"cancelled context", cancelled, errors.New("driver: canceled"), mangahub.CodeUnavailable},
		{"deadline in the chain", context.Background(), fmt.Errorf("query: %w", context.DeadlineExceeded), mangahub.CodeUnavailable},
		{"connection refused", context.Background(), refused, mangahub.CodeUnavailable},
		{"admin shutdown", context.Background(), &pgconn.PgError{Code: "57P01"}, mangahub.CodeUnavailable},
		{"connection failure", context.Background(), &pgconn.PgError{Code: "08006"}, mangahub.CodeUnavailable},
		{"serialization failure", context.Background(), &pgconn.PgError{Code: "40001"}, mangahub.CodeUnavailable},
		{"too many connections", context.Background(), &pgconn.PgError{Code: "53300"}, mangahub.CodeUnavailable},
		{"read-only transaction", context.Background(), &pgconn.PgError{Code: "25006"}, mangahub.CodeUnavailable},
		{"syntax error", context.Background(), &pgconn.PgError{Code: "42601", Message: "syntax error at or near \"SELEC\""}, mangahub.CodeInternal},
		{"unmapped unique violation", context.Background(), &pgconn.PgError{Code: "23505"}, mangahub.CodeInternal},
		{"bad input", context.Background(), &pgconn.PgError{Code: "22P02"}, mangahub.CodeInternal},
		{"scan", context.Background(), pgx.ScanArgError{ColumnIndex: 1, Err: errors.New("cannot scan")}, mangahub.CodeInternal},
		{"unhandled no rows", context.Background(), pgx.ErrNoRows, mangahub.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := translate(tt.ctx, tt.err)
			if code := mangahub.ErrorCodeOf(got); code != tt.code {
				t.Errorf("code %q, want %q (error %v)", code, tt.code, got)
			}
			// A dead context replaces the driver's account of it.
			if tt.err != nil && tt.ctx.Err() == nil && !errors.Is(got, tt.err) {
				t.Errorf("%v does not wrap the cause %v", got, tt.err)
			}
			if msg := mangahub.ErrorMessageOf(got); strings.Contains(msg, "SQLSTATE") || strings.Contains(msg, "SELEC") {
				t.Errorf("client message %q shows driver text", msg)
			}
		})
	}
	if err := translate(cancelled, errors.New("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context gives %v, want it to wrap context.Canceled", err)
	}
}
