// Package sqlerr carries PostgreSQL SQLSTATE codes on Go errors.
//
// Every error a client can see is (or wraps) an *Error. Anything else that
// reaches the protocol layer is reported as XX000 internal_error, so a test
// that asserts a code fails loudly when a path forgets to classify its error.
package sqlerr

import (
	"errors"
	"fmt"
)

// SQLSTATE codes used by Cirrus (PostgreSQL's errcodes.txt names in comments).
const (
	SuccessfulCompletion       = "00000"
	Warning                    = "01000"
	FeatureNotSupported        = "0A000" // feature_not_supported
	InvalidTextRepresentation  = "22P02" // invalid_text_representation
	InvalidDatetimeFormat      = "22007" // invalid_datetime_format
	DatetimeFieldOverflow      = "22008" // datetime_field_overflow
	NumericValueOutOfRange     = "22003" // numeric_value_out_of_range
	StringDataRightTruncation  = "22001" // string_data_right_truncation
	DivisionByZero             = "22012" // division_by_zero
	BadCopyFileFormat          = "22P04" // bad_copy_file_format
	InvalidParameterValue      = "22023" // invalid_parameter_value
	NotNullViolation           = "23502" // not_null_violation
	UniqueViolation            = "23505" // unique_violation
	InvalidTransactionState    = "25000" // invalid_transaction_state
	ActiveSQLTransaction       = "25001" // active_sql_transaction
	NoActiveSQLTransaction     = "25P01" // no_active_sql_transaction
	InFailedSQLTransaction     = "25P02" // in_failed_sql_transaction
	ReadOnlySQLTransaction     = "25006" // read_only_sql_transaction
	InvalidSQLStatementName    = "26000" // invalid_sql_statement_name
	InvalidCursorName          = "34000" // invalid_cursor_name
	SerializationFailure       = "40001" // serialization_failure
	SyntaxError                = "42601" // syntax_error
	InsufficientPrivilege      = "42501" // insufficient_privilege
	UndefinedColumn            = "42703" // undefined_column
	UndefinedTable             = "42P01" // undefined_table
	UndefinedFunction          = "42883" // undefined_function
	UndefinedObject            = "42704" // undefined_object
	UndefinedSchema            = "3F000" // invalid_schema_name
	DuplicateTable             = "42P07" // duplicate_table
	DuplicateSchema            = "42P06" // duplicate_schema
	DuplicateColumn            = "42701" // duplicate_column
	DuplicateObject            = "42710" // duplicate_object
	AmbiguousColumn            = "42702" // ambiguous_column
	DatatypeMismatch           = "42804" // datatype_mismatch
	GroupingError              = "42803" // grouping_error
	InvalidColumnReference     = "42P10" // invalid_column_reference
	InvalidTableDefinition     = "42P16" // invalid_table_definition
	InvalidSchemaDefinition    = "42P15" // invalid_schema_definition
	DependentObjectsStillExist = "2BP01" // dependent_objects_still_exist
	UndefinedParameter         = "42P02" // undefined_parameter
	ProtocolViolation          = "08P01" // protocol_violation
	QueryCanceled              = "57014" // query_canceled
	AdminShutdown              = "57P01" // admin_shutdown
	ProgramLimitExceeded       = "54000" // program_limit_exceeded
	WrongObjectType            = "42809" // wrong_object_type
	IOError                    = "58030" // io_error
	Internal                   = "XX000" // internal_error
	ConnectionFailure          = "08006" // connection_failure
	InvalidAuthorization       = "28000" // invalid_authorization_specification
	CardinalityViolation       = "21000" // cardinality_violation

	ReservedName                 = "42939" // reserved_name
	ObjectNotInPrerequisiteState = "55000" // object_not_in_prerequisite_state
	ObjectInUse                  = "55006" // object_in_use
	InvalidGrantOperation        = "0LP01" // invalid_grant_operation
	PrivilegeNotGranted          = "01007" // privilege_not_granted
	PrivilegeNotRevoked          = "01006" // privilege_not_revoked
	InvalidPassword              = "28P01" // invalid_password
	TooManyConnections           = "53300" // too_many_connections

	WindowingError                  = "42P20" // windowing_error
	NullValueNotAllowed             = "22004" // null_value_not_allowed
	InvalidPrecedingOrFollowingSize = "22013" // invalid_preceding_or_following_size
	InvalidArgumentForNtile         = "22014" // invalid_argument_for_ntile_function
	InvalidArgumentForNthValue      = "22016" // invalid_argument_for_nth_value_function
)

// Error is an error with a SQLSTATE, shaped like PostgreSQL's ErrorResponse.
type Error struct {
	Code     string
	Message  string
	Detail   string
	Hint     string
	Position int32 // 1-based character position in the query text, 0 if unknown
	// Severity is a notice's severity (WARNING, NOTICE, …); empty means
	// NoticeSeverity's default. Errors are always ERROR or FATAL.
	Severity string
	cause    error
}

// NoticeSeverity is the severity of e sent as a notice: its Severity, else
// WARNING for SQLSTATE class 01 and NOTICE otherwise.
func (e *Error) NoticeSeverity() string {
	switch {
	case e.Severity != "":
		return e.Severity
	case len(e.Code) >= 2 && e.Code[:2] == "01":
		return "WARNING"
	}
	return "NOTICE"
}

// Warning returns e as a WARNING notice.
func (e *Error) Warning() *Error {
	e.Severity = "WARNING"
	return e
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error this one was made from, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with the given code and message.
func New(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Errorf returns an error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies err under code, keeping it as the cause. A nil err gives nil.
func Wrap(err error, code, msg string) error {
	if err == nil {
		return nil
	}
	if msg == "" {
		msg = err.Error()
	} else {
		msg = msg + ": " + err.Error()
	}
	return &Error{Code: code, Message: msg, cause: err}
}

// WithDetail returns a copy of e with Detail set.
func (e *Error) WithDetail(detail string) *Error {
	c := *e
	c.Detail = detail
	return &c
}

// WithHint returns a copy of e with Hint set.
func (e *Error) WithHint(hint string) *Error {
	c := *e
	c.Hint = hint
	return &c
}

// Code returns the SQLSTATE of err: its own if it is or wraps an *Error,
// else XX000.
func Code(err error) string { return As(err).Code }

// stater is an error from a package below sqlerr that knows its SQLSTATE
// (for example storage's "object store unavailable" errors, 58030).
type stater interface{ SQLState() string }

// As returns err as an *Error: err itself or the *Error it wraps; else an
// error with the SQLSTATE err states (its SQLState method); else XX000.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var s stater
	if errors.As(err, &s) {
		return &Error{Code: s.SQLState(), Message: err.Error(), cause: err}
	}
	return &Error{Code: Internal, Message: err.Error(), cause: err}
}

// Unsupported reports a feature Cirrus does not implement yet (0A000).
func Unsupported(format string, args ...any) *Error {
	return Errorf(FeatureNotSupported, format, args...)
}

// More SQLSTATE codes.
const (
	CannotCoerce   = "42846" // cannot_coerce
	DuplicateAlias = "42712" // duplicate_alias
)
