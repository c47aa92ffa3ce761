package auth

import (
	"context"

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

// parser accepts HS256 only: "none", RS256 with the HMAC secret posing as a
// public key, and every other algorithm are refused before any claim is read.
// Claims are checked by hand (verify) so that "expired" is reported only for
// a token that is otherwise a well-formed access token of ours.
var parser = jwt.NewParser(
	jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
	jwt.WithoutClaimsValidation(),
	jwt.WithStrictDecoding(),
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
// token is accepted only for a user that exists (CONTRACT.md §2), so the
// user is looked up: the tokens of a user removed from the database stop
// working at once. The identity is the stored user's, read by that lookup
// anyway, rather than the token's copy of it.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (mangahub.Identity, error) {
	c, err := s.verify(accessToken)
	if err != nil {
		return mangahub.Identity{}, err
	}
	u, err := s.users.FindUserByID(ctx, c.Subject)
	if mangahub.IsCode(err, mangahub.CodeNotFound) {
		return mangahub.Identity{}, errInvalidToken
	}
	if err != nil {
		return mangahub.Identity{}, storeError(err)
	}
	return mangahub.Identity{UserID: u.ID, Username: u.Username, Role: u.Role}, nil
}

// verify checks the signature and every claim of an access token.
func (s *Service) verify(token string) (*accessClaims, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, errInvalidToken
	}
	var c accessClaims
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// Belt and braces: WithValidMethods already pinned the algorithm.
		if t.Method != jwt.SigningMethodHS256 {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return s.secret, nil
	})
	if err != nil {
		return nil, errInvalidToken
	}
	if c.Issuer != issuer || c.Type != tokenTypeAccess || !validRole(c.Role) ||
		c.Username == "" || c.IssuedAt == nil || c.ExpiresAt == nil ||
		c.UserID != c.Subject || !isUUID(c.Subject) {
		return nil, errInvalidToken
	}
	now := s.now()
	if c.NotBefore != nil && now.Before(c.NotBefore.Time) {
		return nil, errInvalidToken
	}
	if !now.Before(c.ExpiresAt.Time) {
		return nil, errTokenExpired
	}
	return &c, nil
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
