// Package auth holds MangaHub's account use cases: registration, login with
// bcrypt-hashed passwords, stateless HS256 access tokens, and opaque refresh
// tokens that rotate on every use and are stored only as hashes.
package auth

import (
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mangahub/mangahub"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 720 * time.Hour
	DefaultBcryptCost = bcrypt.DefaultCost
	// MinBcryptCost is the lowest cost New accepts.
	MinBcryptCost = 10
	// MinSecretLen is the shortest HMAC key accepted anywhere (configuration,
	// a generated secret file, New).
	MinSecretLen = 32
)

// Config tunes a Service. Zero fields take the defaults above.
type Config struct {
	// Secret is the HMAC key of access tokens, at least MinSecretLen bytes.
	Secret     []byte
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	BcryptCost int
	// MaxConcurrentHashes bounds concurrent bcrypt operations, so that a
	// login flood queues instead of starving the CPU (default: NumCPU).
	MaxConcurrentHashes int
	// UserCacheTTL is how long Authenticate trusts what the store said of
	// a user (that it exists, its name and role) before asking again; the
	// bound on how stale a deletion or demotion made elsewhere can be
	// (default DefaultUserCacheTTL; negative: ask on every call).
	UserCacheTTL time.Duration
	Now          func() time.Time
}

// Service implements the auth use cases over the root's stores.
type Service struct {
	users      mangahub.UserStore
	tokens     mangahub.RefreshTokenStore
	secret     []byte
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
	hasher     *hasher

	// The caches of Authenticate (cache.go): verified access tokens by
	// their text, and users by ID.
	tokenCache *boundedCache[verifiedToken]
	userCache  *boundedCache[cachedUser]
	userTTL    time.Duration
}

// Session is what a login or a refresh hands to the client.
type Session struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
	// RefreshExpiresAt is when the refresh token stops working (a browser
	// keeps its cookie until then).
	RefreshExpiresAt time.Time
	// User has no password hash.
	User *mangahub.User
}

// New returns a Service. It panics on a secret shorter than MinSecretLen or a
// bcrypt cost below MinBcryptCost: the configuration is validated before
// this point, so either is a programming error.
func New(users mangahub.UserStore, tokens mangahub.RefreshTokenStore, cfg Config) *Service {
	return newService(users, tokens, cfg, MinBcryptCost)
}

// newService lets tests lower the cost floor, so hashing does not dominate
// the test run; production always goes through New.
func newService(users mangahub.UserStore, tokens mangahub.RefreshTokenStore, cfg Config, minCost int) *Service {
	if len(cfg.Secret) < MinSecretLen {
		panic("auth: secret shorter than 32 bytes")
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = DefaultBcryptCost
	}
	if cfg.BcryptCost < minCost || cfg.BcryptCost > bcrypt.MaxCost {
		panic("auth: bcrypt cost out of range")
	}
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = runtime.NumCPU()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UserCacheTTL == 0 {
		cfg.UserCacheTTL = DefaultUserCacheTTL
	}
	return &Service{
		users:  users,
		tokens: tokens,
		// A private copy: the caller may reuse or wipe its slice.
		secret:     append([]byte(nil), cfg.Secret...),
		accessTTL:  cfg.AccessTTL,
		refreshTTL: cfg.RefreshTTL,
		now:        cfg.Now,
		hasher:     newHasher(cfg.BcryptCost, cfg.MaxConcurrentHashes),
		tokenCache: newBoundedCache(defaultCacheEntries, func(v verifiedToken, now time.Time) bool {
			return !now.Before(v.exp)
		}),
		userCache: newBoundedCache(defaultCacheEntries, func(u cachedUser, now time.Time) bool {
			return !now.Before(u.until)
		}),
		userTTL: cfg.UserCacheTTL,
	}
}

// storeError keeps the store's own *mangahub.Error (its code and safe
// message) and hides anything else behind "internal error".
func storeError(err error) error {
	return mangahub.AsError(err)
}

// withoutHash returns a copy of u that is safe to hand out.
func withoutHash(u *mangahub.User) *mangahub.User {
	c := *u
	c.PasswordHash = ""
	return &c
}
