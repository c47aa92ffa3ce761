package storetest

import (
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

func testUsers(t *testing.T, open func(*testing.T) Stores) {
	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		created := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("CEST", 2*60*60))
		u := &mangahub.User{
			ID:           "6f1c2b6e-8d0a-4c1e-9a51-0d9b1e2f3a4b",
			Username:     "Alice_01",
			Email:        "Alice@Example.com",
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuv",
			Role:         mangahub.RoleAdmin,
			CreatedAt:    created,
		}
		want := *u
		want.CreatedAt = stored(created)
		if err := s.Users.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		equal(t, "user after CreateUser", *u, want)

		got, err := s.Users.FindUserByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("FindUserByID: %v", err)
		}
		equal(t, "FindUserByID", *got, want)

		for _, login := range []string{"Alice_01", "alice_01", "ALICE_01", "Alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM"} {
			got, err := s.Users.FindUserByLogin(ctx, login)
			if err != nil {
				t.Errorf("FindUserByLogin(%q): %v", login, err)
				continue
			}
			equal(t, "FindUserByLogin("+login+")", *got, want)
		}
	})

	// Non-ASCII names fold by the same rule on every engine (SQLite's
	// lower() folds ASCII only, PostgreSQL's follows the database locale).
	t.Run("NonASCIIEmail", func(t *testing.T) {
		s := open(t)
		u := userN(1)
		u.Email = "Émile.Zoë@Exämple.org"
		mustCreateUser(t, s, u)
		for _, login := range []string{"Émile.Zoë@Exämple.org", "émile.zoë@exämple.org", "ÉMILE.ZOË@EXÄMPLE.ORG", " émile.zoë@exämple.org "} {
			got, err := s.Users.FindUserByLogin(t.Context(), login)
			if err != nil {
				t.Errorf("FindUserByLogin(%q): %v", login, err)
				continue
			}
			equal(t, "FindUserByLogin("+login+")", *got, *u)
		}
		other := userN(2)
		other.Email = "ÉMILE.ZOË@exämple.ORG"
		wantCode(t, "CreateUser with the email in other case", s.Users.CreateUser(t.Context(), other), mangahub.CodeEmailTaken)
		_, err := s.Users.FindUserByLogin(t.Context(), "emile.zoe@example.org")
		wantCode(t, "FindUserByLogin without the accents", err, mangahub.CodeNotFound)
	})

	t.Run("Defaults", func(t *testing.T) {
		s := open(t)
		u := userN(1)
		u.CreatedAt, u.Role = time.Time{}, ""
		before := time.Now()
		mustCreateUser(t, s, u)
		after := time.Now()
		serverTime(t, "CreatedAt", u.CreatedAt, before, after)
		if u.Role != mangahub.RoleUser {
			t.Errorf("Role = %q, want %q", u.Role, mangahub.RoleUser)
		}
		got, err := s.Users.FindUserByID(t.Context(), u.ID)
		if err != nil {
			t.Fatalf("FindUserByID: %v", err)
		}
		equal(t, "FindUserByID", *got, *u)
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, userN(1))
		ctx := t.Context()
		_, err := s.Users.FindUserByID(ctx, userN(2).ID)
		wantCode(t, "FindUserByID(unknown)", err, mangahub.CodeNotFound)
		for _, login := range []string{"user2", "user2@example.com", "", "user"} {
			_, err := s.Users.FindUserByLogin(ctx, login)
			wantCode(t, "FindUserByLogin("+login+")", err, mangahub.CodeNotFound)
		}
	})

	t.Run("Taken", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(u *mangahub.User)
			code   mangahub.ErrorCode
		}{
			{"same username", func(u *mangahub.User) { u.Username = "user1" }, mangahub.CodeUsernameTaken},
			{"username in other case", func(u *mangahub.User) { u.Username = "USER1" }, mangahub.CodeUsernameTaken},
			{"same email", func(u *mangahub.User) { u.Email = "user1@example.com" }, mangahub.CodeEmailTaken},
			{"email in other case", func(u *mangahub.User) { u.Email = "User1@EXAMPLE.com" }, mangahub.CodeEmailTaken},
			{"same id", func(u *mangahub.User) { u.ID = userN(1).ID }, mangahub.CodeConflict},
		}
		s := open(t)
		first := mustCreateUser(t, s, userN(1))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := userN(2)
				tt.change(u)
				wantCode(t, "CreateUser", s.Users.CreateUser(t.Context(), u), tt.code)
			})
		}
		got, err := s.Users.FindUserByID(t.Context(), first.ID)
		if err != nil {
			t.Fatalf("FindUserByID: %v", err)
		}
		equal(t, "first user after the failed inserts", *got, *first)
		// The failed inserts left nothing behind: user2 is still free.
		mustCreateUser(t, s, userN(2))
	})

	t.Run("UsernameMatchWins", func(t *testing.T) {
		s := open(t)
		byEmail := userN(1)
		byEmail.Email = "shared@example.com"
		byName := userN(2)
		byName.Username = "Shared@Example.com"
		mustCreateUser(t, s, byEmail)
		mustCreateUser(t, s, byName)
		got, err := s.Users.FindUserByLogin(t.Context(), "shared@example.com")
		if err != nil {
			t.Fatalf("FindUserByLogin: %v", err)
		}
		if got.ID != byName.ID {
			t.Errorf("FindUserByLogin found %s, want the username match %s", got.Username, byName.Username)
		}
	})
}
