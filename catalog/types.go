package catalog

import (
	"fmt"
)

// Kind is the logical type of a column or expression.
type Kind uint8

// The kinds Cirrus supports. Their physical representation in execution:
//
//	Bool                        []bool
//	Int2, Int4, Int8            []int64
//	Numeric (precision <= 18)   []int64 scaled by 10^Scale
//	Numeric (DynamicScale)      decimal text, offsets + bytes
//	Date                        []int64 days since 2000-01-01 (PostgreSQL's epoch)
//	Timestamp                   []int64 microseconds since 2000-01-01
//	TimestampTZ                 []int64 microseconds since 2000-01-01 UTC
//	Float4, Float8              []float64
//	Text, Varchar, Bpchar       offsets + bytes
//
// Unknown is the type of an untyped literal or NULL before resolution.
const (
	Unknown Kind = iota
	Bool
	Int2
	Int4
	Int8
	Float4
	Float8
	Numeric
	Text
	Varchar
	Bpchar
	Date
	Timestamp
	// Interval is held as the text "months days microseconds" (offsets +
	// bytes), in execution as while binding (where interval literals fold
	// into date/time arithmetic); it is never stored in tables.
	Interval

	// The types of the system catalogs (pg_catalog relations and the
	// functions over them). They are computed on the coordinator and are
	// never stored in tables.
	//
	//	Oid                          []int64 (0 .. 2^32-1)
	//	RegClass … RegRole           []int64, the OID; the binder resolves
	//	                             names at bind time (reg.go in planner)
	//	Name, Char ("char")          offsets + bytes, like text
	//	Array (Elem: element kind),
	//	Int2Vector, OidVector,
	//	AclItem, PgNodeTree          offsets + bytes: PostgreSQL's text
	//	                             form of the value ({a,b}, "1 2", …)
	Oid
	RegClass
	RegType
	RegNamespace
	RegProc
	RegRole
	Name
	Char
	Array
	Int2Vector
	OidVector
	AclItem
	PgNodeTree

	// TimestampTZ is timestamp with time zone: an instant, held as µs since
	// 2000-01-01 UTC like a Timestamp. (Kinds are stored in the catalog by
	// number: new ones go last.)
	TimestampTZ

	// Record is an anonymous composite value (PostgreSQL's record): the
	// result of a set-returning function with several columns in a
	// select list, or of ROW(…). Its values are held as offsets + bytes
	// in record_send's format (the field count, then each field's type
	// OID, length and binary value), so each value carries its field
	// types and the text form (record_out) is derived from it.
	Record
)

// PostgreSQL type OIDs (pg_type.dat).
const (
	OIDBool        OID = 16
	OIDInt8        OID = 20
	OIDInt2        OID = 21
	OIDInt4        OID = 23
	OIDText        OID = 25
	OIDOid         OID = 26
	OIDFloat4      OID = 700
	OIDFloat8      OID = 701
	OIDUnknown     OID = 705
	OIDBpchar      OID = 1042
	OIDVarchar     OID = 1043
	OIDDate        OID = 1082
	OIDTimestamp   OID = 1114
	OIDTimestampTZ OID = 1184
	OIDInterval    OID = 1186
	OIDNumeric     OID = 1700

	OIDChar         OID = 18
	OIDName         OID = 19
	OIDInt2Vector   OID = 22
	OIDRegProc      OID = 24
	OIDOidVector    OID = 30
	OIDPgNodeTree   OID = 194
	OIDAclItem      OID = 1033
	OIDRegClass     OID = 2205
	OIDRegType      OID = 2206
	OIDRegRole      OID = 4096
	OIDRegNamespace OID = 4089
	OIDAnyArray     OID = 2277
	OIDRecord       OID = 2249
)

// arrayOIDs are the OIDs of the array types of the element kinds
// (pg_type.typarray).
var arrayOIDs = map[Kind]OID{
	Bool: 1000, Int2: 1005, Int4: 1007, Int8: 1016, Float4: 1021, Float8: 1022, Numeric: 1231,
	Text: 1009, Varchar: 1015, Bpchar: 1014, Date: 1182, Timestamp: 1115, TimestampTZ: 1185, Interval: 1187,
	Oid: 1028, RegClass: 2210, RegType: 2211, RegNamespace: 4090, RegProc: 1008, RegRole: 4097,
	Name: 1003, Char: 1002, Int2Vector: 1006, OidVector: 1013, AclItem: 1034, PgNodeTree: 0,
}

// ArrayOf returns the type of arrays of elem's kind (Unknown: anyarray).
func ArrayOf(elem Kind) Type { return Type{Kind: Array, Elem: elem} }

// ElemType returns an array type's element type.
func (t Type) ElemType() Type {
	switch t.Kind {
	case Int2Vector:
		return TypeInt2
	case OidVector:
		return TypeOid
	}
	if t.Elem == Numeric {
		return TypeNumericDynamic // numeric[] elements keep their own scales
	}
	return Type{Kind: t.Elem}
}

