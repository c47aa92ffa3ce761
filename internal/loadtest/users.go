package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
)

// LoadPassword is the password of every load-test user. The tools never
// log in (they mint tokens), but a person can, to look around.
const LoadPassword = "load-test-password"

// UserName is the name of the i-th load-test user with the given prefix.
func UserName(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i) }

// EnsureUsers makes sure users prefix00000 … prefix(n-1) exist and returns
// them in order. New users are inserted through the UserStore with one
// bcrypt hash (cost 10) shared by all: hashing a thousand passwords would
// take a minute of both cores and measure nothing.
func EnsureUsers(ctx context.Context, users mangahub.UserStore, prefix string, n int) ([]*mangahub.User, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(LoadPassword), auth.MinBcryptCost)
	if err != nil {
		return nil, err
	}
	out := make([]*mangahub.User, n)
	for i := range n {
		name := UserName(prefix, i)
		u, err := users.FindUserByLogin(ctx, name)
		if err == nil {
			out[i] = u
			continue
		}
		if !mangahub.IsCode(err, mangahub.CodeNotFound) {
			return nil, fmt.Errorf("find user %s: %w", name, err)
		}
		u = &mangahub.User{
			ID:           uuid.NewString(),
			Username:     name,
			Email:        name + "@load.example.invalid",
			PasswordHash: string(hash),
			Role:         mangahub.RoleUser,
			CreatedAt:    time.Now().UTC().Truncate(time.Microsecond),
		}
		if err := users.CreateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("create user %s: %w", name, err)
		}
		out[i] = u
	}
	return out, nil
}

// MintTokens signs one access token per user with the secret the server
// uses (MANGAHUB_JWT_SECRET, or DATA_DIR/jwt.secret for embedded storage),
// valid for ttl.
func MintTokens(cfg *config.Config, stores *server.Stores, users []*mangahub.User, ttl time.Duration) ([]string, error) {
	secret, err := server.JWTSecret(cfg)
	if err != nil {
		return nil, err
	}
	svc := auth.New(stores.Users, stores.Tokens, auth.Config{Secret: secret, AccessTTL: ttl})
	tokens := make([]string, len(users))
	for i, u := range users {
		if tokens[i], err = svc.IssueAccessToken(u); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}
