package metad

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/metad/metadpb"
)

// ErrCompacted is returned by Client.ReadRange when part of the requested
// range is no longer retained: the caller must reload the whole catalog
// (Snapshot) instead of replaying.
var ErrCompacted = errors.New("metad: invalidation history before the requested sequence number was compacted; reload the catalog")

// serialization returns the error of a lost optimistic-concurrency race.
func serialization(detail string, args ...any) *sqlerr.Error {
	e := sqlerr.New(sqlerr.SerializationFailure, "could not serialize access due to concurrent update")
	if detail != "" {
		e = e.WithDetail(fmt.Sprintf(detail, args...))
	}
	return e
}

// grpcCode picks the gRPC status code that best matches a SQLSTATE; the
// SQLSTATE itself travels in the status details.
func grpcCode(sqlstate string) codes.Code {
	switch sqlstate {
	case sqlerr.SerializationFailure:
		return codes.Aborted
	case sqlerr.DuplicateTable, sqlerr.DuplicateSchema, sqlerr.DuplicateObject:
		return codes.AlreadyExists
	case sqlerr.DependentObjectsStillExist:
		return codes.FailedPrecondition
	case sqlerr.UndefinedObject, sqlerr.UndefinedSchema, sqlerr.UndefinedTable, invalidSavepoint:
		return codes.NotFound
	case sqlerr.NoActiveSQLTransaction:
		return codes.FailedPrecondition
	case sqlerr.ConnectionFailure:
		return codes.Unavailable
	case sqlerr.ProtocolViolation:
		return codes.InvalidArgument
	case sqlerr.InvalidParameterValue:
		return codes.InvalidArgument
	case sqlerr.ProgramLimitExceeded:
		return codes.ResourceExhausted
	case sqlerr.Internal:
		return codes.Internal
	}
	return codes.Unknown
}

// rpcErr is an error that is already a plain gRPC status (no SQLSTATE).
type rpcErr struct{ st *status.Status }

func (e rpcErr) Error() string { return e.st.Message() }

// toStatus converts a server-side error for the wire. *sqlerr.Error values
// keep their SQLSTATE, message, detail and hint (as a metadpb.SQLError status
// detail, and as a "SQLSTATE XXXXX: " prefix of the status message for
// logs); anything else becomes XX000.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var re rpcErr
	if errors.As(err, &re) {
		return re.st.Err()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	e := sqlerr.As(err)
	msg := e.Message
	if e.Code == sqlerr.Internal && !strings.HasPrefix(msg, "metad") {
		msg = "metad: " + msg
	}
	st := status.New(grpcCode(e.Code), "SQLSTATE "+e.Code+": "+msg)
	if d, derr := st.WithDetails(&metadpb.SQLError{Code: e.Code, Message: msg, Detail: e.Detail, Hint: e.Hint}); derr == nil {
		st = d
	}
	return st.Err()
}

// fromStatus converts an RPC error back into an error for the caller:
// *sqlerr.Error with the server's SQLSTATE when there is one, 57014 when ctx
// ended, 08006 when metad is unreachable, ErrCompacted for OUT_OF_RANGE.
func fromStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if ok {
		for _, d := range st.Details() {
			if se, ok := d.(*metadpb.SQLError); ok {
				return &sqlerr.Error{Code: se.Code, Message: se.Message, Detail: se.Detail, Hint: se.Hint}
			}
		}
		if m := st.Message(); strings.HasPrefix(m, "SQLSTATE ") && len(m) > 16 && m[14:16] == ": " {
			return sqlerr.New(m[9:14], m[16:])
		}
	}
	if ctx.Err() != nil {
		return sqlerr.Wrap(ctx.Err(), sqlerr.QueryCanceled, "metad request canceled")
	}
	switch st.Code() {
	case codes.OutOfRange:
		return ErrCompacted
	case codes.Unavailable:
		return sqlerr.Wrap(err, sqlerr.ConnectionFailure, "metad unavailable")
	case codes.DeadlineExceeded:
		// gRPC's own deadline timer can fire before ctx's.
		return sqlerr.Wrap(context.DeadlineExceeded, sqlerr.QueryCanceled, "metad request canceled")
	case codes.Canceled:
		return sqlerr.Wrap(context.Canceled, sqlerr.QueryCanceled, "metad request canceled")
	}
	return sqlerr.Wrap(err, sqlerr.Internal, "metad")
}