// IsArray reports whether t is an array (including int2vector and
// oidvector, which PostgreSQL subscripts like arrays).
func (t Type) IsArray() bool { return t.Kind == Array || t.Kind == Int2Vector || t.Kind == OidVector }

// IsReg reports whether t is one of the OID alias types (regclass …).
func (t Type) IsReg() bool { return t.Kind >= RegClass && t.Kind <= RegRole }

// IsOidLike reports whether t is oid or an OID alias type.
func (t Type) IsOidLike() bool { return t.Kind == Oid || t.IsReg() }

// MaxNumericPrecision is the largest NUMERIC precision held as a scaled int64.
const MaxNumericPrecision = 18

// DynamicScale marks a NUMERIC whose scale varies per value, as PostgreSQL's
// division and avg results do (select_div_scale in numeric.c picks the scale
// from each quotient's magnitude). Such values are carried as exact decimal
// text (vec offsets + bytes), e.g. "2.5000000000000000"; they are produced by
// division and avg and are only compared, sorted, cast or formatted.
const DynamicScale = -1

// TypeNumericDynamic is the type of a division or avg result over numerics.
var TypeNumericDynamic = Type{Kind: Numeric, Scale: DynamicScale}

// TypeRecord is the type of anonymous composite values.
var TypeRecord = Type{Kind: Record}

// IsDynamicNumeric reports whether t is a per-value-scale numeric, or a
// NUMERIC(p, s) held the same way (IsWideNumeric).
func (t Type) IsDynamicNumeric() bool {
	return t.Kind == Numeric && (t.Scale < 0 || t.Precision > MaxNumericPrecision || t.IsWideNumeric())
}

// IsWideNumeric reports whether t is NUMERIC(p, s) other than the scaled
// int64's 0 <= s <= p <= 18: a precision above 18, or (PostgreSQL 15) a
// negative scale or one above the precision (which Parquet's DECIMAL does
// not allow either). Its values are held as decimal text like a
// dynamic-scale numeric's, rounded to scale s.
func (t Type) IsWideNumeric() bool {
	return t.Kind == Numeric && t.Precision > 0 &&
		(t.Precision > MaxNumericPrecision || t.Scale < 0 || t.Scale > t.Precision)
}

// Type is a logical type with its modifiers.
type Type struct {
	Kind Kind `json:"k"`
	// Precision and Scale of a Numeric. Precision 0 means unconstrained (only
	// for expression results, whose Scale is still fixed for a vector).
	Precision int32 `json:"p,omitempty"`
	Scale     int32 `json:"s,omitempty"`
	// Length of a Varchar or Bpchar; 0 means no limit.
	Length int32 `json:"l,omitempty"`
	// Elem is the element kind of an Array (Unknown: anyarray).
	Elem Kind `json:"e,omitempty"`
}

// Common types.
var (
	TypeBool        = Type{Kind: Bool}
	TypeInt2        = Type{Kind: Int2}
	TypeInt4        = Type{Kind: Int4}
	TypeInt8        = Type{Kind: Int8}
	TypeFloat4      = Type{Kind: Float4}
	TypeFloat8      = Type{Kind: Float8}
	TypeText        = Type{Kind: Text}
	TypeDate        = Type{Kind: Date}
	TypeTimestamp   = Type{Kind: Timestamp}
	TypeTimestampTZ = Type{Kind: TimestampTZ}
	TypeInterval    = Type{Kind: Interval}
	TypeUnknown     = Type{Kind: Unknown}
	TypeOid         = Type{Kind: Oid}
	TypeName        = Type{Kind: Name}
	TypeChar        = Type{Kind: Char}
)

// NumericType returns NUMERIC(p, s).
func NumericType(p, s int32) Type { return Type{Kind: Numeric, Precision: p, Scale: s} }

// OID returns the PostgreSQL type OID.
func (t Type) OID() OID {
	switch t.Kind {
	case Bool:
		return OIDBool
	case Int2:
		return OIDInt2
	case Int4:
		return OIDInt4
	case Int8:
		return OIDInt8
	case Float4:
		return OIDFloat4
	case Float8:
		return OIDFloat8
	case Numeric:
		return OIDNumeric
	case Text:
		return OIDText
	case Varchar:
		return OIDVarchar
	case Bpchar:
		return OIDBpchar
	case Date:
		return OIDDate
	case Timestamp:
		return OIDTimestamp
	case TimestampTZ:
		return OIDTimestampTZ
	case Interval:
		return OIDInterval
	case Oid:
		return OIDOid
	case RegClass:
		return OIDRegClass
	case RegType:
		return OIDRegType
	case RegNamespace:
		return OIDRegNamespace
	case RegProc:
		return OIDRegProc
	case RegRole:
		return OIDRegRole
	case Name:
		return OIDName
	case Char:
		return OIDChar
	case Int2Vector:
		return OIDInt2Vector
	case OidVector:
		return OIDOidVector
	case AclItem:
		return OIDAclItem
	case PgNodeTree:
		return OIDPgNodeTree
	case Record:
		return OIDRecord
	case Array:
		if o := arrayOIDs[t.Elem]; o != 0 && t.Elem != Unknown {
			return o
		}
		return OIDAnyArray
	}
	return OIDUnknown
}

