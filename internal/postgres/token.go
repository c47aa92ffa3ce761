package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
)

// RefreshTokenStore persists refresh tokens by hash.
type RefreshTokenStore struct{ db *DB }

var _ mangahub.RefreshTokenStore = (*RefreshTokenStore)(nil)

// NewRefreshTokenStore returns the refresh tokens of db.
func NewRefreshTokenStore(db *DB) *RefreshTokenStore { return &RefreshTokenStore{db: db} }

// CreateRefreshToken inserts t; a zero CreatedAt is set to now. An unknown
// user is CodeNotFound.
func (s *RefreshTokenStore) CreateRefreshToken(ctx context.Context, t *mangahub.RefreshToken) error {
	return s.db.writeTx(ctx, func(tx pgx.Tx) error {
		if err := insertToken(ctx, tx, t); err != nil {
			return err
		}
		// The user's tokens expired by now would pile up otherwise.
		_, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at <= $2`,
			t.UserID, t.CreatedAt)
		return err
	})
}

// RotateRefreshToken deletes the token with oldHash and inserts next in the
// same transaction. Of two concurrent rotations of one token, the second
// DELETE waits for the first to commit and then finds no row, and so takes
// the family's new token with it (reuse detection).
func (s *RefreshTokenStore) RotateRefreshToken(ctx context.Context, oldHash string, next *mangahub.RefreshToken, at time.Time) (string, error) {
	var (
		userID        string
		valid, reused bool
	)
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`DELETE FROM refresh_tokens WHERE hash = $1 RETURNING user_id, expires_at > $2`, oldHash, at).
			Scan(&userID, &valid)
		if errors.Is(err, pgx.ErrNoRows) {
			if next.Family == "" {
				return nil
			}
			// Spent or never issued: the family's live token goes too.
			tag, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE family = $1`, next.Family)
			reused = tag.RowsAffected() > 0
			return err
		}
		if err != nil || !valid {
			// An expired token is deleted all the same: it is of no use
			// to anyone.
			return err
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
	if !valid {
		return "", invalidToken()
	}
	return userID, nil
}

// DeleteRefreshToken removes the token if it exists.
func (s *RefreshTokenStore) DeleteRefreshToken(ctx context.Context, hash string) error {
	return s.db.writeTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE hash = $1`, hash)
		return err
	})
}

func insertToken(ctx context.Context, tx pgx.Tx, t *mangahub.RefreshToken) error {
	created := stored(t.CreatedAt)
	if t.CreatedAt.IsZero() {
		created = stored(time.Now())
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO refresh_tokens (hash, user_id, family, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`,
		t.Hash, t.UserID, t.Family, created, t.ExpiresAt)
	switch {
	case violation(err, "refresh_tokens_user_id_fkey"):
		return notFound("user")
	case violation(err, "refresh_tokens_pkey"), violation(err, "refresh_tokens_family_key"):
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
