package auth

import (
	"context"

	"golang.org/x/crypto/bcrypt"

	"github.com/mangahub/mangahub"
)

// NewForTest is New with bcrypt's minimum cost allowed, so tests stay fast.
func NewForTest(users mangahub.UserStore, tokens mangahub.RefreshTokenStore, cfg Config) *Service {
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.MinCost
	}
	return newService(users, tokens, cfg, bcrypt.MinCost)
}

// HashOps counts the bcrypt operations that got a slot.
func HashOps(s *Service) int64 { return s.hasher.ops.Load() }

// HashWaiters counts callers queued for a bcrypt slot.
func HashWaiters(s *Service) int64 { return s.hasher.waiting.Load() }

// HoldHashSlot takes a bcrypt slot until release is called.
func HoldHashSlot(ctx context.Context, s *Service) (release func(), err error) {
	return s.hasher.acquire(ctx)
}

// LimitCaches bounds Authenticate's caches to n entries each; before use.
func LimitCaches(s *Service, n int) { s.tokenCache.max, s.userCache.max = n, n }

// CachedTokens and CachedUsers count the entries of Authenticate's caches.
func CachedTokens(s *Service) int { return s.tokenCache.len() }
func CachedUsers(s *Service) int  { return s.userCache.len() }
