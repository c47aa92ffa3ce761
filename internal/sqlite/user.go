package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/mangahub/mangahub"
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
			INSERT INTO users (id, username, email, password_hash, role, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, u.Email, u.PasswordHash, string(role), toMicros(created))
		switch {
		case uniqueViolation(err, "users_username_key"):
			return mangahub.Errorf(mangahub.CodeUsernameTaken, "username is already taken")
		case uniqueViolation(err, "users_email_key"):
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

// FindUserByID returns the user with id.
func (s *UserStore) FindUserByID(ctx context.Context, id string) (*mangahub.User, error) {
	row := s.db.read.QueryRowContext(ctx, `
		SELECT id, username, email, password_hash, role, created_at
		FROM users WHERE id = ?`, id)
	return s.scan(ctx, row)
}

// FindUserByLogin finds a user by username or email, case-insensitively. A
// username match wins over an email match.
func (s *UserStore) FindUserByLogin(ctx context.Context, login string) (*mangahub.User, error) {
	row := s.db.read.QueryRowContext(ctx, `
		SELECT id, username, email, password_hash, role, created_at
		FROM users
		WHERE lower(username) = lower(?1) OR lower(email) = lower(?1)
		ORDER BY lower(username) = lower(?1) DESC
		LIMIT 1`, login)
	return s.scan(ctx, row)
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