// TypeOfOID returns the type with PostgreSQL type OID o (an unconstrained
// numeric, an unbounded varchar or bpchar, an array of a kind); ok is
// false for an OID no kind has. Unknown and anyarray are not types a value
// has and are not found.
func TypeOfOID(o OID) (t Type, ok bool) {
	for k := Bool; k <= TimestampTZ; k++ {
		switch {
		case k == Array || k == Interval: // (no interval parameters yet)
		case Type{Kind: k}.OID() == o:
			if k == Numeric {
				return TypeNumericDynamic, true
			}
			return Type{Kind: k}, true
		case arrayOIDs[k] == o && o != 0:
			return ArrayOf(k), true
		}
	}
	return Type{}, false
}

// Typmod returns the PostgreSQL type modifier (atttypmod), -1 for none.
func (t Type) Typmod() int32 {
	switch t.Kind {
	case Numeric:
		if t.Precision > 0 {
			return (t.Precision<<16 | t.Scale&0x7ff) + 4 // an 11-bit scale, as PostgreSQL 15 packs it
		}
	case Varchar, Bpchar:
		if t.Length > 0 {
			return t.Length + 4
		}
	}
	return -1
}

// Size returns pg_type.typlen: the fixed width in bytes, or -1 for varlena.
func (t Type) Size() int16 {
	switch t.Kind {
	case Bool:
		return 1
	case Int2:
		return 2
	case Int4, Float4, Date, Oid, RegClass, RegType, RegNamespace, RegProc, RegRole:
		return 4
	case Int8, Float8, Timestamp, TimestampTZ:
		return 8
	case Interval:
		return 16
	case Name:
		return 64
	case Char:
		return 1
	case AclItem:
		return 12
	}
	return -1
}

// IsTimestamp reports whether t is a timestamp with or without time zone.
func (t Type) IsTimestamp() bool { return t.Kind == Timestamp || t.Kind == TimestampTZ }

// IsDateTime reports whether t is date, timestamp or timestamptz.
func (t Type) IsDateTime() bool { return t.Kind == Date || t.IsTimestamp() }

// IsInteger reports whether t is smallint, integer or bigint.
func (t Type) IsInteger() bool { return t.Kind == Int2 || t.Kind == Int4 || t.Kind == Int8 }

// IsNumeric reports whether t is any number type.
func (t Type) IsNumeric() bool {
	return t.IsInteger() || t.Kind == Numeric || t.Kind == Float4 || t.Kind == Float8
}

// IsString reports whether t is text, varchar or char.
func (t Type) IsString() bool {
	return t.Kind == Text || t.Kind == Varchar || t.Kind == Bpchar || t.Kind == Name || t.Kind == Char
}

// IsBytesBacked reports whether values of t are held as offsets + bytes in
// execution: strings and dynamic-scale numerics.
func (t Type) IsBytesBacked() bool {
	switch t.Kind {
	case Array, Int2Vector, OidVector, AclItem, PgNodeTree, Record, Interval:
		return true
	}
	return t.IsString() || t.IsDynamicNumeric()
}

// IsInt64Backed reports whether values of t are held as int64 in execution.
func (t Type) IsInt64Backed() bool {
	switch t.Kind {
	case Int2, Int4, Int8, Date, Timestamp, TimestampTZ, Oid, RegClass, RegType, RegNamespace, RegProc, RegRole:
		return true
	case Numeric:
		return !t.IsDynamicNumeric()
	}
	return false
}

// String returns the type as PostgreSQL's format_type prints it.
func (t Type) String() string {
	switch t.Kind {
	case Bool:
		return "boolean"
	case Int2:
		return "smallint"
	case Int4:
		return "integer"
	case Int8:
		return "bigint"
	case Float4:
		return "real"
	case Float8:
		return "double precision"
	case Numeric:
		if t.Precision > 0 {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
		}
		return "numeric"
	case Text:
		return "text"
	case Varchar:
		if t.Length > 0 {
			return fmt.Sprintf("character varying(%d)", t.Length)
		}
		return "character varying"
	case Bpchar:
		if t.Length > 0 {
			return fmt.Sprintf("character(%d)", t.Length)
		}
		return "bpchar"
	case Date:
		return "date"
	case Timestamp:
		return "timestamp without time zone"
	case TimestampTZ:
		return "timestamp with time zone"
	case Interval:
		return "interval"
	case Oid:
		return "oid"
	case RegClass:
		return "regclass"
	case RegType:
		return "regtype"
	case RegNamespace:
		return "regnamespace"
	case RegProc:
		return "regproc"
	case RegRole:
		return "regrole"
	case Name:
		return "name"
	case Char:
		return `"char"`
	case Int2Vector:
		return "int2vector"
	case OidVector:
		return "oidvector"
	case AclItem:
		return "aclitem"
	case PgNodeTree:
		return "pg_node_tree"
	case Record:
		return "record"
	case Array:
		if t.Elem == Unknown {
			return "anyarray"
		}
		return Type{Kind: t.Elem}.String() + "[]"
	}
	return "unknown"
}
