package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

func TestRegisterValidation(t *testing.T) {
	const okName, okEmail, okPass = "reader_1", "reader@example.com", "password1"
	tests := []struct {
		name                      string
		username, email, password string
		wantField                 string // "" = accepted
	}{
		{"valid", okName, okEmail, okPass, ""},
		{"username min length", "abc", okEmail, okPass, ""},
		{"username max length", strings.Repeat("a", 32), okEmail, okPass, ""},
		{"username all allowed chars", "A.b-C_9", okEmail, okPass, ""},
		{"username empty", "", okEmail, okPass, "username"},
		{"username too short", "ab", okEmail, okPass, "username"},
		{"username too long", strings.Repeat("a", 33), okEmail, okPass, "username"},
		{"username space", "bad name", okEmail, okPass, "username"},
		{"username at sign", "bad@name", okEmail, okPass, "username"},
		{"username non-ascii", "tanjirō", okEmail, okPass, "username"},
		{"username checked first", "x", "not-an-email", "short", "username"},
		{"email subdomain", okName, "a.b+tag@mail.example.co.jp", okPass, ""},
		{"email idn", okName, "ren@bücher.example", okPass, ""},
		{"email empty", okName, "", okPass, "email"},
		{"email no at", okName, "reader.example.com", okPass, "email"},
		{"email two ats", okName, "a@b@example.com", okPass, "email"},
		{"email no local part", okName, "@example.com", okPass, "email"},
		{"email no domain dot", okName, "reader@localhost", okPass, "email"},
		{"email empty label", okName, "reader@example..com", okPass, "email"},
		{"email hyphen label", okName, "reader@-example.com", okPass, "email"},
		{"email space", okName, "read er@example.com", okPass, "email"},
		{"email display name", okName, "Reader <reader@example.com>", okPass, "email"},
		{"email local dot", okName, ".reader@example.com", okPass, "email"},
		{"email too long", okName, strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", okPass, "email"},
		{"email checked before password", okName, "nope", "", "email"},
		{"password 8 bytes", okName, okEmail, "12345678", ""},
		{"password 72 bytes", okName, okEmail, strings.Repeat("p", 72), ""},
		{"password counts bytes not characters", okName, okEmail, "éééé", ""}, // 4 runes, 8 bytes
		{"password empty", okName, okEmail, "", "password"},
		{"password 7 bytes", okName, okEmail, "1234567", "password"},
		{"password 73 bytes", okName, okEmail, strings.Repeat("p", 73), "password"},
		{"password 37 two-byte runes", okName, okEmail, strings.Repeat("é", 37), "password"}, // 74 bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u, err := e.svc.Register(context.Background(), tt.username, tt.email, tt.password)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				if u.Username != tt.username || u.Email != tt.email {
					t.Fatalf("user = %+v", u)
				}
				return
			}
			wantCode(t, err, mangahub.CodeValidation)
			if f := mangahub.AsError(err).Field; f != tt.wantField {
				t.Fatalf("field = %q, want %q (%v)", f, tt.wantField, err)
			}
			if !strings.HasPrefix(mangahub.ErrorMessageOf(err), tt.wantField+":") {
				t.Fatalf("message %q does not name the field", mangahub.ErrorMessageOf(err))
			}
		})
	}
	t.Run("email of 254 bytes is accepted", func(t *testing.T) {
		email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + "exampl"
		if len(email) != 254 {
			t.Fatalf("test email is %d bytes", len(email))
		}
		if _, err := newEnv(t).svc.Register(context.Background(), "reader", email, "password1"); err != nil {
			t.Fatalf("Register: %v", err)
		}
	})
}

