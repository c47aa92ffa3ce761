package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"

	"github.com/mangahub/mangahub"
)

// hasher runs bcrypt behind a semaphore. bcrypt is deliberately slow; without
// a bound, a burst of logins would occupy every core and stall all other
// requests. Waiting for a slot honours ctx, so a client that gives up also
// leaves the queue.
type hasher struct {
	cost  int
	slots chan struct{}
	// dummy is compared against when a login names no user, so that an
	// unknown name costs the same as a wrong password.
	dummy []byte

	ops     atomic.Int64 // bcrypt operations started
	waiting atomic.Int64 // callers queued for a slot
}

func newHasher(cost, slots int) *hasher {
	h := &hasher{cost: cost, slots: make(chan struct{}, slots)}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		// Only an invalid cost fails, and New checked it.
		panic("auth: dummy hash: " + err.Error())
	}
	h.dummy = dummy
	return h
}

// acquire takes a slot, or fails with unavailable when ctx ends first.
func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, mangahub.Unavailable(err)
	}
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
		h.ops.Add(1)
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, mangahub.Unavailable(ctx.Err())
	}
}

// hash returns the bcrypt hash of password.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", mangahub.Internal(err)
	}
	return string(b), nil
}

// compare reports whether password matches hash. A malformed stored hash is
// an internal error, not a wrong password, so it gets noticed.
func (h *hasher) compare(ctx context.Context, hash, password string) (bool, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, mangahub.Internal(err)
	}
}

// burn spends the time of one compare and always fails.
func (h *hasher) burn(ctx context.Context, password string) error {
	_, err := h.compare(ctx, string(h.dummy), password)
	return err
}
