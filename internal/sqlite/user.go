package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/migration"
)

// UserStore persists users.
type UserStore struct{ db *DB }

var _ mangahub.UserStore = (*UserStore)(nil)

// NewUserStore returns the users of db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

// CreateUser inserts u. A zero CreatedAt is set to now and an empty Role to
// user; on success u holds exactly what was stored.
func (s *UserStore) CreateUser(ctx context.Context, u *mangahub.User) error {
	created := stored(u.CreatedAt)
	if u.CreatedAt.IsZero() {
		created = now()
	}
	role := u.Role
	if role == "" {
		role = mangahub.RoleUser
	}
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO users (id, username, email, username_key, email_key, password_hash, role, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, u.Email, mangahub.LoginKey(u.Username), mangahub.LoginKey(u.Email),
			u.PasswordHash, string(role), toMicros(created))
		switch {
		case uniqueViolation(err, "users.username_key"):
			return mangahub.Errorf(mangahub.CodeUsernameTaken, "username is already taken")
		case uniqueViolation(err, "users.email_key"):
			return mangahub.Errorf(mangahub.CodeEmailTaken, "email is already registered")
		case uniqueViolation(err, "users.id"):
			return mangahub.Errorf(mangahub.CodeConflict, "user already exists")
		}
		return err
	})
	if err != nil {
		return err
	}
	u.CreatedAt, u.Role = created, role
	return nil
}

const userByIDSQL = `SELECT id, username, email, password_hash, role, created_at FROM users WHERE id = ?`

// FindUserByID returns the user with id, in one prepared statement.
func (s *UserStore) FindUserByID(ctx context.Context, id string) (*mangahub.User, error) {
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	return s.scan(ctx, r.userByID.QueryRowContext(ctx, id))
}

// FindUserByLogin finds a user by username or email, compared by
// mangahub.LoginKey. A username match wins over an email match.
func (s *UserStore) FindUserByLogin(ctx context.Context, login string) (*mangahub.User, error) {
	row := s.db.read.QueryRowContext(ctx, `
		SELECT id, username, email, password_hash, role, created_at
		FROM users
		WHERE username_key = ?1 OR email_key = ?1
		ORDER BY username_key = ?1 DESC
		LIMIT 1`, mangahub.LoginKey(login))
	return s.scan(ctx, row)
}

// rekeyUsers is the Go step of migration 0004: it sets the login keys, which
// the SQL filled with lower(), to mangahub.LoginKey. Accounts that lower()
// told apart but the fold does not (say "ZOË@x.org" and "zoë@x.org") cannot
// share a key; the older account gets it, the other keeps its old key and
// can still log in by username.
func rekeyUsers(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, username, email, username_key, email_key FROM users ORDER BY created_at, id`)
	if err != nil {
		return err
	}
	var names, emails []migration.KeyRow
	for rows.Next() {
		var n, e migration.KeyRow
		if err := rows.Scan(&n.ID, &n.Value, &e.Value, &n.Key, &e.Key); err != nil {
			rows.Close()
			return err
		}
		e.ID = n.ID
		names, emails = append(names, n), append(emails, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, col := range []struct {
		rows   []migration.KeyRow
		update string
	}{
		{names, `UPDATE users SET username_key = ? WHERE id = ?`},
		{emails, `UPDATE users SET email_key = ? WHERE id = ?`},
	} {
		changed, _ := migration.Rekey(col.rows, mangahub.LoginKey)
		for _, r := range changed {
			if _, err := tx.ExecContext(ctx, col.update, r.Key, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *UserStore) scan(ctx context.Context, row *sql.Row) (*mangahub.User, error) {
	var (
		u       mangahub.User
		role    string
		created int64
	)
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, translate(ctx, err)
	}
	u.Role, u.CreatedAt = mangahub.Role(role), fromMicros(created)
	return &u, nil
}
