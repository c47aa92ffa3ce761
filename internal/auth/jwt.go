package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"sync"
)

// The verifier below is the only place an access token is parsed. It is
// written out rather than handed to a general JWT library because a token
// of ours has one shape: a general parser decodes the header into a map,
// the claims through custom unmarshalers, and only then compares the
// signature. Here the algorithm is pinned before anything else is read, the
// signature is checked before any claim is decoded, and the claims land in
// one flat struct. Issuing still goes through golang-jwt (token.go).

// hs256Header is the header segment every token of ours carries; a token
// with exactly this header skips header decoding.
var hs256Header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// sigLen is the encoded length of an HMAC-SHA256 signature.
var sigLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

var b64 = base64.RawURLEncoding.Strict()

// rawClaims is an access token's payload as sent. Times are JSON numbers
// (NumericDate, RFC 7519 §2); pointers tell a missing claim from zero.
type rawClaims struct {
	Sub      string   `json:"sub"`
	UserID   string   `json:"user_id"`
	Username string   `json:"username"`
	Role     string   `json:"role"`
	Type     string   `json:"type"`
	Iss      string   `json:"iss"`
	Iat      *float64 `json:"iat"`
	Exp      *float64 `json:"exp"`
	Nbf      *float64 `json:"nbf"`
}

// hs256 verifies HS256 signatures with one key. The keyed HMAC states are
// pooled: hmac.New hashes the key and allocates on every call.
type hs256 struct {
	macs sync.Pool
}

func newHS256(key []byte) *hs256 {
	k := append([]byte(nil), key...)
	return &hs256{macs: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}
}

// parse checks token's algorithm and signature and decodes its claims. Any
// failure is the same errInvalidToken: a client learns nothing about which
// part of a forged token was wrong.
func (v *hs256) parse(token string) (*rawClaims, error) {
	header, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, errInvalidToken
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 || len(sig) != sigLen || payload == "" {
		return nil, errInvalidToken
	}
	if header != hs256Header && !isHS256Header(header) {
		return nil, errInvalidToken
	}
	var got [sha256.Size]byte
	if n, err := b64.Decode(got[:], []byte(sig)); err != nil || n != sha256.Size {
		return nil, errInvalidToken
	}
	mac := v.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write([]byte(token[:len(header)+1+len(payload)]))
	var want [sha256.Size]byte
	mac.Sum(want[:0])
	v.macs.Put(mac)
	if !hmac.Equal(got[:], want[:]) {
		return nil, errInvalidToken
	}
	body, err := b64.DecodeString(payload)
	if err != nil {
		return nil, errInvalidToken
	}
	var c rawClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, errInvalidToken
	}
	return &c, nil
}

// isHS256Header accepts any header that names HS256, as other JWT
// libraries write it (other member order, no typ). Every other algorithm,
// "none" included, is refused.
func isHS256Header(seg string) bool {
	b, err := b64.DecodeString(seg)
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(b, &h) == nil && h.Alg == "HS256"
}
