package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/mangahub/mangahub"
)

// A refresh token is familyBytes naming the login it descends from (its
// family, shared by every token rotated from that login) followed by
// secretBytes of entropy that make it unguessable, in base64url without
// padding. The family travels in the token so that a token already rotated,
// and so no longer stored, still names the session to revoke when it is
// presented again (reuse detection). Tokens issued before families existed
// are secret alone.
const (
	familyBytes = 16
	secretBytes = 32
)

var (
	refreshTokenLen       = base64.RawURLEncoding.EncodedLen(familyBytes + secretBytes)
	legacyRefreshTokenLen = base64.RawURLEncoding.EncodedLen(secretBytes)
)

var errInvalidRefreshToken = mangahub.Errorf(mangahub.CodeInvalidToken, "invalid or expired refresh token")

// newFamily returns the family ID of a new login.
func newFamily() []byte {
	b := make([]byte, familyBytes)
	// crypto/rand.Read never fails (it crashes the program instead).
	_, _ = rand.Read(b)
	return b
}

// newRefreshToken returns a fresh opaque token of family and the form it
// is stored in.
func newRefreshToken(family []byte) (token string, stored *mangahub.RefreshToken) {
	b := make([]byte, familyBytes+secretBytes)
	copy(b, family)
	_, _ = rand.Read(b[familyBytes:])
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, &mangahub.RefreshToken{Hash: hashRefreshToken(token), Family: hex.EncodeToString(family)}
}

// familyOf returns the family a well-formed token names; nil for a token
// from before families.
func familyOf(token string) []byte {
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != familyBytes+secretBytes {
		return nil
	}
	return b[:familyBytes]
}

// hashRefreshToken is the stored form of a token. The token has 256 bits of
// entropy, so a plain SHA-256 (no salt, no stretching) cannot be reversed,
// and it lets the store look the token up by hash.
func hashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormedRefreshToken rejects strings that cannot be one of ours without
// asking the store.
func wellFormedRefreshToken(token string) bool {
	if len(token) != refreshTokenLen && len(token) != legacyRefreshTokenLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil && (len(b) == familyBytes+secretBytes || len(b) == secretBytes)
}

// Refresh trades a refresh token for a new pair of the same family. The old
// token is consumed atomically, so a replayed (stolen or duplicated) token
// fails; and since it names its family, the token it was rotated into is
// revoked with it (OAuth 2.0 Security BCP, refresh token reuse detection):
// whoever holds the newer token, thief or owner, must log in again.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Session, error) {
	if !wellFormedRefreshToken(refreshToken) {
		return nil, errInvalidRefreshToken
	}
	now := s.now()
	family := familyOf(refreshToken)
	if family == nil {
		family = newFamily() // a token from before families starts one
	}
	token, next := newRefreshToken(family)
	next.CreatedAt, next.ExpiresAt = now, now.Add(s.refreshTTL)
	hash := next.Hash
	userID, err := s.tokens.RotateRefreshToken(ctx, hashRefreshToken(refreshToken), next, now)
	if errors.Is(err, mangahub.ErrRefreshTokenReused) {
		return nil, err // says why the session ended
	}
	if mangahub.IsCode(err, mangahub.CodeInvalidToken) || mangahub.IsCode(err, mangahub.CodeNotFound) {
		return nil, errInvalidRefreshToken
	}
	if err != nil {
		return nil, storeError(err)
	}
	u, err := s.users.FindUserByID(ctx, userID)
	if mangahub.IsCode(err, mangahub.CodeNotFound) {
		// The user was deleted; the token just minted must not outlive it,
		// nor the access tokens Authenticate still remembers.
		_ = s.tokens.DeleteRefreshToken(ctx, hash)
		s.rememberUser(userID, nil, now)
		return nil, errInvalidRefreshToken
	}
	if err != nil {
		return nil, storeError(err)
	}
	// The store was asked anyway: Authenticate may as well know.
	s.rememberUser(u.ID, u, now)
	access, err := s.IssueAccessToken(u)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, RefreshToken: token, ExpiresIn: s.accessTTL, RefreshExpiresAt: next.ExpiresAt, User: withoutHash(u)}, nil
}

// Logout revokes a refresh token. Access tokens are stateless and simply
// expire. An unknown or malformed token is not an error: the caller's goal,
// that the token no longer works, holds either way.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	if !wellFormedRefreshToken(refreshToken) {
		return nil
	}
	if err := s.tokens.DeleteRefreshToken(ctx, hashRefreshToken(refreshToken)); err != nil {
		return storeError(err)
	}
	return nil
}

// newSession issues an access token and a stored refresh token for u.
func (s *Service) newSession(ctx context.Context, u *mangahub.User) (*Session, error) {
	access, err := s.IssueAccessToken(u)
	if err != nil {
		return nil, err
	}
	now := s.now()
	token, rt := newRefreshToken(newFamily())
	rt.UserID, rt.CreatedAt, rt.ExpiresAt = u.ID, now, now.Add(s.refreshTTL)
	if err := s.tokens.CreateRefreshToken(ctx, rt); err != nil {
		return nil, storeError(err)
	}
	return &Session{AccessToken: access, RefreshToken: token, ExpiresIn: s.accessTTL, RefreshExpiresAt: rt.ExpiresAt, User: withoutHash(u)}, nil
}