func TestRegisterStoresUser(t *testing.T) {
	e := newEnv(t)
	u, err := e.svc.Register(context.Background(), "Reader", "reader@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != mangahub.RoleUser {
		t.Errorf("role = %q, want user", u.Role)
	}
	if id, err := uuid.Parse(u.ID); err != nil || id.String() != u.ID {
		t.Errorf("id %q is not a canonical UUID", u.ID)
	}
	if u.PasswordHash != "" {
		t.Error("Register returned the password hash")
	}
	if !u.CreatedAt.Equal(t0) {
		t.Errorf("created_at = %v, want %v", u.CreatedAt, t0)
	}
	st := e.users.stored(u.ID)
	if st == nil {
		t.Fatal("user not stored")
	}
	if st.PasswordHash == "" || strings.Contains(st.PasswordHash, password) {
		t.Fatalf("stored hash %q", st.PasswordHash)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(st.PasswordHash), []byte(password)); err != nil {
		t.Fatalf("stored hash does not match the password: %v", err)
	}
}

func TestRegisterTaken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Register(ctx, "reader", "reader@example.com", password); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Register(ctx, "READER", "other@example.com", password)
	wantCode(t, err, mangahub.CodeUsernameTaken)
	_, err = e.svc.Register(ctx, "other", "Reader@Example.com", password)
	wantCode(t, err, mangahub.CodeEmailTaken)
}

func TestCreateUserRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.svc.CreateUser(ctx, "boss", "boss@example.com", password, mangahub.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != mangahub.RoleAdmin || e.users.stored(u.ID).Role != mangahub.RoleAdmin {
		t.Fatalf("role = %q, want admin", u.Role)
	}
	_, err = e.svc.CreateUser(ctx, "root", "root@example.com", password, "superuser")
	wantCode(t, err, mangahub.CodeValidation)
	if f := mangahub.AsError(err).Field; f != "role" {
		t.Fatalf("field = %q, want role", f)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	for _, login := range []string{"reader", "READER", "reader@example.com", "Reader@Example.COM"} {
		t.Run(login, func(t *testing.T) {
			s := e.login(t, login)
			if s.User.ID != u.ID || s.User.Username != "reader" || s.User.PasswordHash != "" {
				t.Fatalf("session user = %+v", s.User)
			}
			if s.ExpiresIn != e.cfg.AccessTTL {
				t.Errorf("expires_in = %v, want %v", s.ExpiresIn, e.cfg.AccessTTL)
			}
			id, err := e.svc.Authenticate(context.Background(), s.AccessToken)
			if err != nil || id.UserID != u.ID {
				t.Fatalf("Authenticate(access token) = %+v, %v", id, err)
			}
		})
	}
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	tests := []struct {
		name, login, password string
		wantHashes            int64 // bcrypt compares spent
	}{
		{"wrong password", "reader", "wrong password", 1},
		{"unknown user costs a compare too", "nobody", password, 1},
		{"unknown email costs a compare too", "nobody@example.com", password, 1},
		{"password over 72 bytes", "reader", password + strings.Repeat("x", 60), 0},
		{"empty login", "", password, 0},
		{"empty password", "reader", "", 0},
		{"overlong login", strings.Repeat("r", 300), password, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auth.HashOps(e.svc)
			s, err := e.svc.Login(context.Background(), tt.login, tt.password)
			if s != nil {
				t.Fatal("got a session")
			}
			wantCode(t, err, mangahub.CodeInvalidCredentials)
			if got := auth.HashOps(e.svc) - before; got != tt.wantHashes {
				t.Fatalf("bcrypt operations = %d, want %d", got, tt.wantHashes)
			}
		})
	}
	if n := len(e.tokens.snapshot()); n != 0 {
		t.Fatalf("failed logins stored %d refresh tokens", n)
	}
}

func TestFindUser(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	got, err := e.svc.FindUser(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || got.Email != u.Email || got.PasswordHash != "" {
		t.Fatalf("FindUser = %+v", got)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid", "", "1 OR 1=1"} {
		_, err := e.svc.FindUser(context.Background(), id)
		wantCode(t, err, mangahub.CodeNotFound)
	}
}
