package httpapi

import (
	"context"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

type registerInput struct {
	Body struct {
		// The rules are checked by the auth service, not by the schema, so
		// that every problem is reported at once and worded as the CLI's
		// user create words it.
		Username string `json:"username" doc:"3–32 characters of A–Z, a–z, 0–9, '_', '.', '-'."`
		Email    string `json:"email" doc:"A unique email address, at most 254 bytes."`
		Password string `json:"password" doc:"8–72 bytes."`
	}
}

type userCreated struct {
	UserID    string    `json:"user_id" format:"uuid"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

type registerOutput struct{ Body userCreated }

func (s *server) handleAuthRegister(ctx context.Context, in *registerInput) (*registerOutput, error) {
	if err := s.limits.allowAddr(ctx, "register", stateFrom(ctx).remote); err != nil {
		return nil, err
	}
	u, err := s.auth.Register(ctx, in.Body.Username, in.Body.Email, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return &registerOutput{Body: userCreated{UserID: u.ID, Username: u.Username, Email: u.Email, CreatedAt: u.CreatedAt}}, nil
}

type loginInput struct {
	SessionCookie
	Body struct {
		Username string `json:"username" maxLength:"254" doc:"Username or email address."`
		Password string `json:"password"`
	}
}

type loginSession struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type" enum:"Bearer"`
	ExpiresIn    int64  `json:"expires_in" doc:"Lifetime of the access token in seconds."`
	UserID       string `json:"user_id" format:"uuid"`
	Username     string `json:"username"`
}

type loginOutput struct {
	SetCookie string `header:"Set-Cookie" doc:"The refresh token as an HttpOnly cookie for the web page (see docs/web.md)."`
	Body      loginSession
}

func (s *server) handleAuthLogin(ctx context.Context, in *loginInput) (*loginOutput, error) {
	login := in.Body.Username
	if err := s.limits.allowAddr(ctx, "login", stateFrom(ctx).remote); err != nil {
		return nil, err
	}
	if err := s.limits.peekLogin(ctx, login); err != nil {
		return nil, err
	}
	sess, err := s.auth.Login(ctx, login, in.Body.Password)
	if mangahub.IsCode(err, mangahub.CodeInvalidCredentials) {
		s.limits.failLogin(ctx, login)
	}
	if err != nil {
		return nil, err
	}
	if old := in.cookieToken(); old != "" {
		// This browser's previous session is replaced: it need not live on.
		_ = s.auth.Logout(ctx, old)
	}
	t := tokensOf(sess)
	return &loginOutput{SetCookie: in.set(sess.RefreshToken, sess.RefreshExpiresAt), Body: loginSession{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, ExpiresIn: t.ExpiresIn,
		UserID: sess.User.ID, Username: sess.User.Username,
	}}, nil
}

// refreshInput takes the token from the body, else from the web page's
// cookie; the body may then be left out.
type refreshInput struct {
	SessionCookie
	Body *refreshTokenBody
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type" enum:"Bearer"`
	ExpiresIn    int64  `json:"expires_in" doc:"Lifetime of the access token in seconds."`
}

func tokensOf(sess *auth.Session) tokens {
	return tokens{
		AccessToken:  sess.AccessToken,
		RefreshToken: sess.RefreshToken,
		TokenType:    "Bearer",
		ExpiresIn:    int64(sess.ExpiresIn / time.Second),
	}
}

type refreshOutput struct {
	SetCookie string `header:"Set-Cookie" doc:"The rotated cookie, when the cookie was used."`
	Body      tokens
}

func (s *server) handleAuthRefresh(ctx context.Context, in *refreshInput) (*refreshOutput, error) {
	token, byCookie := bodyOrCookie(in.Body, &in.SessionCookie)
	sess, err := s.auth.Refresh(ctx, token)
	if err != nil {
		if byCookie {
			// A dead cookie would only be sent again: drop it with the 401.
			return nil, withHeader(err, "Set-Cookie", in.clear())
		}
		return nil, err
	}
	out := &refreshOutput{Body: tokensOf(sess)}
	if byCookie {
		out.SetCookie = in.set(sess.RefreshToken, sess.RefreshExpiresAt)
	}
	return out, nil
}

// logoutInput, like refreshInput, falls back to the web page's cookie.
type logoutInput struct {
	SessionCookie
	Body *refreshTokenBody
}

type logoutOutput struct {
	SetCookie string `header:"Set-Cookie" doc:"Clears the web page's cookie, when the cookie was used."`
}

func (s *server) handleAuthLogout(ctx context.Context, in *logoutInput) (*logoutOutput, error) {
	token, byCookie := bodyOrCookie(in.Body, &in.SessionCookie)
	if err := s.auth.Logout(ctx, token); err != nil {
		return nil, err
	}
	out := &logoutOutput{}
	if byCookie || (in.RefreshCookie != "" && in.RefreshCookie == token) {
		out.SetCookie = in.clear()
	}
	return out, nil
}

type me struct {
	UserID    string        `json:"user_id" format:"uuid"`
	Username  string        `json:"username"`
	Email     string        `json:"email"`
	Role      mangahub.Role `json:"role" enum:"user,admin"`
	CreatedAt time.Time     `json:"created_at"`
}

type meOutput struct{ Body me }

func (s *server) handleMeGet(ctx context.Context, _ *struct{}) (*meOutput, error) {
	u, err := s.auth.FindUser(ctx, identityFrom(ctx).UserID)
	if mangahub.IsCode(err, mangahub.CodeNotFound) {
		// Deleted between the token check and now: the token is dead.
		err = mangahub.Errorf(mangahub.CodeInvalidToken, "invalid access token")
	}
	if err != nil {
		return nil, err
	}
	return &meOutput{Body: me{UserID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt}}, nil
}

// authLimiter throttles guessing: register attempts and login attempts per
// client address (a bucket each, so signing up does not use up the logins
// that follow it), and failed logins per username (so one account cannot be
// brute-forced from many addresses). Nil limiters mean "no limit"; a limiter
// that cannot decide lets the attempt through (bcrypt still bounds the cost).
type authLimiter struct {
	byAddr  mangahub.RateLimiter
	byLogin mangahub.RateLimiter
}

func (a authLimiter) allowAddr(ctx context.Context, route, host string) error {
	if a.byAddr == nil {
		return nil
	}
	if ok, wait, err := a.byAddr.Allow(ctx, route+" "+host); err == nil && !ok {
		return tooManyAttempts(wait)
	}
	return nil
}

// peekLogin refuses a login whose username has used up its failures, without
// spending a token: successful logins never count.
func (a authLimiter) peekLogin(ctx context.Context, login string) error {
	if a.byLogin == nil {
		return nil
	}
	if ok, wait, err := a.byLogin.Peek(ctx, mangahub.LoginKey(login)); err == nil && !ok {
		return tooManyAttempts(wait)
	}
	return nil
}

func (a authLimiter) failLogin(ctx context.Context, login string) {
	if a.byLogin != nil {
		_ = a.byLogin.Take(ctx, mangahub.LoginKey(login))
	}
}

func tooManyAttempts(wait time.Duration) error {
	return &mangahub.Error{Code: mangahub.CodeRateLimited, Message: "too many attempts; retry later", RetryAfter: wait}
}
