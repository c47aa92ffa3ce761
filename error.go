package mangahub

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrorCode is a stable, snake_case error code shared by every transport.
type ErrorCode string

// The contract's error codes (CONTRACT.md §4).
const (
	CodeValidation         ErrorCode = "validation_failed"
	CodeInvalidJSON        ErrorCode = "invalid_json"
	CodeUnknownType        ErrorCode = "unknown_type"
	CodeUnauthenticated    ErrorCode = "unauthenticated"
	CodeInvalidCredentials ErrorCode = "invalid_credentials"
	CodeInvalidToken       ErrorCode = "invalid_token"
	CodeAuthFailed         ErrorCode = "auth_failed"
	CodeTokenExpired       ErrorCode = "token_expired"
	CodeForbidden          ErrorCode = "forbidden"
	CodeNotFound           ErrorCode = "not_found"
	CodeMangaNotFound      ErrorCode = "manga_not_found"
	CodeMethodNotAllowed   ErrorCode = "method_not_allowed"
	CodeUsernameTaken      ErrorCode = "username_taken"
	CodeEmailTaken         ErrorCode = "email_taken"
	CodeConflict           ErrorCode = "conflict"
	CodeRateLimited        ErrorCode = "rate_limited"
	CodeMessageTooLarge    ErrorCode = "message_too_large"
	CodeTooManyConnections ErrorCode = "too_many_connections"
	CodeUnavailable        ErrorCode = "unavailable"
	CodeInternal           ErrorCode = "internal"
)

// Error is the one error type that crosses package boundaries. Message is safe
// to show to a client; Err is the internal cause and is only ever logged.
type Error struct {
	Code    ErrorCode
	Message string
	// Field names the offending input field of a validation error, if any
	// (the first one, when there are several).
	Field string
	// Fields lists every problem of a validation error, in input order;
	// Message then names them all ("username: …; email: …").
	Fields []FieldProblem
	// RetryAfter is set on rate_limited errors.
	RetryAfter time.Duration
	// Progress is the current state of the record a progress conflict is
	// about (nil: there is none); see OfProgress.
	Progress *Progress
	// OfProgress marks a conflict over a progress record, which answers
	// with Progress even when that is nil ("progress": null). Other
	// conflicts, such as a taken slug or a duplicate genre, carry none.
	OfProgress bool
	// Err is the wrapped cause; never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldProblem is one problem with one input field: Message says what is
// wrong in plain words, without the field's name ("must be at least 3
// characters").
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p FieldProblem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// FieldError returns a validation error about one input field.
func FieldError(field, format string, args ...any) *Error {
	return Validation(FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Validation returns the validation error naming every one of problems.
func Validation(problems ...FieldProblem) *Error {
	e := &Error{Code: CodeValidation, Fields: problems}
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.String()
	}
	e.Message = strings.Join(parts, "; ")
	if len(problems) > 0 {
		e.Field = problems[0].Field
	}
	return e
}

// ValidationOf joins the validation errors among errs into one that names
// every problem, so that a client fixes its input in one round; nil when
// every err is nil. An error among them that is not a validation error is
// returned as it is: the input could not even be checked.
func ValidationOf(errs ...error) error {
	var problems []FieldProblem
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeValidation {
			return err
		}
		if len(e.Fields) > 0 {
			problems = append(problems, e.Fields...)
		} else {
			problems = append(problems, FieldProblem{Message: e.Message})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return Validation(problems...)
}

// ProgressConflict is the conflict of a progress update whose
// expected_version is not the stored one; cur is the stored state (nil when
// there is no record).
func ProgressConflict(message string, cur *Progress) *Error {
	return &Error{Code: CodeConflict, Message: message, Progress: cur, OfProgress: true}
}

// Internal wraps an unexpected error; clients see only "internal error".
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// Unavailable wraps a dependency failure (database down, timeout).
func Unavailable(err error) *Error {
	return &Error{Code: CodeUnavailable, Message: "service temporarily unavailable", Err: err}
}

// ErrorCodeOf returns the code of err: the code of the first *Error in its
// chain, CodeInternal for any other non-nil error, "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessageOf returns the client-safe message of err.
func ErrorMessageOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "internal error"
}

// AsError returns the first *Error in err's chain, or an internal one.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// IsCode reports whether err carries code.
func IsCode(err error, code ErrorCode) bool { return ErrorCodeOf(err) == code }
