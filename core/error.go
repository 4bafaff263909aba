package core

import (
	"errors"
	"fmt"
)

// Error codes that callers branch on. Each adapter maps them to replies in
// one table; anything that is not an *Error is reported as EINTERNAL.
const (
	EINVALID     = "invalid"     // bad input: the message says what is wrong, Field names the input
	ENOTFOUND    = "not_found"   // no such role, principal, request or assignment
	EFORBIDDEN   = "forbidden"   // the actor may not do this
	ECONFLICT    = "conflict"    // the state changed: already decided, already active, last admin
	ELOCKED      = "locked"      // MFA is locked after too many failures
	EINTERNAL    = "internal"    // a bug or a failing dependency; details are logged only
	EUNAVAILABLE = "unavailable" // the store cannot be reached (refused, timed out): nothing changed
)

// unavailableMessage is what a user is told while the store is unreachable.
const unavailableMessage = "elevate cannot reach its store; nothing was changed — try again in a minute."

// Unavailable returns cause as an EUNAVAILABLE error: stores wrap their
// connection failures with it. cause stays in the chain for the logs.
func Unavailable(cause error) error {
	return fmt.Errorf("%w: %w", &Error{Code: EUNAVAILABLE, Message: unavailableMessage}, cause)
}

// Error is a domain error with a code and a message that is safe to show to
// the user who caused it.
type Error struct {
	Code    string
	Message string
	// Field is the input the error is about, or "" when it is about no
	// single input.
	Field Field
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("elevate error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID *Error about the input field.
func Invalidf(field Field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Field: field}
}

// About returns err as an error about field when it is an *Error, for a
// caller that knows which input a shared parser's error concerns.
func About(field Field, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Field = field
	return &c
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic message for internal errors so that no detail leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the input field of the first *Error in err's chain, or "".
func ErrorField(err error) Field {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
