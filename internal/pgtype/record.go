package pgtype

import (
	"encoding/binary"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Records. An anonymous composite value (catalog.Record) is held in
// record_send's format: the field count, then per field its type's OID,
// its length (-1 for NULL) and its binary form. Each value thus carries
// its field types: binary output sends it as is, and the text output
// (record_out) and field selection decode it.

// AppendRecord appends the record of the values ds, of types ts.
func AppendRecord(dst []byte, ts []catalog.Type, ds []plan.Datum) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(ds)))
	for i, d := range ds {
		dst = binary.BigEndian.AppendUint32(dst, uint32(ts[i].OID()))
		if d.Null {
			dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
			continue
		}
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = AppendDatumBinary(dst, ts[i], d)
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst
}

// recordField is one field of a record as stored.
type recordField struct {
	oid  catalog.OID
	null bool
	data []byte
}

// recordFields splits a record into its fields.
func recordFields(s []byte) ([]recordField, error) {
	bad := sqlerr.New(sqlerr.Internal, "malformed record value")
	if len(s) < 4 {
		return nil, bad
	}
	n := int(binary.BigEndian.Uint32(s))
	s = s[4:]
	out := make([]recordField, 0, n)
	for i := 0; i < n; i++ {
		if len(s) < 8 {
			return nil, bad
		}
		f := recordField{oid: catalog.OID(binary.BigEndian.Uint32(s))}
		size := int32(binary.BigEndian.Uint32(s[4:]))
		s = s[8:]
		if size < 0 {
			f.null = true
		} else {
			if int(size) > len(s) {
				return nil, bad
			}
			f.data, s = s[:size], s[size:]
		}
		out = append(out, f)
	}
	return out, nil
}

// RecordField returns field i (0-based) of record s, as a value of type t
// (the field's own type, which the binder knew when it typed the
// selection).
func RecordField(s []byte, i int, t catalog.Type) (plan.Datum, error) {
	fs, err := recordFields(s)
	if err != nil {
		return plan.Datum{}, err
	}
	if i >= len(fs) || fs[i].null {
		return plan.Datum{Null: true}, nil
	}
	return DecodeBinary(t, fs[i].data)
}

// AppendRecordText appends record_out's text of record s: the fields'
// text output between parentheses, separated by commas, NULL as nothing,
// and a value quoted (with " and \ doubled) when it is empty or holds a
// quote, backslash, parenthesis, comma or white space.
func AppendRecordText(dst []byte, s []byte) []byte {
	fs, err := recordFields(s)
	if err != nil {
		return dst
	}
	dst = append(dst, '(')
	for i, f := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		if f.null {
			continue
		}
		t, ok := catalog.TypeOfOID(f.oid)
		if !ok {
			continue
		}
		if f.oid == catalog.OIDRecord {
			t = catalog.TypeRecord
		}
		d, err := DecodeBinary(t, f.data)
		if err != nil {
			continue
		}
		v := AppendDatumText(nil, t, d)
		quote := len(v) == 0
		for _, c := range v {
			switch c {
			case '"', '\\', '(', ')', ',', ' ', '\t', '\n', '\r', '\v', '\f':
				quote = true
			}
		}
		if !quote {
			dst = append(dst, v...)
			continue
		}
		dst = append(dst, '"')
		for _, c := range v {
			if c == '"' || c == '\\' {
				dst = append(dst, c)
			}
			dst = append(dst, c)
		}
		dst = append(dst, '"')
	}
	return append(dst, ')')
}
