package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mangahub/mangahub"
)

// Input bounds (CONTRACT.md §2 Auth). Password bounds are in bytes because
// bcrypt silently ignores everything after byte 72.
const (
	MinUsernameLen = 3
	MaxUsernameLen = 32
	MaxEmailLen    = 254
	MinPasswordLen = 8
	MaxPasswordLen = 72

	maxEmailLocalLen  = 64
	maxEmailDomainLen = 253
	maxEmailLabelLen  = 63
)

// validateUsername checks a new account's username.
func validateUsername(username string) error {
	switch n := len(username); {
	case n == 0:
		return mangahub.FieldError("username", "is required")
	case n < MinUsernameLen:
		return mangahub.FieldError("username", "must be at least %d characters", MinUsernameLen)
	case n > MaxUsernameLen:
		return mangahub.FieldError("username", "must be at most %d characters", MaxUsernameLen)
	}
	for i := 0; i < len(username); i++ {
		if !usernameByte(username[i]) {
			return mangahub.FieldError("username", "may contain only letters A-Z and a-z, digits, '_', '.' and '-'")
		}
	}
	return nil
}

func usernameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '-'
}

// validateEmail is a sanity check, not RFC 5322: one '@', a plausible local
// part, and a domain of dot-separated labels. The only real proof of an
// address is a mail that arrives.
func validateEmail(email string) error {
	if email == "" {
		return mangahub.FieldError("email", "is required")
	}
	if len(email) > MaxEmailLen {
		return mangahub.FieldError("email", "must be at most %d bytes", MaxEmailLen)
	}
	if !utf8.ValidString(email) {
		return mangahub.FieldError("email", "must be valid UTF-8")
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || strings.Contains(domain, "@") {
		return mangahub.FieldError("email", "must contain exactly one '@'")
	}
	if local == "" || len(local) > maxEmailLocalLen || !validLocalPart(local) {
		return mangahub.FieldError("email", "has an invalid part before the '@'")
	}
	if !validDomain(domain) {
		return mangahub.FieldError("email", "has an invalid domain")
	}
	return nil
}

func validLocalPart(local string) bool {
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return false
		}
	}
	return true
}

func validDomain(domain string) bool {
	if domain == "" || len(domain) > maxEmailDomainLen {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxEmailLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// validatePassword checks a new password's length in bytes.
func validatePassword(password string) error {
	switch n := len(password); {
	case n == 0:
		return mangahub.FieldError("password", "is required")
	case n < MinPasswordLen:
		return mangahub.FieldError("password", "must be at least %d bytes", MinPasswordLen)
	case n > MaxPasswordLen:
		return mangahub.FieldError("password", "must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// validateAccount reports every problem of a new account at once, in the
// order a form shows the fields.
func validateAccount(username, email, password string) error {
	return mangahub.ValidationOf(validateUsername(username), validateEmail(email), validatePassword(password))
}
