package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
)

func TestTranslate(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	ctx := t.Context()
	exec := func(q string, args ...any) error {
		_, err := db.write.ExecContext(ctx, q, args...)
		return err
	}
	if err := exec(`INSERT INTO genres (name, name_key) VALUES ('a', 'a')`); err != nil {
		t.Fatal(err)
	}
	_, readOnly := db.read.ExecContext(ctx, `INSERT INTO genres (name, name_key) VALUES ('b', 'b')`)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, dead := db.write.ExecContext(cancelled, `SELECT 1`)
	domain := mangahub.Errorf(mangahub.CodeConflict, "slug is already taken")

	tests := []struct {
		name string
		ctx  context.Context
		err  error
		code mangahub.ErrorCode
	}{
		{"domain error passes", ctx, domain, mangahub.CodeConflict},
		{"syntax error", ctx, exec(`SELEC 1`), mangahub.CodeInternal},
		{"unmapped unique violation", ctx, exec(`INSERT INTO genres (name, name_key) VALUES ('A', 'a')`), mangahub.CodeInternal},
		{"check violation", ctx, exec(`INSERT INTO users (id, username, email, password_hash, role, created_at) VALUES ('u', 'n', 'e', 'h', 'root', 0)`), mangahub.CodeInternal},
		{"write on the read pool", ctx, readOnly, mangahub.CodeUnavailable},
		{"cancelled context", cancelled, dead, mangahub.CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("the statement did not fail")
			}
			got := translate(tt.ctx, tt.err)
			if code := mangahub.ErrorCodeOf(got); code != tt.code {
				t.Errorf("code %q, want %q (error %v)", code, tt.code, got)
			}
			if msg := mangahub.ErrorMessageOf(got); strings.Contains(msg, "SQL") || strings.Contains(msg, "constraint") {
				t.Errorf("client message %q shows driver text", msg)
			}
		})
	}
	if err := translate(cancelled, errors.New("interrupted")); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context gives %v, want it to wrap context.Canceled", err)
	}
}

func TestUniqueViolation(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := db.write.ExecContext(t.Context(), `INSERT INTO users (id, username, email, username_key, email_key, password_hash, role, created_at) VALUES ('u1', 'Ann', 'a@x', 'ann', 'a@x', 'h', 'user', 0)`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		insert string
		target string
	}{
		{insertUser("u2", "ANN", "ann", "b@x"), "users.username_key"},
		{insertUser("u2", "bob", "bob", "a@x"), "users.email_key"},
		{insertUser("u1", "bob", "bob", "b@x"), "users.id"},
	}
	targets := []string{"users.username_key", "users.email_key", "users.id"}
	for _, tt := range tests {
		_, err := db.write.ExecContext(t.Context(), tt.insert)
		for _, target := range targets {
			if got := uniqueViolation(err, target); got != (target == tt.target) {
				t.Errorf("%s: uniqueViolation(%q) = %t (error %v)", tt.insert, target, got, err)
			}
		}
	}
}

func insertUser(id, username, usernameKey, email string) string {
	return fmt.Sprintf(`INSERT INTO users (id, username, email, username_key, email_key, password_hash, role, created_at)
		VALUES ('%s', '%s', '%s', '%s', '%s', 'h', 'user', 0)`, id, username, email, usernameKey, email)
}
