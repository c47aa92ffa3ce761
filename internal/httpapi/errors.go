package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/mangahub/mangahub"
)

// statusOf is the one mapping from the domain's error codes to HTTP status
// codes (CONTRACT.md §4). Codes that belong to the sync protocols get the
// nearest HTTP meaning; an unknown code is a bug and answers 500.
func statusOf(code mangahub.ErrorCode) int {
	switch code {
	case mangahub.CodeValidation:
		return http.StatusUnprocessableEntity
	case mangahub.CodeInvalidJSON, mangahub.CodeUnknownType:
		return http.StatusBadRequest
	case mangahub.CodeUnauthenticated, mangahub.CodeInvalidCredentials, mangahub.CodeInvalidToken,
		mangahub.CodeTokenExpired, mangahub.CodeAuthFailed:
		return http.StatusUnauthorized
	case mangahub.CodeForbidden:
		return http.StatusForbidden
	case mangahub.CodeNotFound, mangahub.CodeMangaNotFound:
		return http.StatusNotFound
	case mangahub.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case mangahub.CodeUsernameTaken, mangahub.CodeEmailTaken, mangahub.CodeConflict:
		return http.StatusConflict
	case mangahub.CodeMessageTooLarge:
		return http.StatusRequestEntityTooLarge
	case mangahub.CodeRateLimited, mangahub.CodeTooManyConnections:
		return http.StatusTooManyRequests
	case mangahub.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// problem is the RFC 9457 body of every error response.
type problem struct {
	Type   string             `json:"type" doc:"Always about:blank: code identifies the problem."`
	Title  string             `json:"title" doc:"The HTTP status text."`
	Status int                `json:"status" doc:"The HTTP status code."`
	Detail string             `json:"detail" doc:"What went wrong, for people; never SQL or a stack trace."`
	Code   mangahub.ErrorCode `json:"code" enum:"validation_failed,invalid_json,unauthenticated,invalid_credentials,invalid_token,token_expired,forbidden,not_found,manga_not_found,method_not_allowed,username_taken,email_taken,conflict,rate_limited,message_too_large,unavailable,internal" doc:"Stable machine-readable error code."`
	// Progress is the current state on a progress conflict (null when there
	// is no record yet).
	Progress *mangahub.Progress `json:"progress,omitempty" doc:"On a progress conflict (expected_version): the current state of the record, null when there is none. Other conflicts (a taken slug, a duplicate genre) have no progress."`
	// RetryAfterMS repeats Retry-After with millisecond precision.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty" doc:"On rate_limited: how long to wait, in milliseconds."`
	// Errors lists every problem of a validation error; Detail names them
	// all too, joined with "; ".
	Errors []mangahub.FieldProblem `json:"errors,omitempty" nullable:"false" doc:"On validation_failed: every problem at once, each with the field it is about (such as password, or alt_titles[1]) and what is wrong, in plain words."`

	retryAfter time.Duration
	// ofProgress: a conflict over a progress record, which always carries
	// "progress".
	ofProgress bool
	// cause is logged, never sent.
	cause error
}

func (p *problem) Error() string  { return string(p.Code) + ": " + p.Detail }
func (p *problem) GetStatus() int { return p.Status }

// ContentType makes huma send problems as application/problem+json.
func (p *problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// MarshalJSON writes "progress" on every progress conflict, as null when
// there is no record, and leaves it out of every other problem. Like huma's
// encoder, it does not escape HTML: "<" in a message stays "<".
func (p *problem) MarshalJSON() ([]byte, error) {
	type plain problem // no methods, so no recursion
	var v any = (*plain)(p)
	if p.ofProgress {
		v = struct {
			*plain
			Progress *mangahub.Progress `json:"progress"`
		}{(*plain)(p), p.Progress}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// eachHeader calls set for the headers that go with p.
func (p *problem) eachHeader(set func(name, value string)) {
	switch p.Status {
	case http.StatusTooManyRequests:
		set("Retry-After", strconv.FormatInt(ceilUnits(p.retryAfter, time.Second), 10))
	case http.StatusUnauthorized:
		// RFC 6750 §3: tell clients which scheme to use, and why a token failed.
		if p.Code == mangahub.CodeInvalidToken || p.Code == mangahub.CodeTokenExpired {
			set("WWW-Authenticate", `Bearer error="invalid_token"`)
		} else {
			set("WWW-Authenticate", "Bearer")
		}
	}
}

func newProblem(code mangahub.ErrorCode, detail string) *problem {
	status := statusOf(code)
	return &problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

func (p *problem) setRetryAfter(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	p.retryAfter = d
	p.RetryAfterMS = ceilUnits(d, time.Millisecond)
}

// ceilUnits is d in units, rounded up and at least 1: a client told to wait
// 0 seconds would retry at once and be refused again.
func ceilUnits(d, unit time.Duration) int64 {
	n := int64(math.Ceil(float64(d) / float64(unit)))
	return max(n, 1)
}

// problemOf translates an error returned by a service. Messages of
// *mangahub.Error are client-safe by construction; anything else is internal
// and only its cause is kept, for the log.
func problemOf(err error) *problem {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	e := mangahub.AsError(err)
	code := e.Code
	if statusOf(code) == http.StatusInternalServerError {
		code = mangahub.CodeInternal
	}
	p = newProblem(code, e.Message)
	switch code {
	case mangahub.CodeInternal:
		p.Detail = "internal error"
		p.cause = err
	case mangahub.CodeUnavailable:
		p.Detail = "service temporarily unavailable"
		p.cause = err
	case mangahub.CodeConflict:
		p.Progress, p.ofProgress = e.Progress, e.OfProgress
	case mangahub.CodeRateLimited:
		p.setRetryAfter(e.RetryAfter)
	case mangahub.CodeValidation:
		p.Errors = e.Fields
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	return p
}

// maxBodyBytes caps every request body (1 MiB).
const maxBodyBytes = 1 << 20

func tooLarge() *problem {
	return newProblem(mangahub.CodeMessageTooLarge, "request body is larger than 1 MiB")
}

// problemFromHuma turns huma's own errors (body parsing, validation, size
// limit) and errors returned by handlers into problems.
func problemFromHuma(status int, msg string, errs []error) *problem {
	for _, err := range errs {
		if err == nil {
			continue
		}
		var p *problem
		var e *mangahub.Error
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &p):
			return p
		case errors.As(err, &e):
			return problemOf(err)
		case errors.As(err, &tooBig):
			return tooLarge()
		}
	}
	switch {
	case status == http.StatusBadRequest && msg == "request body is required":
		return newProblem(mangahub.CodeInvalidJSON, msg)
	case status == http.StatusBadRequest:
		return newProblem(mangahub.CodeInvalidJSON, "request body is not valid JSON: "+detailOf(describe(errs)))
	case status == http.StatusUnsupportedMediaType:
		return newProblem(mangahub.CodeInvalidJSON, "request body must be JSON (Content-Type: application/json)")
	case status == http.StatusRequestEntityTooLarge:
		return tooLarge()
	case status == http.StatusUnprocessableEntity:
		problems := describe(errs)
		p := newProblem(mangahub.CodeValidation, detailOf(problems))
		p.Errors = problems
		return p
	case status == http.StatusNotFound:
		return newProblem(mangahub.CodeNotFound, "no such route")
	case status == http.StatusMethodNotAllowed:
		return newProblem(mangahub.CodeMethodNotAllowed, "method not allowed on this route")
	case status == http.StatusRequestTimeout:
		p := newProblem(mangahub.CodeInvalidJSON, "timed out reading the request body")
		p.Status, p.Title = status, http.StatusText(status)
		return p
	case status >= 400 && status < 500:
		p := newProblem(mangahub.CodeValidation, detailOf(describe(errs)))
		p.Status, p.Title = status, http.StatusText(status)
		return p
	default:
		p := newProblem(mangahub.CodeInternal, "internal error")
		if msg != "" || len(errs) > 0 {
			p.cause = errors.Join(append([]error{errors.New(msg)}, errs...)...)
		}
		return p
	}
}

// maxDetails bounds how many validation errors one response lists.
const maxDetails = 5

// describe turns huma's error details into problems, each naming the
// field as the client sent it.
func describe(errs []error) []mangahub.FieldProblem {
	var out []mangahub.FieldProblem
	for _, err := range errs {
		if err == nil {
			continue
		}
		if len(out) == maxDetails {
			out = append(out, mangahub.FieldProblem{Message: fmt.Sprintf("and %d more", len(errs)-maxDetails)})
			break
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			detail := d.ErrorDetail()
			field, msg := fieldName(detail.Location), detail.Message
			if m := requiredProperty.FindStringSubmatch(msg); m != nil {
				field, msg = m[1], "is required"
				if loc := fieldName(detail.Location); loc != "body" && loc != "request" {
					field = loc + "." + m[1]
				}
			}
			if f, clean, ok := goTypeError(msg); ok {
				msg = clean
				if f != "" {
					field = f
				}
			}
			out = append(out, mangahub.FieldProblem{Field: field, Message: truncate(msg)})
			continue
		}
		msg := err.Error()
		if _, clean, ok := goTypeError(msg); ok {
			msg = clean
		}
		out = append(out, mangahub.FieldProblem{Message: truncate(msg)})
	}
	return out
}

// detailOf words problems as a problem's detail: "field: message; …".
func detailOf(problems []mangahub.FieldProblem) string {
	if len(problems) == 0 {
		return "invalid request"
	}
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// fieldName turns huma's location ("body.chapter", "query.limit",
// "path.id") into the name a client sent.
func fieldName(loc string) string {
	for _, prefix := range []string{"body.", "query.", "path.", "header."} {
		if rest, ok := strings.CutPrefix(loc, prefix); ok {
			return rest
		}
	}
	if loc == "" {
		return "request"
	}
	return loc
}

// requiredProperty is huma's message for a missing body field.
var requiredProperty = regexp.MustCompile(`^expected required property (\S+) to be present$`)

var goStructField = regexp.MustCompile(`Go struct field (\S+) of type`)

// goTypeError recognises encoding/json's type errors, which name Go types:
// a client learns the field, not our internals.
func goTypeError(msg string) (field, clean string, ok bool) {
	if !strings.Contains(msg, "Go struct field") && !strings.Contains(msg, "Go value of type") {
		return "", "", false
	}
	if m := goStructField.FindStringSubmatch(msg); m != nil {
		field = m[1][strings.LastIndexByte(m[1], '.')+1:]
	}
	return field, "value has the wrong type or is out of range", true
}

// truncate bounds one message, so a long input echoed by a parser error
// cannot blow up the response.
func truncate(s string) string {
	const maxLen = 200
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

var installOnce sync.Once

// plainMessages words huma's schema checks the way the services word
// theirs ("must be at least 0", not "expected number >= 0"), so that a
// client reads the same sentence whichever layer found the problem.
func plainMessages() {
	validation.MsgExpectedMinimumNumber = "must be at least %v"
	validation.MsgExpectedExclusiveMinimumNumber = "must be more than %v"
	validation.MsgExpectedMaximumNumber = "must be at most %v"
	validation.MsgExpectedExclusiveMaximumNumber = "must be less than %v"
	validation.MsgExpectedMinLength = "must be at least %d characters"
	validation.MsgExpectedMaxLength = "must be at most %d characters"
	validation.MsgExpectedMinItems = "must list at least %d items"
	validation.MsgExpectedMaxItems = "must list at most %d items"
	validation.MsgExpectedOneOf = "must be one of %s"
	validation.MsgExpectedBoolean = "must be true or false"
	validation.MsgExpectedNumber = "must be a number"
	validation.MsgExpectedInteger = "must be a whole number"
	validation.MsgExpectedString = "must be a string"
	validation.MsgExpectedArray = "must be an array"
	validation.MsgExpectedObject = "must be an object"
	validation.MsgExpectedRFC3339DateTime = "must be a date and time such as 2024-05-01T21:14:00Z (RFC 3339)"
	validation.MsgExpectedBePattern = "must be %s"
	validation.MsgExpectedMatchPattern = "must match the pattern %s"
}

// installProblems makes huma build its errors as problems, worded plainly.
// huma keeps these constructors and messages in package variables, so this
// is process-wide; it is idempotent and every handler New builds agrees on
// it.
func installProblems() {
	installOnce.Do(func() {
		plainMessages()
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			return problemFromHuma(status, msg, errs)
		}
		huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
			p := problemFromHuma(status, msg, errs)
			if ctx != nil {
				p.eachHeader(ctx.SetHeader)
				stateFrom(ctx.Context()).fail(p)
			}
			return p
		}
	})
}

// writeProblem answers a request outside huma (unknown routes, panics, the
// body limit) with p.
func writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	stateFrom(r.Context()).fail(p)
	h := w.Header()
	p.eachHeader(h.Set)
	h.Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}
