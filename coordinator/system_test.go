package coordinator

import "testing"

// TestSystemRelationOIDs checks that every system relation has its own
// pg_class OID: a relation without one would be a second pg_class row with
// OID 0, and lookups by OID (psql's \dT, pgjdbc's type cache) would find two.
func TestSystemRelationOIDs(t *testing.T) {
	seen := map[uint32]string{}
	for name, r := range systemRelations {
		oid := uint32(r.OID)
		if oid == 0 {
			t.Errorf("system relation %s has no OID", name)
			continue
		}
		if other, ok := seen[oid]; ok {
			t.Errorf("system relations %s and %s share OID %d", name, other, oid)
		}
		seen[oid] = name
	}
}
