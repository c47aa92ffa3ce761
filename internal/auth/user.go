package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/mangahub/mangahub"
)

// maxLoginLen bounds a login name: the longer of a username and an email.
const maxLoginLen = MaxEmailLen

var errInvalidCredentials = mangahub.Errorf(mangahub.CodeInvalidCredentials, "invalid username or password")

// Register creates an account with the user role.
func (s *Service) Register(ctx context.Context, username, email, password string) (*mangahub.User, error) {
	return s.CreateUser(ctx, username, email, password, mangahub.RoleUser)
}

// CreateUser creates an account with any role (the CLI's "user create").
// Taken names are the store's CodeUsernameTaken / CodeEmailTaken.
func (s *Service) CreateUser(ctx context.Context, username, email, password string, role mangahub.Role) (*mangahub.User, error) {
	if err := validateAccount(username, email, password); err != nil {
		return nil, err
	}
	if !validRole(role) {
		return nil, mangahub.FieldError("role", "must be user or admin")
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, mangahub.Internal(err)
	}
	u := &mangahub.User{
		ID:           id.String(),
		Username:     username,
		Email:        email,
		PasswordHash: hash,
		Role:         role,
		// Microseconds: what every engine can store, so the returned user
		// equals the one read back later.
		CreatedAt: s.now().UTC().Truncate(time.Microsecond),
	}
	if err := s.users.CreateUser(ctx, u); err != nil {
		return nil, storeError(err)
	}
	return withoutHash(u), nil
}

// Login checks a username (or email) and password and opens a session. An
// unknown login costs one bcrypt compare, like a wrong password, so response
// times do not tell which usernames exist.
func (s *Service) Login(ctx context.Context, login, password string) (*Session, error) {
	// No account can have such a login or password, whoever asks, so
	// rejecting them early reveals nothing.
	if login == "" || len(login) > maxLoginLen || password == "" || len(password) > MaxPasswordLen {
		return nil, errInvalidCredentials
	}
	u, err := s.users.FindUserByLogin(ctx, login)
	if mangahub.IsCode(err, mangahub.CodeNotFound) {
		if err := s.hasher.burn(ctx, password); err != nil {
			return nil, err
		}
		return nil, errInvalidCredentials
	}
	if err != nil {
		return nil, storeError(err)
	}
	ok, err := s.hasher.compare(ctx, u.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errInvalidCredentials
	}
	return s.newSession(ctx, u)
}

// FindUser returns the user with id, without the password hash;
// CodeNotFound when there is none.
func (s *Service) FindUser(ctx context.Context, id string) (*mangahub.User, error) {
	if !isUUID(id) {
		return nil, mangahub.Errorf(mangahub.CodeNotFound, "user not found")
	}
	u, err := s.users.FindUserByID(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	return withoutHash(u), nil
}
