package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/mangahub/mangahub"
)

// refreshTokenBytes of entropy make a refresh token unguessable; base64url
// without padding turns them into refreshTokenLen characters.
const refreshTokenBytes = 32

var refreshTokenLen = base64.RawURLEncoding.EncodedLen(refreshTokenBytes)

var errInvalidRefreshToken = mangahub.Errorf(mangahub.CodeInvalidToken, "invalid or expired refresh token")

// newRefreshToken returns a fresh opaque token and the hash it is stored as.
func newRefreshToken() (token, hash string) {
	var b [refreshTokenBytes]byte
	// crypto/rand.Read never fails (it crashes the program instead).
	_, _ = rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashRefreshToken(token)
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
	if len(token) != refreshTokenLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil && len(b) == refreshTokenBytes
}

// Refresh trades a refresh token for a new pair. The old token is consumed
// atomically, so a replayed (stolen or duplicated) token fails.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Session, error) {
	if !wellFormedRefreshToken(refreshToken) {
		return nil, errInvalidRefreshToken
	}
	now := s.now()
	token, hash := newRefreshToken()
	next := &mangahub.RefreshToken{Hash: hash, CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL)}
	userID, err := s.tokens.RotateRefreshToken(ctx, hashRefreshToken(refreshToken), next, now)
	if mangahub.IsCode(err, mangahub.CodeInvalidToken) || mangahub.IsCode(err, mangahub.CodeNotFound) {
		return nil, errInvalidRefreshToken
	}
	if err != nil {
		return nil, storeError(err)
	}
	u, err := s.users.FindUserByID(ctx, userID)
	if mangahub.IsCode(err, mangahub.CodeNotFound) {
		// The user was deleted; the token just minted must not outlive it.
		_ = s.tokens.DeleteRefreshToken(ctx, hash)
		return nil, errInvalidRefreshToken
	}
	if err != nil {
		return nil, storeError(err)
	}
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
	token, hash := newRefreshToken()
	rt := &mangahub.RefreshToken{Hash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL)}
	if err := s.tokens.CreateRefreshToken(ctx, rt); err != nil {
		return nil, storeError(err)
	}
	return &Session{AccessToken: access, RefreshToken: token, ExpiresIn: s.accessTTL, RefreshExpiresAt: rt.ExpiresAt, User: withoutHash(u)}, nil
}
