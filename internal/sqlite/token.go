package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/mangahub/mangahub"
)

// RefreshTokenStore persists refresh tokens by hash.
type RefreshTokenStore struct{ db *DB }

var _ mangahub.RefreshTokenStore = (*RefreshTokenStore)(nil)

// NewRefreshTokenStore returns the refresh tokens of db.
func NewRefreshTokenStore(db *DB) *RefreshTokenStore { return &RefreshTokenStore{db: db} }

// CreateRefreshToken inserts t; a zero CreatedAt is set to now. An unknown
// user is CodeNotFound. The user's tokens expired by t.CreatedAt go in the
// same transaction: tokens never presented again would pile up otherwise.
func (s *RefreshTokenStore) CreateRefreshToken(ctx context.Context, t *mangahub.RefreshToken) error {
	return s.db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := insertToken(ctx, tx, t); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at <= ?`,
			t.UserID, toMicros(t.CreatedAt))
		return err
	})
}

// RotateRefreshToken deletes the token with oldHash and inserts next in the
// same transaction. Writes are serialised on the one write connection, so of
// two rotations of one token the second finds it gone, and takes the family
// with it.
func (s *RefreshTokenStore) RotateRefreshToken(ctx context.Context, oldHash string, next *mangahub.RefreshToken, at time.Time) (string, error) {
	var (
		userID  string
		invalid bool
		reused  bool
	)
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		var expires int64
		err := tx.QueryRowContext(ctx,
			`DELETE FROM refresh_tokens WHERE hash = ? RETURNING user_id, expires_at`, oldHash).
			Scan(&userID, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			invalid = true
			if next.Family == "" {
				return nil
			}
			// Spent or never issued: the family's live token goes too.
			res, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE family = ?`, next.Family)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			reused = n > 0
			return err
		}
		if err != nil {
			return err
		}
		if expires <= toMicros(at) {
			// Commit the delete all the same: an expired token is of no
			// use to anyone.
			invalid = true
			return nil
		}
		next.UserID = userID
		return insertToken(ctx, tx, next)
	})
	if err != nil {
		return "", err
	}
	if reused {
		return "", mangahub.ErrRefreshTokenReused
	}
	if invalid {
		return "", invalidToken()
	}
	return userID, nil
}

// DeleteRefreshToken removes the token if it exists.
func (s *RefreshTokenStore) DeleteRefreshToken(ctx context.Context, hash string) error {
	return s.db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE hash = ?`, hash)
		return err
	})
}

func insertToken(ctx context.Context, tx *sql.Tx, t *mangahub.RefreshToken) error {
	created := stored(t.CreatedAt)
	if t.CreatedAt.IsZero() {
		created = now()
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO refresh_tokens (hash, user_id, family, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.UserID, t.Family, toMicros(created), toMicros(t.ExpiresAt))
	switch {
	case foreignKeyViolation(err):
		return notFound("user")
	case uniqueViolation(err, "refresh_tokens.hash"), uniqueViolation(err, "refresh_tokens.family"):
		return mangahub.Errorf(mangahub.CodeConflict, "refresh token already exists")
	case err != nil:
		return err
	}
	t.CreatedAt = created
	return nil
}

func invalidToken() error {
	return mangahub.Errorf(mangahub.CodeInvalidToken, "refresh token is invalid or expired")
}
