package coordinator

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// Session settings (PostgreSQL's GUCs): the ones clients set and read, with
// PostgreSQL 15's names, defaults, value checks, canonical forms (what SHOW
// prints) and errors. A name with a dot (cirrus.broadcast_rows, myapp.x) is
// a custom placeholder, kept as given, as in PostgreSQL.

// gucKind is how a setting's value is checked and shown.
type gucKind uint8

const (
	gucString gucKind = iota
	gucBool
	gucInt
	gucEnum
	gucMillis // a time in milliseconds: "5s", "1500ms", 0
	gucKB     // a memory size in kB: "64MB", "4096kB"
)

// guc declares one setting.
type guc struct {
	name     string // PostgreSQL's spelling, as SHOW's column and SHOW ALL print it
	kind     gucKind
	boot     string // default, in canonical form
	min, max int64  // gucInt, gucMillis, gucKB
	enum     []string
	desc     string
	// report: sent as ParameterStatus at startup and whenever it changes
	// (GUC_REPORT).
	report bool
	// fixed: cannot be changed (55P02).
	fixed bool
	// check canonicalizes a gucString value, or refuses it; checkFrom does
	// so for a value read relative to the current one cur (DateStyle).
	check     func(v string) (string, error)
	checkFrom func(v, cur string) (string, error)
	// hidden: not listed by SHOW ALL (GUC_NO_SHOW_ALL).
	hidden bool
}

