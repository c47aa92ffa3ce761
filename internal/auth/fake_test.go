package auth_test

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// userStore is an in-memory mangahub.UserStore.
type userStore struct {
	mu    sync.Mutex
	users map[string]*mangahub.User
	finds int // FindUserByID calls
}

func newUserStore() *userStore { return &userStore{users: map[string]*mangahub.User{}} }

func (s *userStore) CreateUser(_ context.Context, u *mangahub.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.users {
		if strings.EqualFold(o.Username, u.Username) {
			return mangahub.Errorf(mangahub.CodeUsernameTaken, "username is taken")
		}
		if strings.EqualFold(o.Email, u.Email) {
			return mangahub.Errorf(mangahub.CodeEmailTaken, "email is taken")
		}
	}
	c := *u
	s.users[u.ID] = &c
	return nil
}

func (s *userStore) FindUserByID(_ context.Context, id string) (*mangahub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finds++
	if u, ok := s.users[id]; ok {
		c := *u
		return &c, nil
	}
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "user not found")
}

func (s *userStore) FindUserByLogin(_ context.Context, login string) (*mangahub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if strings.EqualFold(u.Username, login) || strings.EqualFold(u.Email, login) {
			c := *u
			return &c, nil
		}
	}
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "user not found")
}

// stored returns the stored record, hash included.
func (s *userStore) stored(id string) *mangahub.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		c := *u
		return &c
	}
	return nil
}

func (s *userStore) findCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finds
}

func (s *userStore) setRole(id string, r mangahub.Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id].Role = r
}

func (s *userStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
}

// tokenStore is an in-memory mangahub.RefreshTokenStore.
type tokenStore struct {
	mu      sync.Mutex
	tokens  map[string]mangahub.RefreshToken
	rotates int
}

func newTokenStore() *tokenStore { return &tokenStore{tokens: map[string]mangahub.RefreshToken{}} }

func (s *tokenStore) CreateRefreshToken(_ context.Context, t *mangahub.RefreshToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Hash] = *t
	return nil
}

func (s *tokenStore) RotateRefreshToken(_ context.Context, oldHash string, next *mangahub.RefreshToken, now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotates++
	old, ok := s.tokens[oldHash]
	if !ok && next.Family != "" {
		for h, t := range s.tokens {
			if t.Family == next.Family {
				delete(s.tokens, h)
				return "", mangahub.ErrRefreshTokenReused
			}
		}
	}
	if !ok || !old.ExpiresAt.After(now) {
		return "", mangahub.Errorf(mangahub.CodeInvalidToken, "invalid refresh token")
	}
	delete(s.tokens, oldHash)
	next.UserID = old.UserID
	s.tokens[next.Hash] = *next
	return old.UserID, nil
}

func (s *tokenStore) DeleteRefreshToken(_ context.Context, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, hash)
	return nil
}

func (s *tokenStore) snapshot() map[string]mangahub.RefreshToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]mangahub.RefreshToken, len(s.tokens))
	for k, v := range s.tokens {
		m[k] = v
	}
	return m
}

func (s *tokenStore) rotateCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotates
}
