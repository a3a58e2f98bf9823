// Package pgcat holds the built-in objects of PostgreSQL 15's system
// catalogs that Cirrus has — types, functions, access methods, collations,
// the OIDs of the system relations — with PostgreSQL's OIDs and values, so
// that pg_catalog lists them as PostgreSQL does and clients that know
// built-in OIDs (pgjdbc's type cache, psql's format_type) find them.
// User objects (catalog.Namespace, catalog.Table) keep their own OIDs.
//
// builtin_gen.go is generated from a PostgreSQL 15 server's pg_type and
// pg_proc, restricted to the types and functions Cirrus has.
package pgcat

import (
	"slices"
	"strconv"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// DatabaseOwnerRole is PostgreSQL's pg_database_owner, the role that owns
// the public schema: whoever owns the current database.
const DatabaseOwnerRole = catalog.DatabaseOwnerRole

// Namespaces besides pg_catalog and public (catalog.PgCatalogNamespace,
// catalog.PublicNamespace), with PostgreSQL 15's OIDs.
const (
	PgToastNamespace           catalog.OID = 99
	InformationSchemaNamespace catalog.OID = 13207
)

// Objects the catalog relations reference, with PostgreSQL's OIDs.
const (
	HeapAM            catalog.OID = 2
	BtreeAM           catalog.OID = 403
	DefaultCollation  catalog.OID = 100
	CCollation        catalog.OID = 950
	DatabaseOID       catalog.OID = 5
	DefaultTablespace catalog.OID = 1663
	InternalLanguage  catalog.OID = 12
	SQLLanguage       catalog.OID = 14
)

// ProcRef is a reference to a function (a regproc value): its OID and its
// name, "-" for none.
type ProcRef struct {
	OID  catalog.OID
	Name string
}

// Type is a row of pg_type. Procs are typinput, typoutput, typreceive,
// typsend, typmodin, typmodout, typanalyze and typsubscript.
type Type struct {
	OID               catalog.OID
	Name              string
	Len               int16
	ByVal             bool
	Typtype, Category string
	Preferred         bool
	Elem, Array       catalog.OID
	Procs             [8]ProcRef
	Align, Storage    string
	Collation         catalog.OID
}

// Proc is a row of pg_proc. Args (proargtypes) is an oidvector's text,
// AllArgs, Modes and ArgNames arrays' text ("" for NULL).
type Proc struct {
	OID                  catalog.OID
	Name                 string
	Kind                 string
	Strict, RetSet       bool
	Volatile, Parallel   string
	Lang                 catalog.OID
	Cost, Rows           float64
	Variadic             catalog.OID
	NArgs, NArgDefaults  int
	Ret                  catalog.OID
	Args, AllArgs, Modes string
	ArgNames, Src        string
}

// ArgOIDs returns the OIDs of the function's input arguments.
func (p *Proc) ArgOIDs() []catalog.OID {
	var out []catalog.OID
	for _, f := range strings.Fields(p.Args) {
		o, _ := strconv.ParseUint(f, 10, 32)
		out = append(out, catalog.OID(o))
	}
	return out
}

var (
	typeByOID  = map[catalog.OID]*Type{}
	typeByName = map[string]*Type{}
	procByOID  = map[catalog.OID]*Proc{}
	procNames  = map[catalog.OID]string{}
)

func init() {
	for i := range Types {
		t := &Types[i]
		typeByOID[t.OID] = t
		typeByName[t.Name] = t
		for _, p := range t.Procs {
			if p.OID != 0 {
				procNames[p.OID] = p.Name
			}
		}
	}
	for i := range Procs {
		procByOID[Procs[i].OID] = &Procs[i]
		procNames[Procs[i].OID] = Procs[i].Name
	}
	for _, am := range AMs {
		procNames[am.Handler.OID] = am.Handler.Name
	}
	for _, p := range RowTypeProcs {
		if p.OID != 0 {
			procNames[p.OID] = p.Name
		}
	}
	for _, a := range Aggregates {
		for _, p := range []ProcRef{a.TransFn, a.FinalFn, a.CombineFn, a.SerialFn, a.DeserialFn, a.MTransFn, a.MInvTransFn, a.MFinalFn} {
			if p.OID != 0 {
				procNames[p.OID] = p.Name
			}
		}
	}
}

// PseudoTypes are the pseudo-types the built-in functions take or return
// (pg_type rows of typtype 'p', which Types does not hold): their names
// and format_type's spelling of them.
var PseudoTypes = map[catalog.OID][2]string{
	2249: {"record", "record"}, 2275: {"cstring", "cstring"}, 2276: {"any", `"any"`}, 2283: {"anyelement", "anyelement"},
	2776: {"anynonarray", "anynonarray"}, 5077: {"anycompatible", "anycompatible"}, 5078: {"anycompatiblearray", "anycompatiblearray"},
}

// RowTypeProcs are the typinput … typsubscript functions of a relation's
// row type (a composite type: record_in, record_out, record_recv,
// record_send); its array type has the arrays' (ArrayTypeProcs).
var RowTypeProcs = [8]ProcRef{{2290, "record_in"}, {2291, "record_out"}, {2402, "record_recv"}, {2403, "record_send"}, {0, "-"}, {0, "-"}, {0, "-"}, {0, "-"}}

// ArrayTypeProcs are the typinput … typsubscript functions of an array
// type.
var ArrayTypeProcs = [8]ProcRef{{750, "array_in"}, {751, "array_out"}, {2400, "array_recv"}, {2401, "array_send"}, {0, "-"}, {0, "-"}, {3816, "array_typanalyze"}, {6179, "array_subscript_handler"}}

// TypeByOID returns the built-in type with OID o.
func TypeByOID(o catalog.OID) (*Type, bool) {
	t, ok := typeByOID[o]
	return t, ok
}

// TypeByName returns the built-in type named name (pg_type.typname).
func TypeByName(name string) (*Type, bool) {
	t, ok := typeByName[name]
	return t, ok
}

// ProcName returns the name of built-in function o (including the type
// input and output functions pg_type references).
func ProcName(o catalog.OID) (string, bool) {
	n, ok := procNames[o]
	return n, ok
}

// Overloaded reports whether PostgreSQL 15 has more than one built-in
// function named name (its regproc output is then qualified).
func Overloaded(name string) bool { return overloaded[name] }

// ProcNames returns every built-in function's OID with its name.
func ProcNames() map[catalog.OID]string { return procNames }

// ProcsNamed returns the built-in functions named name.
func ProcsNamed(name string) []*Proc {
	var out []*Proc
	for i := range Procs {
		if Procs[i].Name == name {
			out = append(out, &Procs[i])
		}
	}
	return out
}

// AM is a row of pg_am. Handler is its handler function (a regproc).
type AM struct {
	OID     catalog.OID
	Name    string
	Handler ProcRef
	Type    string
}

// AMs are PostgreSQL 15's access methods.
var AMs = []AM{
	{2, "heap", ProcRef{3, "heap_tableam_handler"}, "t"},
	{403, "btree", ProcRef{330, "bthandler"}, "i"},
	{405, "hash", ProcRef{331, "hashhandler"}, "i"},
	{783, "gist", ProcRef{332, "gisthandler"}, "i"},
	{2742, "gin", ProcRef{333, "ginhandler"}, "i"},
	{4000, "spgist", ProcRef{334, "spghandler"}, "i"},
	{3580, "brin", ProcRef{335, "brinhandler"}, "i"},
}

// Collation is a row of pg_collation.
type Collation struct {
	OID      catalog.OID
	Name     string
	Provider string
	Encoding int32
	Collate  string
}

// Collations are the collations Cirrus has: its strings compare bytewise,
// as PostgreSQL's "C" collation, which is also the database's default.
var Collations = []Collation{
	{100, "default", "d", -1, ""},
	{950, "C", "c", -1, "C"},
	{951, "POSIX", "c", -1, "POSIX"},
}

// RelationOIDs are the OIDs of PostgreSQL 15's system catalogs and views
// by name (those Cirrus has), so that 'pg_class'::regclass is 1259 as in
// PostgreSQL. Views created by initdb have the OIDs of a PostgreSQL 15.18
// initdb.
var RelationOIDs = map[string]catalog.OID{
	"pg_am": 2601, "pg_aggregate": 2600, "pg_attrdef": 2604, "pg_available_extensions": 12081, "pg_conversion": 2607, "pg_default_acl": 826,
	"pg_foreign_data_wrapper": 2328, "pg_policies": 12018, "pg_sequences": 12048, "pg_attribute": 1249, "pg_auth_members": 1261, "pg_authid": 1260,
	"pg_cast": 2605, "pg_class": 1259, "pg_collation": 3456, "pg_constraint": 2606, "pg_database": 1262,
	"pg_depend": 2608, "pg_description": 2609, "pg_enum": 3501, "pg_event_trigger": 3466, "pg_extension": 3079,
	"pg_foreign_server": 1417, "pg_foreign_table": 3118, "pg_index": 2610, "pg_indexes": 12043, "pg_inherits": 2611,
	"pg_language": 2612, "pg_matviews": 12038, "pg_namespace": 2615, "pg_operator": 2617, "pg_partitioned_table": 3350,
	"pg_policy": 3256, "pg_proc": 1255, "pg_publication": 6104, "pg_publication_namespace": 6237,
	"pg_publication_rel": 6106, "pg_range": 3541, "pg_rewrite": 2618, "pg_roles": 12000, "pg_sequence": 2224,
	"pg_settings": 12104, "pg_shdescription": 2396, "pg_stat_activity": 12222, "pg_stat_user_tables": 12161,
	"pg_statio_user_tables": 12179, "pg_statistic_ext": 3381, "pg_tables": 12033, "pg_tablespace": 1213,
	"pg_trigger": 2620, "pg_type": 1247, "pg_user": 12014, "pg_views": 12028,
}

// Keyword is a row of pg_get_keywords().
type Keyword struct {
	Word      string
	Category  byte
	BareLabel bool
}

// CategoryDesc is pg_get_keywords' catdesc of a category code.
func (k Keyword) CategoryDesc() string {
	switch k.Category {
	case 'U':
		return "unreserved"
	case 'C':
		return "unreserved (cannot be function or type name)"
	case 'T':
		return "reserved (can be function or type name)"
	}
	return "reserved"
}

// BareLabelDesc is pg_get_keywords' baredesc.
func (k Keyword) BareLabelDesc() string {
	if k.BareLabel {
		return "can be bare label"
	}
	return "requires AS"
}

var keywordCategory = func() map[string]byte {
	m := make(map[string]byte, len(Keywords))
	for _, k := range Keywords {
		m[k.Word] = k.Category
	}
	return m
}()

// KeywordCategory returns the category code of a keyword, 0 for a word
// that is none.
func KeywordCategory(word string) byte { return keywordCategory[word] }

// SplitQualified splits a possibly qualified, possibly quoted name
// (public."Foo") into its parts, folding unquoted parts to lower case, as
// PostgreSQL reads a relation name given as text (regclassin,
// has_table_privilege).
func SplitQualified(s string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		case !quoted:
			cur.WriteString(strings.ToLower(string(c)))
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}

// RelationNameParts splits a relation name given as text into its schema
// (when qualified) and name as PostgreSQL does: a third, leading part must
// be the current database db (0A000 otherwise), more parts are 42601, as in PostgreSQL.
func RelationNameParts(s, db string) ([]string, error) {
	parts := SplitQualified(s)
	switch {
	case len(parts) > 3:
		return nil, sqlerr.Errorf("42601", "improper relation name (too many dotted names): %s", s)
	case len(parts) == 3 && parts[0] != db:
		return nil, sqlerr.Errorf(sqlerr.FeatureNotSupported, "cross-database references are not implemented: %s", s)
	case len(parts) == 3:
		return parts[1:], nil
	}
	return parts, nil
}

// QuoteIdent is PostgreSQL's quote_ident: the identifier as is when it
// needs no quotes (lower-case letters, digits and underscores, not
// starting with a digit, not a keyword that needs them), else
// double-quoted with its quotes doubled.
func QuoteIdent(s string) string {
	safe := s != "" && (s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
	}
	if kw := KeywordCategory(s); safe && (kw == 0 || kw == 'U') {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// ProcByName returns the OID of a built-in function named name (any
// overload), including the type input and output functions pg_type names.
func ProcByName(name string) (catalog.OID, bool) {
	for o, n := range procNames {
		if n == name {
			return o, true
		}
	}
	return 0, false
}

// Aggregate is a row of pg_aggregate (aggregates_gen.go); Fn is the
// aggregate's pg_proc OID, the other functions regprocs.
type Aggregate struct {
	Fn                                          catalog.OID
	Kind                                        string
	TransFn, FinalFn, CombineFn, SerialFn       ProcRef
	DeserialFn, MTransFn, MInvTransFn, MFinalFn ProcRef
	FinalExtra, MFinalExtra                     bool
	FinalModify, MFinalModify                   string
	SortOp, TransType, MTransType               catalog.OID
	TransSpace, MTransSpace                     int
	InitVal, MInitVal                           string
}

// Description is a row of pg_description: the comment on an object (a
// column's when SubID is not 0) of the catalog ClassOID.
type Description struct {
	ObjOID, ClassOID catalog.OID
	SubID            int32
	Text             string
}

// Descriptions are the comments PostgreSQL 15's initdb puts on the
// built-in objects Cirrus has, its system schemas. (Cirrus has no COMMENT
// for others.)
var Descriptions = []Description{
	{catalog.PgCatalogNamespace, 2615, 0, "system catalog schema"},
	{PgToastNamespace, 2615, 0, "reserved schema for TOAST tables"},
	{catalog.PublicNamespace, 2615, 0, "standard public schema"},
}

// Namespaces returns the schemas of cat with PostgreSQL's system schemas
// (pg_catalog, pg_toast, information_schema), ordered by OID.
func Namespaces(cat *catalog.Catalog) []*catalog.Namespace {
	nss := []*catalog.Namespace{
		{OID: catalog.PgCatalogNamespace, Name: "pg_catalog", ACL: catalog.PublicSchemaACL(catalog.BootstrapSuperuser)},
		{OID: PgToastNamespace, Name: "pg_toast"},
		{OID: InformationSchemaNamespace, Name: "information_schema", ACL: catalog.PublicSchemaACL(catalog.BootstrapSuperuser)},
	}
	for _, ns := range cat.Namespaces() {
		if !slices.ContainsFunc(nss, func(n *catalog.Namespace) bool { return n.OID == ns.OID }) {
			nss = append(nss, ns)
		}
	}
	slices.SortFunc(nss, func(a, b *catalog.Namespace) int { return int(a.OID) - int(b.OID) })
	return nss
}