// gucList are the settings, in SHOW ALL's order (by name).
var gucList = []*guc{
	{name: "application_name", boot: "", report: true, desc: "Sets the application name to be reported in statistics and logs."},
	{name: "bytea_output", kind: gucEnum, boot: "hex", enum: []string{"escape", "hex"}, desc: "Sets the output format for bytea."},
	{name: "client_encoding", boot: "UTF8", report: true, check: checkEncoding, desc: "Sets the client's character set encoding."},
	{name: "client_min_messages", kind: gucEnum, boot: "notice", enum: messageLevels, desc: "Sets the message levels that are sent to the client."},
	{name: "DateStyle", boot: "ISO, MDY", report: true, checkFrom: checkDateStyle, desc: "Sets the display format for date and time values."},
	{name: "default_transaction_deferrable", kind: gucBool, boot: "off", desc: "Sets the default deferrable status of new transactions."},
	{name: "default_transaction_isolation", kind: gucEnum, boot: "read committed", enum: isolationLevels, desc: "Sets the transaction isolation level of each new transaction."},
	{name: "default_transaction_read_only", kind: gucBool, boot: "off", report: true, desc: "Sets the default read-only status of new transactions."},
	{name: "extra_float_digits", kind: gucInt, boot: "1", min: -15, max: 3, desc: "Sets the number of digits displayed for floating-point values."},
	{name: "idle_in_transaction_session_timeout", kind: gucMillis, boot: "0", max: math.MaxInt32, desc: "Sets the maximum allowed idle time between queries, when in a transaction."},
	{name: "idle_session_timeout", kind: gucMillis, boot: "0", max: math.MaxInt32, desc: "Sets the maximum allowed idle time between queries, when not in a transaction."},
	{name: "in_hot_standby", kind: gucBool, boot: "off", report: true, fixed: true, desc: "Shows whether hot standby is currently active."},
	{name: "integer_datetimes", kind: gucBool, boot: "on", report: true, fixed: true, desc: "Shows whether datetimes are integer based."},
	{name: "IntervalStyle", kind: gucEnum, boot: "postgres", report: true, enum: []string{"postgres", "postgres_verbose", "sql_standard", "iso_8601"}, desc: "Sets the display format for interval values."},
	{name: "is_superuser", kind: gucBool, boot: "on", report: true, fixed: true, desc: "Shows whether the current user is a superuser."},
	{name: "lc_messages", boot: "C", desc: "Sets the language in which messages are displayed.", check: checkCLocale},
	{name: "lock_timeout", kind: gucMillis, boot: "0", max: math.MaxInt32, desc: "Sets the maximum allowed duration of any wait for a lock."},
	{name: "max_identifier_length", kind: gucInt, boot: "63", fixed: true, desc: "Shows the maximum identifier length."},
	{name: "max_index_keys", kind: gucInt, boot: "32", fixed: true, desc: "Shows the maximum number of index keys."},
	{name: "password_encryption", kind: gucEnum, boot: "scram-sha-256", enum: []string{"md5", "scram-sha-256"}, desc: "Chooses the algorithm for encrypting passwords."},
	// role and session_authorization are set by SET ROLE and SET SESSION
	// AUTHORIZATION and shown from the session's identity (roles.go).
	{name: "role", boot: "none", hidden: true, desc: "Sets the current role."},
	{name: "search_path", boot: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."},
	{name: "session_authorization", boot: "", report: true, hidden: true, desc: "Sets the session user name."},
	{name: "server_encoding", boot: "UTF8", report: true, fixed: true, desc: "Shows the server (database) character set encoding."},
	{name: "server_version", boot: ServerVersion, report: true, fixed: true, desc: "Shows the server version."},
	{name: "server_version_num", kind: gucInt, boot: "150006", fixed: true, desc: "Shows the server version as an integer."},
	{name: "standard_conforming_strings", kind: gucBool, boot: "on", report: true, check: onlyOn, desc: "Causes '...' strings to treat backslashes literally."},
	{name: "statement_timeout", kind: gucMillis, boot: "0", max: math.MaxInt32, desc: "Sets the maximum allowed duration of any statement."},
	{name: "TimeZone", boot: "UTC", report: true, check: checkTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."},
	{name: "transaction_deferrable", kind: gucBool, boot: "off", desc: "Whether to defer a read-only serializable transaction until it can be executed with no possible serialization failures."},
	{name: "transaction_isolation", kind: gucEnum, boot: "read committed", enum: isolationLevels, desc: "Sets the current transaction's isolation level."},
	{name: "transaction_read_only", kind: gucBool, boot: "off", desc: "Sets the current transaction's read-only status."},
	{name: "work_mem", kind: gucKB, boot: "4MB", min: 64, max: math.MaxInt32, desc: "Sets the maximum memory to be used for query workspaces."},
}

var (
	messageLevels   = []string{"debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"}
	isolationLevels = []string{"serializable", "repeatable read", "read committed", "read uncommitted"}
)

// gucs are the settings by lower-case name.
var gucs = func() map[string]*guc {
	m := make(map[string]*guc, len(gucList))
	for _, g := range gucList {
		m[strings.ToLower(g.name)] = g
	}
	return m
}()

// lookupGUC returns the setting name (lower case) denotes; nil for a
// custom placeholder (a name with a dot); 42704 for anything else.
func lookupGUC(name string) (*guc, error) {
	if g, ok := gucs[name]; ok {
		return g, nil
	}
	if strings.Contains(name, ".") {
		return nil, nil
	}
	return nil, sqlerr.Errorf(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
}

func invalidValue(g *guc, v string) *sqlerr.Error {
	return sqlerr.Errorf(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", g.name, v)
}

// unitError is 22023 for a bad value of a setting with units, with the
// valid units as hint when the unit was the problem.
func unitError(g *guc, v string, err error) *sqlerr.Error {
	e := invalidValue(g, v)
	var u unitsError
	if errors.As(err, &u) {
		e.Hint = u.Error()
	}
	return e
}

// canonical checks v as a value of g and returns it as SHOW prints it.
func (g *guc) canonical(v string) (string, error) { return g.canonicalFrom(v, g.boot) }

// canonicalFrom is canonical for a setting whose current value is cur.
func (g *guc) canonicalFrom(v, cur string) (string, error) {
	switch g.kind {
	case gucBool:
		b, ok := parseBool(v)
		if !ok {
			return "", sqlerr.Errorf(sqlerr.InvalidParameterValue, "parameter %q requires a Boolean value", g.name)
		}
		if b {
			v = "on"
		} else {
			v = "off"
		}
	case gucInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
		if err != nil {
			return "", invalidValue(g, v)
		}
		if n < g.min || n > g.max {
			return "", sqlerr.Errorf(sqlerr.InvalidParameterValue, "%d is outside the valid range for parameter %q (%d .. %d)", n, g.name, g.min, g.max)
		}
		v = strconv.FormatInt(n, 10)
	case gucEnum:
		l := strings.ToLower(strings.TrimSpace(v))
		found := false
		for _, e := range g.enum {
			if e == l {
				found = true
			}
		}
		if !found {
			e := invalidValue(g, v)
			e.Hint = "Available values: " + strings.Join(g.enum, ", ") + "."
			return "", e
		}
		v = l
	case gucMillis:
		d, err := parseMillis(v)
		if err != nil {
			return "", unitError(g, v, err)
		}
		if ms := d.Milliseconds(); ms < g.min || ms > g.max {
			return "", sqlerr.Errorf(sqlerr.InvalidParameterValue, "%d ms is outside the valid range for parameter %q (%d .. %d)", ms, g.name, g.min, g.max)
		}
		v = formatMillis(d)
	case gucKB:
		kb, err := parseKB(v)
		if err != nil {
			return "", unitError(g, v, err)
		}
		if kb < g.min || kb > g.max {
			return "", sqlerr.Errorf(sqlerr.InvalidParameterValue, "%d kB is outside the valid range for parameter %q (%d .. %d)", kb, g.name, g.min, g.max)
		}
		v = formatKB(kb)
	}
	if g.check != nil {
		return g.check(v)
	}
	if g.checkFrom != nil {
		return g.checkFrom(v, cur)
	}
	return v, nil
}

// parseBool accepts PostgreSQL's spellings of a Boolean setting (any
// unambiguous prefix of true, false, yes, no, on, off; 1 and 0).
func parseBool(v string) (bool, bool) {
	l := strings.ToLower(strings.TrimSpace(v))
	if l == "" {
		return false, false
	}
	for _, c := range []struct {
		word string
		min  int
		val  bool
	}{{"true", 1, true}, {"false", 1, false}, {"yes", 1, true}, {"no", 1, false}, {"on", 2, true}, {"off", 2, false}, {"1", 1, true}, {"0", 1, false}} {
		if len(l) >= c.min && strings.HasPrefix(c.word, l) {
			return c.val, true
		}
	}
	return false, false
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(v), "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", sqlerr.Errorf(sqlerr.FeatureNotSupported, "client_encoding %q is not supported: Cirrus speaks UTF8 only", v)
}

func onlyOn(v string) (string, error) {
	if v != "on" {
		return "", sqlerr.New(sqlerr.FeatureNotSupported, "standard_conforming_strings = off is not supported")
	}
	return v, nil
}

func checkCLocale(v string) (string, error) {
	if v == "C" || v == "POSIX" || v == "" {
		return v, nil
	}
	return "", sqlerr.Errorf(sqlerr.FeatureNotSupported, "lc_messages %q is not supported (messages are in English)", v)
}

// checkDateStyle reads a DateStyle value as PostgreSQL does: what it
// leaves out (the style or the field order) stays as in cur, the current
// value.
func checkDateStyle(v, cur string) (string, error) {
	cs, co, _ := pgtype.ParseDateStyle(cur, pgtype.StyleISO, pgtype.OrderMDY)
	style, order, detail := pgtype.ParseDateStyle(v, cs, co)
	if detail != "" {
		e := sqlerr.Errorf(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", "DateStyle", v)
		e.Detail = detail
		return "", e
	}
	return pgtype.DateStyleString(style, order), nil
}

// checkTimeZone accepts what PostgreSQL's TimeZone does (a number of hours
// east, an IANA zone name in any letter case, a POSIX zone with a fixed
// offset) and returns its canonical spelling.
func checkTimeZone(v string) (string, error) {
	z, err := pgtype.LoadZone(v)
	if err != nil {
		return "", err
	}
	return z.Name, nil
}

// sortedGUCs are the settings SHOW ALL lists, sorted by name.
var sortedGUCs = func() []*guc {
	var l []*guc
	for _, g := range gucList {
		if !g.hidden {
			l = append(l, g)
		}
	}
	sort.Slice(l, func(i, j int) bool { return strings.ToLower(l[i].name) < strings.ToLower(l[j].name) })
	return l
}()
