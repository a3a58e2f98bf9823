package storage

import "errors"

// ErrUnavailable is wrapped by every error that means the object store
// cannot serve requests at all, as opposed to a problem with one object:
// the endpoint cannot be reached or keeps failing after retries (5xx,
// SlowDown, timeouts), the credentials are refused, or the bucket does not
// exist. Test for it with errors.Is; the errors also wrap their cause.
// A missing object is not unavailability: it satisfies IsNotExist.
var ErrUnavailable = errors.New("object store unavailable")

// Unavailable returns an error with message msg (which should include the
// cause) that wraps ErrUnavailable and cause.
func Unavailable(msg string, cause error) error { return &unavailableError{msg: msg, cause: cause} }

// unavailableError is an error wrapping ErrUnavailable and its cause.
type unavailableError struct {
	msg   string // the whole message, cause included
	cause error
}

func (e *unavailableError) Error() string   { return e.msg }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

// SQLState classifies the error for clients: io_error, as PostgreSQL
// reports a failed read or write of a relation's files.
func (e *unavailableError) SQLState() string { return "58030" }
