package cache

import (
	"encoding/binary"
	"errors"

	"github.com/cirrusdb/cirrus/catalog"
)

// The relcache file's object encoding: every field of the catalog types, in
// declaration order, as varints and length-prefixed strings. A slice is
// written as its length + 1, with 0 for nil, so that nil and empty survive
// (they encode differently in JSON, and so in the catalog hash).
//
//	object     byte tag (1 namespace, 2 table, 3 view, 4 role), then the value
//	namespace  uvarint OID, string Name, uvarint OwnerOID, acl, varint Version
//	table      uvarint OID, uvarint Namespace, string Name, slice of column,
//	           slice of varint PrimaryKey, string Manifest, varint Version,
//	           uvarint OwnerOID, acl
//	view       a table, then string ViewQuery
//	role       uvarint OID, string Name, byte flags (1 Super, 2 Inherit,
//	           4 CreateRole, 8 CreateDB, 16 CanLogin, 32 ValidUntil set),
//	           varint ConnLimit, string Password, [varint ValidUntil],
//	           slice of membership, varint Version
//	membership uvarint Role, uvarint Grantor, byte Admin
//	acl        slice of (uvarint Grantee, uvarint Grantor, uvarint Privs,
//	           uvarint GrantOptions)
//	column     string Name, type, byte flags (1 NotNull, 2 Dropped)
//	type       byte Kind, varint Precision, varint Scale, varint Length, byte Elem
//	string     uvarint length, bytes
const (
	tagNamespace = 1
	tagTable     = 2
	tagView      = 3
	tagRole      = 4
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendLen(b []byte, n int, isNil bool) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

func appendObject(b []byte, o *catalog.Object) []byte {
	if n := o.Namespace; n != nil {
		b = append(b, tagNamespace)
		b = binary.AppendUvarint(b, uint64(n.OID))
		b = appendString(b, n.Name)
		b = binary.AppendUvarint(b, uint64(n.OwnerOID))
		b = appendACL(b, n.ACL)
		return binary.AppendVarint(b, n.Version)
	}
	if r := o.Role; r != nil {
		return appendRole(b, r)
	}
	t := o.Table
	if t.IsView() {
		b = append(b, tagView)
	} else {
		b = append(b, tagTable)
	}
	b = binary.AppendUvarint(b, uint64(t.OID))
	b = binary.AppendUvarint(b, uint64(t.Namespace))
	b = appendString(b, t.Name)
	b = appendLen(b, len(t.Columns), t.Columns == nil)
	for _, c := range t.Columns {
		b = appendString(b, c.Name)
		b = append(b, byte(c.Type.Kind))
		b = binary.AppendVarint(b, int64(c.Type.Precision))
		b = binary.AppendVarint(b, int64(c.Type.Scale))
		b = binary.AppendVarint(b, int64(c.Type.Length))
		b = append(b, byte(c.Type.Elem))
		var flags byte
		if c.NotNull {
			flags |= 1
		}
		if c.Dropped {
			flags |= 2
		}
		b = append(b, flags)
	}
	b = appendLen(b, len(t.PrimaryKey), t.PrimaryKey == nil)
	for _, k := range t.PrimaryKey {
		b = binary.AppendVarint(b, int64(k))
	}
	b = appendString(b, t.Manifest)
	b = binary.AppendVarint(b, t.Version)
	b = binary.AppendUvarint(b, uint64(t.OwnerOID))
	b = appendACL(b, t.ACL)
	if t.IsView() {
		b = appendString(b, t.ViewQuery)
	}
	return b
}

func appendACL(b []byte, acl catalog.ACL) []byte {
	b = appendLen(b, len(acl), acl == nil)
	for _, it := range acl {
		b = binary.AppendUvarint(b, uint64(it.Grantee))
		b = binary.AppendUvarint(b, uint64(it.Grantor))
		b = binary.AppendUvarint(b, uint64(it.Privs))
		b = binary.AppendUvarint(b, uint64(it.GrantOptions))
	}
	return b
}

// Role flags in the relcache file.
const (
	roleSuper = 1 << iota
	roleInherit
	roleCreateRole
	roleCreateDB
	roleCanLogin
	roleValidUntil
)

func appendRole(b []byte, r *catalog.Role) []byte {
	b = append(b, tagRole)
	b = binary.AppendUvarint(b, uint64(r.OID))
	b = appendString(b, r.Name)
	var flags byte
	for _, f := range []struct {
		set  bool
		flag byte
	}{{r.Super, roleSuper}, {r.Inherit, roleInherit}, {r.CreateRole, roleCreateRole}, {r.CreateDB, roleCreateDB}, {r.CanLogin, roleCanLogin}, {r.ValidUntil != nil, roleValidUntil}} {
		if f.set {
			flags |= f.flag
		}
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(r.ConnLimit))
	b = appendString(b, r.Password)
	if r.ValidUntil != nil {
		b = binary.AppendVarint(b, *r.ValidUntil)
	}
	b = appendLen(b, len(r.MemberOf), r.MemberOf == nil)
	for _, m := range r.MemberOf {
		b = binary.AppendUvarint(b, uint64(m.Role))
		b = binary.AppendUvarint(b, uint64(m.Grantor))
		admin := byte(0)
		if m.Admin {
			admin = 1
		}
		b = append(b, admin)
	}
	return binary.AppendVarint(b, r.Version)
}

var errShort = errors.New("truncated")

// decoder reads objects; the first error sticks in err and later reads
// return zero values. Short strings (names) are interned: a catalog repeats
// column names across tables.
type decoder struct {
	b      []byte
	err    error
	intern map[string]string
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if int64(int32(v)) != v {
		d.fail(errors.New("integer out of range"))
		return 0
	}
	return int32(v)
}

func (d *decoder) oid() catalog.OID {
	v := d.uvarint()
	if uint64(catalog.OID(v)) != v {
		d.fail(errors.New("OID out of range"))
		return 0
	}
	return catalog.OID(v)
}

func (d *decoder) string(intern bool) string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	raw := d.b[:n]
	d.b = d.b[n:]
	if !intern || n > 64 {
		return string(raw)
	}
	if s, ok := d.intern[string(raw)]; ok {
		return s
	}
	s := string(raw)
	d.intern[s] = s
	return s
}

