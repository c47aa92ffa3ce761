package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/testenv"
)

func oneHashAtATime(c *auth.Config) { c.MaxConcurrentHashes = 1 }

func TestHashesQueueForASlot(t *testing.T) {
	e := newEnv(t, oneHashAtATime)
	e.register(t, "reader", mangahub.RoleUser)
	release, err := auth.HoldHashSlot(context.Background(), e.svc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if release != nil {
			release()
		}
	})

	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(context.Background(), "reader", password)
		done <- err
	}()
	testenv.Eventually(t, 5*time.Second, "the login to queue", func() bool { return auth.HashWaiters(e.svc) == 1 })
	select {
	case err := <-done:
		t.Fatalf("login finished while the only slot was taken: %v", err)
	default:
	}
	release()
	release = nil
	if err := <-done; err != nil {
		t.Fatalf("queued login: %v", err)
	}
}

func TestCancelledRequestLeavesTheQueue(t *testing.T) {
	for _, tt := range []struct {
		name string
		call func(context.Context, *auth.Service) error
	}{
		{"login", func(ctx context.Context, s *auth.Service) error {
			_, err := s.Login(ctx, "reader", password)
			return err
		}},
		{"unknown user", func(ctx context.Context, s *auth.Service) error {
			_, err := s.Login(ctx, "nobody", password)
			return err
		}},
		{"register", func(ctx context.Context, s *auth.Service) error {
			_, err := s.Register(ctx, "newcomer", "new@example.com", password)
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneHashAtATime)
			e.register(t, "reader", mangahub.RoleUser)
			release, err := auth.HoldHashSlot(context.Background(), e.svc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(release)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tt.call(ctx, e.svc) }()
			testenv.Eventually(t, 5*time.Second, "the request to queue", func() bool { return auth.HashWaiters(e.svc) == 1 })
			cancel()
			wantCode(t, <-done, mangahub.CodeUnavailable)
			if n := auth.HashWaiters(e.svc); n != 0 {
				t.Fatalf("%d waiters left in the queue", n)
			}
		})
	}
}

func TestNewRefusesWeakSettings(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  auth.Config
	}{
		{"short secret", auth.Config{Secret: make([]byte, 31)}},
		{"low bcrypt cost", auth.Config{Secret: secret, BcryptCost: 9}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			auth.New(newUserStore(), newTokenStore(), tt.cfg)
		})
	}
}
