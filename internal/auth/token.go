package auth

import (
	"context"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/mangahub/mangahub"
)

const (
	issuer          = "mangahub"
	tokenTypeAccess = "access"
	// maxTokenLen bounds what is handed to the JWT parser; a real access
	// token is a few hundred bytes.
	maxTokenLen = 4096
)

// accessClaims is the payload of an access token (CONTRACT.md §2 Auth). sub
// and user_id carry the same UUID: sub for JWT tooling, user_id for clients.
type accessClaims struct {
	UserID   string        `json:"user_id"`
	Username string        `json:"username"`
	Role     mangahub.Role `json:"role"`
	Type     string        `json:"type"`
	jwt.RegisteredClaims
}

var (
	errInvalidToken = mangahub.Errorf(mangahub.CodeInvalidToken, "invalid access token")
	errTokenExpired = mangahub.Errorf(mangahub.CodeTokenExpired, "access token has expired")
)

// IssueAccessToken signs a fresh access token for u.
func (s *Service) IssueAccessToken(u *mangahub.User) (string, error) {
	now := s.now()
	c := accessClaims{
		UserID:   u.ID,
		Username: u.Username,
		Role:     u.Role,
		Type:     tokenTypeAccess,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   u.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.accessTTL)),
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", mangahub.Internal(err)
	}
	return tok, nil
}

// Authenticate verifies an access token and returns who it acts for. A
// token is accepted only for a user that exists (CONTRACT.md §2), and the
// identity is the stored user's rather than the token's copy of it: no API
// changes a role or deletes a user, but an operator may, in the database.
// Both answers are cached (cache.go), so such a change reaches requests
// within Config.UserCacheTTL.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (mangahub.Identity, error) {
	now := s.now()
	userID, err := s.verifyCached(accessToken, now)
	if err != nil {
		return mangahub.Identity{}, err
	}
	return s.identity(ctx, userID, now)
}

// verifyCached returns the user a valid access token acts for, verifying
// the token only the first time it is seen.
func (s *Service) verifyCached(token string, now time.Time) (string, error) {
	if token == "" || len(token) > maxTokenLen {
		return "", errInvalidToken
	}
	if v, ok := s.tokenCache.get(token); ok {
		if !now.Before(v.exp) {
			s.tokenCache.remove(token)
			return "", errTokenExpired
		}
		return v.userID, nil
	}
	v, err := s.verify(token, now)
	if err != nil {
		return "", err
	}
	s.tokenCache.put(token, v, now)
	return v.userID, nil
}

// identity answers "does this user still exist, and as what", from the
// cache while its entry is fresh.
func (s *Service) identity(ctx context.Context, userID string, now time.Time) (mangahub.Identity, error) {
	if u, ok := s.userCache.get(userID); ok && now.Before(u.until) {
		if u.missing {
			return mangahub.Identity{}, errInvalidToken
		}
		return u.id, nil
	}
	u, err := s.users.FindUserByID(ctx, userID)
	if mangahub.IsCode(err, mangahub.CodeNotFound) {
		// Remembered too: a deleted user's tokens must not cost a read each.
		s.rememberUser(userID, nil, now)
		return mangahub.Identity{}, errInvalidToken
	}
	if err != nil {
		return mangahub.Identity{}, storeError(err) // not cached: the store may be back next time
	}
	return s.rememberUser(userID, u, now).id, nil
}

// rememberUser caches what the store said of userID (u nil: no such user).
func (s *Service) rememberUser(userID string, u *mangahub.User, now time.Time) cachedUser {
	c := cachedUser{missing: u == nil, until: now.Add(s.userTTL)}
	if u != nil {
		c.id = mangahub.Identity{UserID: u.ID, Username: u.Username, Role: u.Role}
	}
	if s.userTTL > 0 {
		s.userCache.put(userID, c, now)
	}
	return c
}

// parser accepts HS256 only: "none", RS256 with the HMAC secret posing as a
// public key and every other algorithm are refused before the key is used.
// Claims are checked by hand (verify) so that "expired" is reported only for
// an otherwise valid token. Built once; verified tokens are cached, so it
// runs once per token.
var parser = jwt.NewParser(
	jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
	jwt.WithoutClaimsValidation(),
)

// verify checks the signature and every claim of an access token.
func (s *Service) verify(token string, now time.Time) (verifiedToken, error) {
	var c accessClaims
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// Belt and braces: WithValidMethods already pinned the algorithm.
		if t.Method != jwt.SigningMethodHS256 {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return s.secret, nil
	})
	if err != nil {
		return verifiedToken{}, errInvalidToken
	}
	if c.Issuer != issuer || c.Type != tokenTypeAccess || !validRole(c.Role) ||
		c.Username == "" || !plausibleDate(c.IssuedAt) || !plausibleDate(c.ExpiresAt) ||
		c.UserID != c.Subject || !isUUID(c.Subject) {
		return verifiedToken{}, errInvalidToken
	}
	if c.NotBefore != nil && now.Before(c.NotBefore.Time) {
		return verifiedToken{}, errInvalidToken
	}
	if !now.Before(c.ExpiresAt.Time) {
		return verifiedToken{}, errTokenExpired
	}
	return verifiedToken{userID: c.Subject, exp: c.ExpiresAt.Time}, nil
}

// plausibleDate refuses a missing date and one outside 1970–5000 (a number
// too large for a time wraps around when decoded).
func plausibleDate(d *jwt.NumericDate) bool {
	const maxSeconds = 95_617_584_000 // 5000-01-01
	return d != nil && d.Unix() >= 0 && d.Unix() <= maxSeconds
}

// isUUID keeps garbage IDs away from the store, where a PostgreSQL uuid
// column would answer with a driver error instead of "not found".
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func validRole(r mangahub.Role) bool {
	return r == mangahub.RoleUser || r == mangahub.RoleAdmin
}