// count reads a slice length (nil is -1), bounded by the bytes left, each
// element taking at least min bytes.
func (d *decoder) count(min int) int {
	v := d.uvarint()
	if v == 0 {
		return -1
	}
	if v-1 > uint64(len(d.b)/min) {
		d.fail(errShort)
		return -1
	}
	return int(v - 1)
}

func (d *decoder) object() *catalog.Object {
	switch tag := d.byte(); tag {
	case tagNamespace:
		n := &catalog.Namespace{OID: d.oid(), Name: d.string(true), OwnerOID: d.oid()}
		n.ACL = d.acl()
		n.Version = d.varint()
		return &catalog.Object{Namespace: n}
	case tagRole:
		return &catalog.Object{Role: d.role()}
	case tagTable, tagView:
		t := &catalog.Table{OID: d.oid(), Namespace: d.oid(), Name: d.string(false)}
		if n := d.count(6); n >= 0 {
			t.Columns = make([]catalog.Column, n)
			for i := range t.Columns {
				c := &t.Columns[i]
				c.Name = d.string(true)
				c.Type = catalog.Type{Kind: catalog.Kind(d.byte()), Precision: d.int32(), Scale: d.int32(), Length: d.int32(), Elem: catalog.Kind(d.byte())}
				flags := d.byte()
				if flags&^3 != 0 {
					d.fail(errors.New("unknown column flags"))
				}
				c.NotNull, c.Dropped = flags&1 != 0, flags&2 != 0
			}
		}
		if n := d.count(1); n >= 0 {
			t.PrimaryKey = make([]int, n)
			for i := range t.PrimaryKey {
				t.PrimaryKey[i] = int(d.int32())
			}
		}
		t.Manifest = d.string(false)
		t.Version = d.varint()
		t.OwnerOID = d.oid()
		t.ACL = d.acl()
		if tag == tagView {
			t.ViewQuery = d.string(false)
		}
		return &catalog.Object{Table: t}
	default:
		if d.err == nil {
			d.fail(errors.New("unknown object tag"))
		}
		return nil
	}
}

func (d *decoder) privileges() catalog.Privileges {
	v := d.uvarint()
	if uint64(catalog.Privileges(v)) != v {
		d.fail(errors.New("privileges out of range"))
		return 0
	}
	return catalog.Privileges(v)
}

func (d *decoder) acl() catalog.ACL {
	n := d.count(4)
	if n < 0 {
		return nil
	}
	acl := make(catalog.ACL, n)
	for i := range acl {
		acl[i] = catalog.ACLItem{Grantee: d.oid(), Grantor: d.oid(), Privs: d.privileges(), GrantOptions: d.privileges()}
	}
	return acl
}

func (d *decoder) role() *catalog.Role {
	r := &catalog.Role{OID: d.oid(), Name: d.string(true)}
	flags := d.byte()
	if flags&^(roleValidUntil<<1-1) != 0 {
		d.fail(errors.New("unknown role flags"))
	}
	r.Super, r.Inherit, r.CreateRole = flags&roleSuper != 0, flags&roleInherit != 0, flags&roleCreateRole != 0
	r.CreateDB, r.CanLogin = flags&roleCreateDB != 0, flags&roleCanLogin != 0
	r.ConnLimit = d.int32()
	r.Password = d.string(false)
	if flags&roleValidUntil != 0 {
		v := d.varint()
		r.ValidUntil = &v
	}
	if n := d.count(3); n >= 0 {
		r.MemberOf = make([]catalog.Membership, n)
		for i := range r.MemberOf {
			m := &r.MemberOf[i]
			m.Role, m.Grantor = d.oid(), d.oid()
			switch d.byte() {
			case 0:
			case 1:
				m.Admin = true
			default:
				d.fail(errors.New("bad membership admin flag"))
			}
		}
	}
	r.Version = d.varint()
	return r
}
