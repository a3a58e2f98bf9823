package cache

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
)

// TestCodecCoversEveryField fails when a catalog type gains, loses or
// changes a field: the relcache file codec (codec.go) would silently drop
// it. Update the codec, bump fileVersion, then this list.
func TestCodecCoversEveryField(t *testing.T) {
	want := map[string]string{
		"Object":    "Namespace *catalog.Namespace, Table *catalog.Table, Role *catalog.Role",
		"Namespace": "OID catalog.OID, Name string, OwnerOID catalog.OID, ACL catalog.ACL, Version int64",
		"Table": "OID catalog.OID, Namespace catalog.OID, Name string, Columns []catalog.Column, " +
			"PrimaryKey []int, Manifest string, ViewQuery string, OwnerOID catalog.OID, ACL catalog.ACL, Version int64",
		"Column": "Name string, Type catalog.Type, NotNull bool, Dropped bool",
		"Type":   "Kind catalog.Kind, Precision int32, Scale int32, Length int32, Elem catalog.Kind",
		"Role": "OID catalog.OID, Name string, Super bool, Inherit bool, CreateRole bool, CreateDB bool, CanLogin bool, " +
			"ConnLimit int32, Password string, ValidUntil *int64, MemberOf []catalog.Membership, Version int64",
		"Membership": "Role catalog.OID, Grantor catalog.OID, Admin bool",
		"ACLItem":    "Grantee catalog.OID, Grantor catalog.OID, Privs catalog.Privileges, GrantOptions catalog.Privileges",
	}
	for _, v := range []any{catalog.Object{}, catalog.Namespace{}, catalog.Table{}, catalog.Column{}, catalog.Type{}, catalog.Role{}, catalog.Membership{}, catalog.ACLItem{}} {
		rt := reflect.TypeOf(v)
		got := ""
		for i := range rt.NumField() {
			if i > 0 {
				got += ", "
			}
			got += rt.Field(i).Name + " " + rt.Field(i).Type.String()
		}
		if got != want[rt.Name()] {
			t.Errorf("catalog.%s is {%s}; the relcache file codec knows {%s}", rt.Name(), got, want[rt.Name()])
		}
	}
}

func randomObject(rng *rand.Rand, oid catalog.OID) *catalog.Object {
	switch rng.Intn(6) {
	case 0:
		o := namespace(oid, fmt.Sprintf("ns_%d_é", rng.Intn(1000)))
		o.Namespace.OwnerOID, o.Namespace.ACL, o.Namespace.Version = catalog.OID(rng.Intn(3)), randomACL(rng), rng.Int63()
		return o
	case 1:
		return randomRole(rng, oid)
	}
	t := &catalog.Table{OID: oid, Namespace: catalog.OID(rng.Uint32()), Name: fmt.Sprintf("t%d", rng.Int()),
		Version: rng.Int63() - rng.Int63(), OwnerOID: catalog.OID(rng.Uint32()), ACL: randomACL(rng)}
	switch rng.Intn(3) {
	case 0: // nil
	case 1:
		t.Columns = []catalog.Column{}
	default:
		for i := range rng.Intn(20) {
			t.Columns = append(t.Columns, catalog.Column{Name: fmt.Sprintf("c%d", i%7), NotNull: rng.Intn(2) == 0, Dropped: rng.Intn(4) == 0,
				Type: catalog.Type{Kind: catalog.Kind(rng.Intn(13)), Precision: rng.Int31() - rng.Int31(), Scale: -rng.Int31n(3), Length: rng.Int31()}})
		}
	}
	if rng.Intn(4) == 0 {
		t.ViewQuery = fmt.Sprintf("SELECT %d", rng.Int())
	}
	switch rng.Intn(3) {
	case 0:
	case 1:
		t.PrimaryKey = []int{}
	default:
		t.PrimaryKey = []int{rng.Intn(20), rng.Intn(20)}
	}
	if rng.Intn(2) == 0 {
		t.Manifest = fmt.Sprintf("tables/%d/manifest/%x", oid, rng.Int63())
	}
	return &catalog.Object{Table: t}
}

func randomACL(rng *rand.Rand) catalog.ACL {
	switch rng.Intn(3) {
	case 0:
		return nil
	case 1:
		return catalog.ACL{}
	}
	var acl catalog.ACL
	for range 1 + rng.Intn(4) {
		p := catalog.Privileges(rng.Intn(1 << 12))
		acl = append(acl, catalog.ACLItem{Grantee: catalog.OID(rng.Uint32()), Grantor: catalog.OID(rng.Uint32()), Privs: p, GrantOptions: p & catalog.Privileges(rng.Intn(1<<12))})
	}
	return acl
}

func randomRole(rng *rand.Rand, oid catalog.OID) *catalog.Object {
	r := &catalog.Role{OID: oid, Name: fmt.Sprintf("r%d", rng.Int()), Super: rng.Intn(2) == 0, Inherit: rng.Intn(2) == 0,
		CreateRole: rng.Intn(2) == 0, CreateDB: rng.Intn(2) == 0, CanLogin: rng.Intn(2) == 0, ConnLimit: rng.Int31() - rng.Int31(),
		Version: rng.Int63()}
	if rng.Intn(2) == 0 {
		r.Password = fmt.Sprintf("md5%032x", rng.Int63())
	}
	if rng.Intn(2) == 0 {
		v := rng.Int63() - rng.Int63()
		r.ValidUntil = &v
	}
	switch rng.Intn(3) {
	case 0:
	case 1:
		r.MemberOf = []catalog.Membership{}
	default:
		for range 1 + rng.Intn(3) {
			r.MemberOf = append(r.MemberOf, catalog.Membership{Role: catalog.OID(rng.Uint32()), Grantor: catalog.OID(rng.Uint32()), Admin: rng.Intn(2) == 0})
		}
	}
	return &catalog.Object{Role: r}
}

func TestCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var b []byte
	var objs []*catalog.Object
	for i := range 2000 {
		o := randomObject(rng, catalog.OID(rng.Uint32()>>uint(rng.Intn(32))+uint32(i)))
		objs = append(objs, o)
		b = appendObject(b, o)
	}
	d := decoder{b: b, intern: map[string]string{}}
	for i, want := range objs {
		got := d.object()
		if d.err != nil {
			t.Fatalf("object %d: %v", i, d.err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("object %d:\n got %+v\nwant %+v", i, got, want)
		}
		if string(got.Encode()) != string(want.Encode()) {
			t.Fatalf("object %d encodes differently", i)
		}
	}
	if len(d.b) != 0 {
		t.Fatalf("%d bytes left", len(d.b))
	}
	// Every truncation fails cleanly.
	for n := range len(b[:500]) {
		d := decoder{b: b[:n], intern: map[string]string{}}
		for d.err == nil && len(d.b) > 0 {
			d.object()
		}
	}
}

func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewSource(2))
	for i := range 5 {
		f.Add(appendObject(nil, randomObject(rng, catalog.OID(i))))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := decoder{b: b, intern: map[string]string{}}
		for d.err == nil && len(d.b) > 0 {
			o := d.object()
			if d.err == nil {
				b2 := appendObject(nil, o)
				d2 := decoder{b: b2, intern: map[string]string{}}
				if o2 := d2.object(); d2.err != nil || !reflect.DeepEqual(o, o2) {
					t.Fatalf("re-encoding %+v: %+v, %v", o, o2, d2.err)
				}
			}
		}
	})
}
