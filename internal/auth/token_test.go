package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

// claimsFor is a valid access token payload for u at t0.
func claimsFor(u *mangahub.User) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":      u.ID,
		"user_id":  u.ID,
		"username": u.Username,
		"role":     string(u.Role),
		"type":     "access",
		"iss":      "mangahub",
		"iat":      t0.Unix(),
		"exp":      t0.Add(5 * time.Minute).Unix(),
	}
}

func sign(t *testing.T, c jwt.Claims, m jwt.SigningMethod, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// hmacToken builds a token by hand, so the header can say anything while the
// signature is a valid HMAC-SHA256 under key.
func hmacToken(t *testing.T, header, payload any, key []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// hs256HeaderForTest is the header segment golang-jwt writes for HS256.
const hs256HeaderForTest = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// hmacTokenRaw signs already-encoded header and payload segments.
func hmacTokenRaw(t *testing.T, header, payload string, key []byte) string {
	t.Helper()
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestAccessTokenRoundTrip(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleAdmin)
	tok, err := e.svc.IssueAccessToken(u)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.svc.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := mangahub.Identity{UserID: u.ID, Username: "reader", Role: mangahub.RoleAdmin}
	if id != want {
		t.Fatalf("identity = %+v, want %+v", id, want)
	}

	// The wire form is what other services and clients rely on.
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var header map[string]any
	decodePart(t, parts[0], &header)
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v, want HS256", header["alg"])
	}
	var claims map[string]any
	decodePart(t, parts[1], &claims)
	wantClaims := map[string]any{
		"sub": u.ID, "user_id": u.ID, "username": "reader", "role": "admin",
		"type": "access", "iss": "mangahub",
		"iat": float64(t0.Unix()), "exp": float64(t0.Add(e.cfg.AccessTTL).Unix()),
	}
	for k, v := range wantClaims {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
}

func decodePart(t *testing.T, part string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticateRejectsForgedTokens(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	session := e.login(t, "reader")

	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := claimsFor(u)
		change(c)
		return c
	}
	valid := sign(t, claimsFor(u), jwt.SigningMethodHS256, secret)
	if _, err := e.svc.Authenticate(context.Background(), valid); err != nil {
		t.Fatalf("the baseline forged-by-us token must pass: %v", err)
	}

	tampered := func() string {
		parts := strings.Split(valid, ".")
		c := with(func(c jwt.MapClaims) { c["role"] = "admin"; c["username"] = "root" })
		b, _ := json.Marshal(c)
		parts[1] = base64.RawURLEncoding.EncodeToString(b)
		return strings.Join(parts, ".")
	}()

	tests := []struct {
		name  string
		token string
		want  mangahub.ErrorCode
	}{
		{"alg none", sign(t, claimsFor(u), jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), mangahub.CodeInvalidToken},
		{"alg none, empty signature kept", strings.TrimSuffix(sign(t, claimsFor(u), jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), ".") + ".", mangahub.CodeInvalidToken},
		{"another secret", sign(t, claimsFor(u), jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef-0123")), mangahub.CodeInvalidToken},
		{"tampered payload", tampered, mangahub.CodeInvalidToken},
		{"truncated signature", valid[:len(valid)-4], mangahub.CodeInvalidToken},
		{"expired", sign(t, with(func(c jwt.MapClaims) { c["exp"] = t0.Add(-time.Second).Unix() }), jwt.SigningMethodHS256, secret), mangahub.CodeTokenExpired},
		{"expires right now", sign(t, with(func(c jwt.MapClaims) { c["exp"] = t0.Unix() }), jwt.SigningMethodHS256, secret), mangahub.CodeTokenExpired},
		{"expired and wrong issuer", sign(t, with(func(c jwt.MapClaims) { c["exp"] = t0.Add(-time.Hour).Unix(); c["iss"] = "evil" }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"expired under another secret", sign(t, with(func(c jwt.MapClaims) { c["exp"] = t0.Add(-time.Hour).Unix() }), jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef-0123")), mangahub.CodeInvalidToken},
		{"refresh token string", session.RefreshToken, mangahub.CodeInvalidToken},
		{"wrong issuer", sign(t, with(func(c jwt.MapClaims) { c["iss"] = "someone-else" }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"wrong type", sign(t, with(func(c jwt.MapClaims) { c["type"] = "refresh" }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"RS256 header with HMAC signature", hmacToken(t, map[string]string{"alg": "RS256", "typ": "JWT"}, claimsFor(u), secret), mangahub.CodeInvalidToken},
		{"HS512 with the right secret", sign(t, claimsFor(u), jwt.SigningMethodHS512, secret), mangahub.CodeInvalidToken},
		{"hand-built HS256 is fine", hmacToken(t, map[string]string{"alg": "HS256", "typ": "JWT"}, claimsFor(u), secret), ""},
		{"header members in another order", hmacToken(t, struct {
			Typ string `json:"typ"`
			Alg string `json:"alg"`
		}{"JWT", "HS256"}, claimsFor(u), secret), ""},
		{"header without typ", hmacToken(t, map[string]string{"alg": "HS256"}, claimsFor(u), secret), ""},
		{"alg in lower case", hmacToken(t, map[string]string{"alg": "hs256", "typ": "JWT"}, claimsFor(u), secret), mangahub.CodeInvalidToken},
		{"header not JSON", "bm90IGpzb24" + valid[strings.IndexByte(valid, '.'):], mangahub.CodeInvalidToken},
		{"a fourth segment", valid + ".AAAA", mangahub.CodeInvalidToken},
		{"payload not JSON", hmacTokenRaw(t, hs256HeaderForTest, "bm90IGpzb24", secret), mangahub.CodeInvalidToken},
		{"exp far beyond any date", sign(t, with(func(c jwt.MapClaims) { c["exp"] = 1e300 }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"iat negative", sign(t, with(func(c jwt.MapClaims) { c["iat"] = -5 }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"missing exp", sign(t, with(func(c jwt.MapClaims) { delete(c, "exp") }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"missing iat", sign(t, with(func(c jwt.MapClaims) { delete(c, "iat") }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"missing sub", sign(t, with(func(c jwt.MapClaims) { delete(c, "sub") }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"missing user_id", sign(t, with(func(c jwt.MapClaims) { delete(c, "user_id") }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"missing type", sign(t, with(func(c jwt.MapClaims) { delete(c, "type") }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"missing role", sign(t, with(func(c jwt.MapClaims) { delete(c, "role") }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"sub and user_id differ", sign(t, with(func(c jwt.MapClaims) { c["user_id"] = uuid.NewString() }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"sub not a UUID", sign(t, with(func(c jwt.MapClaims) { c["sub"] = "1"; c["user_id"] = "1" }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"exp of the wrong type", sign(t, with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"not yet valid", sign(t, with(func(c jwt.MapClaims) { c["nbf"] = t0.Add(time.Minute).Unix() }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"user that does not exist", sign(t, with(func(c jwt.MapClaims) { id := uuid.NewString(); c["sub"] = id; c["user_id"] = id }), jwt.SigningMethodHS256, secret), mangahub.CodeInvalidToken},
		{"empty", "", mangahub.CodeInvalidToken},
		{"not a JWT", "hello", mangahub.CodeInvalidToken},
		{"three dots of garbage", "a.b.c", mangahub.CodeInvalidToken},
		{"bearer prefix left on", "Bearer " + valid, mangahub.CodeInvalidToken},
		{"oversized", valid + strings.Repeat("A", 5000), mangahub.CodeInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := e.svc.Authenticate(context.Background(), tt.token)
			wantCode(t, err, tt.want)
			if err != nil && id != (mangahub.Identity{}) {
				t.Fatalf("identity %+v returned with an error", id)
			}
		})
	}
}

func TestAuthenticateExpiresWithTheClock(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	e.clock.Add(e.cfg.AccessTTL - time.Second)
	if _, err := e.svc.Authenticate(context.Background(), s.AccessToken); err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
	e.clock.Add(time.Second)
	_, err := e.svc.Authenticate(context.Background(), s.AccessToken)
	wantCode(t, err, mangahub.CodeTokenExpired)
}

// TestAuthenticateReadsTheStoredUser: the identity is the stored user's,
// not the token's copy, and a demotion or deletion in the store reaches
// Authenticate within UserCacheTTL.
func TestAuthenticateReadsTheStoredUser(t *testing.T) {
	e := newEnv(t)
	admin := e.register(t, "boss", mangahub.RoleAdmin)
	tok, err := e.svc.IssueAccessToken(admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if id, err := e.svc.Authenticate(ctx, tok); err != nil || !id.IsAdmin() {
		t.Fatalf("before the demotion: %+v, %v", id, err)
	}

	e.users.setRole(admin.ID, mangahub.RoleUser)
	e.clock.Add(auth.DefaultUserCacheTTL)
	id, err := e.svc.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if id.IsAdmin() {
		t.Fatal("a demoted admin still acts as admin after the cache's bound")
	}

	e.users.delete(admin.ID)
	e.clock.Add(auth.DefaultUserCacheTTL)
	_, err = e.svc.Authenticate(ctx, tok)
	wantCode(t, err, mangahub.CodeInvalidToken)
}
