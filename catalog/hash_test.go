package catalog

import (
	"crypto/sha256"
	"testing"
)

func TestHashObjects(t *testing.T) {
	ns := &Object{Namespace: &Namespace{OID: PublicNamespace, Name: "public"}}
	a := &Object{Table: &Table{OID: FirstUserOID, Namespace: PublicNamespace, Name: "a",
		Columns: []Column{{Name: "x", Type: TypeInt4}}, Version: 7}}
	b := &Object{Table: &Table{OID: FirstUserOID + 1, Namespace: PublicNamespace, Name: "b", Version: 9}}

	// The definition, spelled out.
	h := sha256.New()
	for _, s := range []string{
		`{"namespace":{"oid":2200,"name":"public"}}`,
		`{"table":{"oid":16384,"namespace":2200,"name":"a","columns":[{"name":"x","type":{"k":3}}]}}`,
		`{"table":{"oid":16385,"namespace":2200,"name":"b","columns":[]}}`,
	} {
		h.Write([]byte(s + "\n"))
	}
	var want [32]byte
	h.Sum(want[:0])

	if got := HashObjects([]*Object{b, a, nil, ns, {}}); got != want {
		t.Fatalf("HashObjects = %x, want %x", got, want)
	}
	if a.Table.Version != 7 || b.Table.Columns != nil {
		t.Fatal("HashObjects modified its input")
	}
	c := New()
	for _, o := range []*Object{a, b, ns} {
		c.Put(o)
	}
	if c.Hash() != want || c.Len() != 3 {
		t.Fatalf("Catalog.Hash = %x", c.Hash())
	}
	b2 := *b.Table
	b2.Columns = []Column{}
	b2.Version = 100
	if HashObjects([]*Object{ns, a, {Table: &b2}}) != want {
		t.Fatal("the hash depends on Version or on nil vs empty columns")
	}
	b2.Manifest = "m"
	if HashObjects([]*Object{ns, a, {Table: &b2}}) == want {
		t.Fatal("the hash ignores a manifest")
	}
}
