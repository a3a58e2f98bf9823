package coordinator

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// The relations of pg_catalog that describe the catalog (pg_class,
// pg_attribute, pg_type, …), with every column PostgreSQL 15 has
// (pgcolumns_gen.go) and rows derived from the statement's catalog
// snapshot and the built-in objects of catalog/pgcat. They are computed
// once per catalog snapshot (catalogRowsCache); the general SQL engine
// answers every query over them.

// Column types of the catalog relations. Cirrus has no xid:
// those columns are bigint.
var (
	tOid         = catalog.TypeOid
	tName        = catalog.TypeName
	tChar        = catalog.TypeChar
	tBool        = catalog.TypeBool
	tInt2        = catalog.TypeInt2
	tInt4        = catalog.TypeInt4
	tInt8        = catalog.TypeInt8
	tFloat4      = catalog.TypeFloat4
	tFloat8      = catalog.TypeFloat8
	tText        = catalog.TypeText
	tRegProc     = catalog.Type{Kind: catalog.RegProc}
	tRegClass    = catalog.Type{Kind: catalog.RegClass}
	tRegType     = catalog.Type{Kind: catalog.RegType}
	tAcl         = catalog.ArrayOf(catalog.AclItem)
	tTextArr     = catalog.ArrayOf(catalog.Text)
	tOidArr      = catalog.ArrayOf(catalog.Oid)
	tInt2Vector  = catalog.Type{Kind: catalog.Int2Vector}
	tOidVector   = catalog.Type{Kind: catalog.OidVector}
	tNodeTree    = catalog.Type{Kind: catalog.PgNodeTree}
	tAnyArray    = catalog.ArrayOf(catalog.Unknown)
	tCharArr     = catalog.ArrayOf(catalog.Char)
	tInt2Arr     = catalog.ArrayOf(catalog.Int2)
	tNameArr     = catalog.ArrayOf(catalog.Name)
	tFloat4Arr   = catalog.ArrayOf(catalog.Float4)
	tVarchar     = catalog.Type{Kind: catalog.Varchar}
	tYesNo       = catalog.Type{Kind: catalog.Varchar, Length: 3}
	tTimestamptz = catalog.TypeTimestampTZ
	tXid         = catalog.TypeInt8
)

// catalogState is what the row functions read: the session's snapshot,
// taken once per relation scan.
type catalogState struct {
	s   *session
	cat *catalog.Catalog
}

// tables returns every table and view with its schema name, ordered by
// OID.
func (cs *catalogState) tables() []nsTable {
	var out []nsTable
	for _, ns := range cs.cat.Namespaces() {
		for _, t := range cs.cat.Tables(ns.OID) {
			out = append(out, nsTable{ns, t})
		}
	}
	slices.SortFunc(out, func(a, b nsTable) int { return int(a.t.OID) - int(b.t.OID) })
	return out
}

type nsTable struct {
	ns *catalog.Namespace
	t  *catalog.Table
}

// catalogRelation declares a catalog relation whose rows come from rows
// (none when nil); columns are PostgreSQL's (pgColumns). Its rows depend
// on the catalog snapshot and the session's database and role, and are
// cached per snapshot (catalogRowsCache).
func catalogRelation(name string, kind planner.SystemKind, rows func(cs *catalogState) []map[string]any) *systemRelation {
	cols, ok := pgColumns[name]
	if !ok {
		panic("no columns for " + name)
	}
	return &systemRelation{
		SystemRelation: planner.SystemRelation{OID: pgcat.RelationOIDs[name], Name: name, Kind: kind, Columns: cols},
		snapshotRows: func(cs *catalogState) [][]plan.Datum {
			if rows == nil {
				return nil
			}
			var out [][]plan.Datum
			for _, r := range rows(cs) {
				out = append(out, datumRow(cols, r, false))
			}
			return out
		},
		sessionKey: databaseAndRole,
	}
}

// databaseAndRole is the session state catalog relations' rows depend on
// besides the catalog: the database they are in (pg_database,
// information_schema's catalog names) and the role the session acts as.
func databaseAndRole(s *session) string {
	return fmt.Sprintf("%s\x00%d", s.database(), s.currentRole())
}

// perSession marks a catalog relation whose rows depend on the session's
// settings (pg_settings): computed for each statement, never cached.
func perSession(r *systemRelation) *systemRelation {
	r.sessionKey = nil
	return r
}

// datumRow orders a row's values by column. A column the row leaves out
// is the type's zero value (” for names and "char") for fixed columns,
// NULL for text, arrays and expression trees (PostgreSQL's nullable ones).
// (With nullMissing every left-out column is NULL, as information_schema's
// are.)
func datumRow(cols []catalog.Column, vals map[string]any, nullMissing bool) []plan.Datum {
	row := make([]plan.Datum, len(cols))
	for i, c := range cols {
		v, ok := vals[c.Name]
		if !ok {
			if nullMissing || c.Type.Kind == catalog.Text || c.Type.IsArray() || c.Type.Kind == catalog.PgNodeTree || c.Type.IsTimestamp() {
				row[i].Null = true
			}
			continue
		}
		switch v := v.(type) {
		case nil:
			row[i].Null = true
		case bool:
			row[i].B = v
		case int:
			row[i].I = int64(v)
		case int16:
			row[i].I = int64(v)
		case int32:
			row[i].I = int64(v)
		case int64:
			row[i].I = v
		case catalog.OID:
			row[i].I = int64(v)
		case float64:
			row[i].F = v
		case string:
			row[i].S = v
		default:
			panic(fmt.Sprintf("catalog row value %T", v))
		}
	}
	return row
}

// catalogRelations are the catalog relations.
var catalogRelations = []*systemRelation{
	catalogRelation("pg_namespace", planner.SystemCatalog, namespaceRows),
	catalogRelation("pg_class", planner.SystemCatalog, classRows),
	catalogRelation("pg_attribute", planner.SystemCatalog, attributeRows),
	catalogRelation("pg_type", planner.SystemCatalog, typeRows),
	catalogRelation("pg_am", planner.SystemCatalog, amRows),
	catalogRelation("pg_index", planner.SystemCatalog, indexRows),
	catalogRelation("pg_constraint", planner.SystemCatalog, constraintRows),
	catalogRelation("pg_collation", planner.SystemCatalog, collationRows),
	catalogRelation("pg_database", planner.SystemCatalog, databaseRows),
	catalogRelation("pg_roles", planner.SystemView, roleRows),
	catalogRelation("pg_authid", planner.SystemCatalog, authidRows),
	catalogRelation("pg_user", planner.SystemView, userRows),
	catalogRelation("pg_auth_members", planner.SystemCatalog, authMembersRows),
	catalogRelation("pg_proc", planner.SystemCatalog, procRows),
	catalogRelation("pg_tablespace", planner.SystemCatalog, tablespaceRows),
	catalogRelation("pg_language", planner.SystemCatalog, languageRows),
	catalogRelation("pg_tables", planner.SystemView, tablesViewRows),
	catalogRelation("pg_views", planner.SystemView, viewsViewRows),
	catalogRelation("pg_indexes", planner.SystemView, indexesViewRows),
	catalogRelation("pg_stat_user_tables", planner.SystemView, statUserTablesRows),
	catalogRelation("pg_statio_user_tables", planner.SystemView, statioUserTablesRows),
	perSession(catalogRelation("pg_settings", planner.SystemView, settingsRows)),
	catalogRelation("pg_description", planner.SystemCatalog, descriptionRows),
	catalogRelation("pg_aggregate", planner.SystemCatalog, aggregateRows),
	catalogRelation("pg_depend", planner.SystemCatalog, dependRows),
	catalogRelation("pg_rewrite", planner.SystemCatalog, rewriteRows),
	// Relations of objects Cirrus does not have: always empty.
	catalogRelation("pg_attrdef", planner.SystemCatalog, nil),
	catalogRelation("pg_inherits", planner.SystemCatalog, nil),
	catalogRelation("pg_shdescription", planner.SystemCatalog, nil),
	catalogRelation("pg_policy", planner.SystemCatalog, nil),
	catalogRelation("pg_statistic_ext", planner.SystemCatalog, nil),
	catalogRelation("pg_publication", planner.SystemCatalog, nil),
	catalogRelation("pg_publication_namespace", planner.SystemCatalog, nil),
	catalogRelation("pg_publication_rel", planner.SystemCatalog, nil),
	catalogRelation("pg_extension", planner.SystemCatalog, nil),
	catalogRelation("pg_foreign_table", planner.SystemCatalog, nil),
	catalogRelation("pg_foreign_server", planner.SystemCatalog, nil),
	catalogRelation("pg_partitioned_table", planner.SystemCatalog, nil),
	catalogRelation("pg_trigger", planner.SystemCatalog, nil),
	catalogRelation("pg_sequence", planner.SystemCatalog, nil),
	catalogRelation("pg_event_trigger", planner.SystemCatalog, nil),
	catalogRelation("pg_enum", planner.SystemCatalog, nil),
	catalogRelation("pg_range", planner.SystemCatalog, nil),
	catalogRelation("pg_cast", planner.SystemCatalog, nil),
	catalogRelation("pg_matviews", planner.SystemView, nil),
	catalogRelation("pg_sequences", planner.SystemView, nil),
	catalogRelation("pg_policies", planner.SystemView, nil),
	catalogRelation("pg_default_acl", planner.SystemCatalog, nil),
	catalogRelation("pg_foreign_data_wrapper", planner.SystemCatalog, nil),
	// Clients and the server speak UTF8 only: there are no encoding
	// conversions.
	catalogRelation("pg_conversion", planner.SystemCatalog, nil),
	// Cirrus has no extensions to install.
	catalogRelation("pg_available_extensions", planner.SystemView, nil),
}

// allSystemRelations lists every system relation's declaration.
func allSystemRelations() []*planner.SystemRelation {
	out := make([]*planner.SystemRelation, 0, len(systemRelations))
	for _, r := range systemRelations {
		out = append(out, &r.SystemRelation)
	}
	slices.SortFunc(out, func(a, b *planner.SystemRelation) int { return int(a.OID) - int(b.OID) })
	return out
}

func namespaceRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, ns := range pgcat.Namespaces(cs.cat) {
		out = append(out, map[string]any{"oid": ns.OID, "nspname": ns.Name, "nspowner": ns.Owner(), "nspacl": aclArray(cs.cat, ns.ACL)})
	}
	return out
}

// dependRows are the dependencies among user objects PostgreSQL records:
// a table or view on its schema (normal), its row type on it (internal),
// a primary key constraint on its columns (auto) and its index on the
// constraint (internal), a view's _RETURN rule on the view (internal and
// normal) and on the columns it reads (normal).
func dependRows(cs *catalogState) []map[string]any {
	const pgType, pgClass, pgNamespace, pgConstraint, pgRewrite = catalog.OID(1247), catalog.OID(1259), catalog.OID(2615), catalog.OID(2606), catalog.OID(2618)
	var out []map[string]any
	dep := func(class, obj catalog.OID, refClass, ref catalog.OID, refSub int, typ string) {
		out = append(out, map[string]any{"classid": class, "objid": obj, "objsubid": 0, "refclassid": refClass,
			"refobjid": ref, "refobjsubid": refSub, "deptype": typ})
	}
	for _, x := range cs.tables() {
		t := x.t
		dep(pgType, planner.RowTypeOID(t), pgClass, t.OID, 0, "i")
		dep(pgClass, t.OID, pgNamespace, x.ns.OID, 0, "n")
		if len(t.PrimaryKey) > 0 {
			con := planner.PrimaryKeyConstraintOID(t)
			dep(pgClass, planner.PrimaryKeyIndexOID(t), pgConstraint, con, 0, "i")
			for _, k := range t.PrimaryKey {
				dep(pgConstraint, con, pgClass, t.OID, k+1, "a")
			}
		}
		if t.IsView() {
			rule := planner.ViewRuleOID(t)
			dep(pgRewrite, rule, pgClass, t.OID, 0, "i")
			dep(pgRewrite, rule, pgClass, t.OID, 0, "n")
			for _, r := range cs.viewReferences(t) {
				dep(pgRewrite, rule, pgClass, r.Table, int(r.Attnum), "n")
			}
		}
	}
	return out
}

// viewReferences are the user tables' and views' columns (or, where it
// reads none of their columns, the relations) view t's query reads, on
// which PostgreSQL records its rule's dependencies. A view whose query no
// longer binds reads nothing. The query binds with the default search
// path as the view's owner has it, so that the rows, cached per catalog
// snapshot, are the same for every session.
func (cs *catalogState) viewReferences(t *catalog.Table) []planner.Reference {
	path := []string{cs.cat.RoleName(t.Owner()), "public"}
	ctx := &planner.Context{Catalog: cs.cat, SearchPath: path, Params: &planner.Params{}, System: systemLookup}
	refs, err := planner.ViewReferences(ctx, t)
	if err != nil {
		return nil
	}
	// Catalog relations are pinned: PostgreSQL records no dependencies
	// on them.
	return slices.DeleteFunc(refs, func(r planner.Reference) bool {
		_, user := cs.cat.TableByOID(r.Table)
		return !user
	})
}

// rewriteRows are the rules of pg_rewrite: each view's _RETURN rule, an
// unconditional INSTEAD rule on SELECT. Its action, PostgreSQL's parse
// tree of the view's query in the server's internal node format, Cirrus
// does not have: ev_action is NULL (pg_get_viewdef gives the query).
func rewriteRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		if x.t.IsView() {
			out = append(out, map[string]any{"oid": planner.ViewRuleOID(x.t), "rulename": "_RETURN", "ev_class": x.t.OID,
				"ev_type": "1", "ev_enabled": "O", "is_instead": true, "ev_qual": "<>"})
		}
	}
	return out
}

func aggregateRows(*catalogState) []map[string]any {
	var out []map[string]any
	for _, a := range pgcat.Aggregates {
		row := map[string]any{
			"aggfnoid": a.Fn, "aggkind": a.Kind, "aggnumdirectargs": 0, "aggtransfn": a.TransFn.OID, "aggfinalfn": a.FinalFn.OID,
			"aggcombinefn": a.CombineFn.OID, "aggserialfn": a.SerialFn.OID, "aggdeserialfn": a.DeserialFn.OID,
			"aggmtransfn": a.MTransFn.OID, "aggminvtransfn": a.MInvTransFn.OID, "aggmfinalfn": a.MFinalFn.OID,
			"aggfinalextra": a.FinalExtra, "aggmfinalextra": a.MFinalExtra, "aggfinalmodify": a.FinalModify,
			"aggmfinalmodify": a.MFinalModify, "aggsortop": a.SortOp, "aggtranstype": a.TransType, "aggtransspace": a.TransSpace,
			"aggmtranstype": a.MTransType, "aggmtransspace": a.MTransSpace,
		}
		if a.InitVal != "" {
			row["agginitval"] = a.InitVal
		}
		if a.MInitVal != "" {
			row["aggminitval"] = a.MInitVal
		}
		out = append(out, row)
	}
	return out
}

func descriptionRows(*catalogState) []map[string]any {
	var out []map[string]any
	for _, d := range pgcat.Descriptions {
		out = append(out, map[string]any{"objoid": d.ObjOID, "classoid": d.ClassOID, "objsubid": d.SubID, "description": d.Text})
	}
	return out
}

func classRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range allSystemRelations() {
		kind := "v"
		if r.Kind == planner.SystemCatalog {
			kind = "r"
		}
		ns := catalog.PgCatalogNamespace
		if r.Schema == planner.InformationSchema {
			ns = pgcat.InformationSchemaNamespace
		}
		row := classRow(r.OID, r.Name, ns, kind, len(r.Columns), false)
		row["reltype"] = pgcat.SystemRowTypes[r.SchemaName()+"."+r.Name][0]
		out = append(out, row)
	}
	for _, x := range cs.tables() {
		t := x.t
		kind := "r"
		if t.IsView() {
			kind = "v"
		}
		row := classRow(t.OID, t.Name, t.Namespace, kind, len(t.Columns), len(t.PrimaryKey) > 0)
		row["relowner"], row["relacl"], row["reltype"] = t.Owner(), aclArray(cs.cat, t.ACL), planner.RowTypeOID(t)
		out = append(out, row)
		if len(t.PrimaryKey) > 0 {
			ix := classRow(planner.PrimaryKeyIndexOID(t), planner.PrimaryKeyName(t), t.Namespace, "i", len(t.PrimaryKey), false)
			ix["relowner"] = t.Owner()
			out = append(out, ix)
		}
	}
	return out
}

func classRow(oid catalog.OID, name string, ns catalog.OID, kind string, natts int, hasIndex bool) map[string]any {
	row := map[string]any{
		"oid": oid, "relname": name, "relnamespace": ns, "relowner": catalog.BootstrapSuperuser,
		"relpersistence": "p", "relkind": kind, "relnatts": natts, "relhasindex": hasIndex,
		"relispopulated": true, "relreplident": "n", "reltuples": -1.0, "relminmxid": 1,
	}
	switch kind {
	case "r":
		row["relam"], row["relfilenode"], row["relreplident"] = pgcat.HeapAM, oid, "d"
	case "i":
		// A primary key's index is built when its (empty) table is
		// created: one metapage and no tuples, until a VACUUM.
		row["relam"], row["relfilenode"], row["relpages"], row["reltuples"] = pgcat.BtreeAM, oid, 1, 0.0
	case "v":
		row["relhasrules"], row["relminmxid"] = true, 0
	}
	return row
}

func attributeRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range allSystemRelations() {
		if r.Kind == planner.SystemCatalog {
			out = append(out, tableOIDAttribute(r.OID))
		}
		for i, c := range r.Columns {
			out = append(out, attributeRow(r.OID, i+1, c))
		}
	}
	for _, x := range cs.tables() {
		t := x.t
		if !t.IsView() {
			out = append(out, tableOIDAttribute(t.OID))
		}
		for i, c := range t.Columns {
			out = append(out, attributeRow(t.OID, i+1, c))
		}
		for i, k := range t.PrimaryKey {
			c := t.Columns[k]
			c.NotNull = false
			out = append(out, attributeRow(planner.PrimaryKeyIndexOID(t), i+1, c))
		}
	}
	return out
}

// tableOIDAttribute is the attribute of a table's system column tableoid
// (attnum -6, as in PostgreSQL), the one system column Cirrus has.
func tableOIDAttribute(rel catalog.OID) map[string]any {
	row := attributeRow(rel, -6, catalog.Column{Name: "tableoid", Type: tOid, NotNull: true})
	row["attstattarget"], row["attstorage"] = 0, "p"
	return row
}

func attributeRow(rel catalog.OID, num int, c catalog.Column) map[string]any {
	t := c.Type
	row := map[string]any{
		"attrelid": rel, "attname": c.Name, "atttypid": t.OID(), "attstattarget": -1, "attlen": t.Size(),
		"attnum": num, "attcacheoff": -1, "atttypmod": t.Typmod(), "attbyval": byVal(t), "attalign": align(t),
		"attstorage": attStorage(t), "attnotnull": c.NotNull, "attislocal": true, "attcollation": collation(t),
	}
	if c.Dropped {
		row["attname"] = fmt.Sprintf("........pg.dropped.%d........", num)
		row["atttypid"], row["attisdropped"], row["attnotnull"] = catalog.OID(0), true, false
	}
	return row
}

func byVal(t catalog.Type) bool {
	switch t.Size() {
	case 1, 2, 4, 8:
		return true
	}
	return false
}

func align(t catalog.Type) string {
	if pt, ok := pgcat.TypeByOID(t.OID()); ok {
		return pt.Align
	}
	return "i"
}

func attStorage(t catalog.Type) string {
	if pt, ok := pgcat.TypeByOID(t.OID()); ok {
		return pt.Storage
	}
	return "p"
}

func collation(t catalog.Type) catalog.OID {
	switch t.Kind {
	case catalog.Text, catalog.Varchar, catalog.Bpchar:
		return pgcat.DefaultCollation
	case catalog.Name:
		return pgcat.CCollation
	}
	return 0
}

func typeRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, t := range pgcat.Types {
		row := map[string]any{
			"oid": t.OID, "typname": t.Name, "typnamespace": catalog.PgCatalogNamespace, "typowner": catalog.BootstrapSuperuser,
			"typlen": t.Len, "typbyval": t.ByVal, "typtype": t.Typtype, "typcategory": t.Category,
			"typispreferred": t.Preferred, "typisdefined": true, "typdelim": ",", "typelem": t.Elem, "typarray": t.Array,
			"typalign": t.Align, "typstorage": t.Storage, "typtypmod": -1, "typcollation": t.Collation,
		}
		setTypeProcs(row, t.Procs)
		out = append(out, row)
	}
	// Every relation has a row type (a composite) and an array type of it.
	for _, r := range allSystemRelations() {
		if rt, ok := pgcat.SystemRowTypes[r.SchemaName()+"."+r.Name]; ok {
			ns := catalog.PgCatalogNamespace
			if r.Schema == planner.InformationSchema {
				ns = pgcat.InformationSchemaNamespace
			}
			out = append(out, rowTypeRows(r.Name, ns, r.OID, rt[0], rt[1], catalog.BootstrapSuperuser)...)
		}
	}
	for _, x := range cs.tables() {
		t := x.t
		out = append(out, rowTypeRows(t.Name, t.Namespace, t.OID, planner.RowTypeOID(t), planner.RowArrayTypeOID(t), t.Owner())...)
	}
	return out
}

// setTypeProcs sets a pg_type row's typinput … typsubscript.
func setTypeProcs(row map[string]any, procs [8]pgcat.ProcRef) {
	for i, col := range []string{"typinput", "typoutput", "typreceive", "typsend", "typmodin", "typmodout", "typanalyze", "typsubscript"} {
		row[col] = procs[i].OID
	}
}

// rowTypeRows are the pg_type rows of relation rel's row type (OID oid,
// named as the relation) and of its array type (arr, "_" and the name),
// as CREATE TABLE and initdb make them.
func rowTypeRows(name string, ns, rel, oid, arr, owner catalog.OID) []map[string]any {
	row := map[string]any{
		"oid": oid, "typname": name, "typnamespace": ns, "typowner": owner, "typlen": -1, "typtype": "c",
		"typcategory": "C", "typisdefined": true, "typdelim": ",", "typrelid": rel, "typarray": arr,
		"typalign": "d", "typstorage": "x", "typtypmod": -1,
	}
	setTypeProcs(row, pgcat.RowTypeProcs)
	array := map[string]any{
		"oid": arr, "typname": pgtype.TruncateName("_" + name), "typnamespace": ns, "typowner": owner, "typlen": -1,
		"typtype": "b", "typcategory": "A", "typisdefined": true, "typdelim": ",", "typelem": oid,
		"typalign": "d", "typstorage": "x", "typtypmod": -1,
	}
	setTypeProcs(array, pgcat.ArrayTypeProcs)
	return []map[string]any{row, array}
}

func amRows(*catalogState) []map[string]any {
	var out []map[string]any
	for _, am := range pgcat.AMs {
		out = append(out, map[string]any{"oid": am.OID, "amname": am.Name, "amhandler": am.Handler.OID, "amtype": am.Type})
	}
	return out
}

func indexRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		t := x.t
		if len(t.PrimaryKey) == 0 {
			continue
		}
		var keys, colls, zeros []string
		for _, k := range t.PrimaryKey {
			keys = append(keys, fmt.Sprint(k+1))
			colls = append(colls, fmt.Sprint(collation(t.Columns[k].Type)))
			zeros = append(zeros, "0")
		}
		out = append(out, map[string]any{
			"indexrelid": planner.PrimaryKeyIndexOID(t), "indrelid": t.OID, "indnatts": len(keys), "indnkeyatts": len(keys),
			"indisunique": true, "indisprimary": true, "indimmediate": true, "indisvalid": true, "indisready": true,
			"indislive": true, "indkey": strings.Join(keys, " "), "indcollation": strings.Join(colls, " "),
			"indclass": strings.Join(zeros, " "), "indoption": strings.Join(zeros, " "),
		})
	}
	return out
}

func constraintRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		t := x.t
		if len(t.PrimaryKey) == 0 {
			continue
		}
		var keys []plan.Datum
		for _, k := range t.PrimaryKey {
			keys = append(keys, plan.Datum{I: int64(k + 1)})
		}
		out = append(out, map[string]any{
			"oid": planner.PrimaryKeyConstraintOID(t), "conname": planner.PrimaryKeyName(t), "connamespace": t.Namespace,
			"contype": "p", "convalidated": true, "conrelid": t.OID, "conindid": planner.PrimaryKeyIndexOID(t),
			"confupdtype": " ", "confdeltype": " ", "confmatchtype": " ", "conislocal": true, "connoinherit": true,
			"conkey": pgtype.ArrayDatum(tInt2Arr, keys).S,
		})
	}
	return out
}

func collationRows(*catalogState) []map[string]any {
	var out []map[string]any
	for _, c := range pgcat.Collations {
		row := map[string]any{
			"oid": c.OID, "collname": c.Name, "collnamespace": catalog.PgCatalogNamespace, "collowner": catalog.BootstrapSuperuser,
			"collprovider": c.Provider, "collisdeterministic": true, "collencoding": c.Encoding,
		}
		if c.Collate != "" {
			row["collcollate"], row["collctype"] = c.Collate, c.Collate
		}
		out = append(out, row)
	}
	return out
}

func databaseRows(cs *catalogState) []map[string]any {
	return []map[string]any{{
		"oid": pgcat.DatabaseOID, "datname": cs.s.database(), "datdba": catalog.BootstrapSuperuser, "encoding": 6,
		"datlocprovider": "c", "datallowconn": true, "datconnlimit": -1, "datminmxid": 1,
		"dattablespace": pgcat.DefaultTablespace, "datcollate": "C", "datctype": "C",
	}}
}

// database is the session's database name (Cirrus has one database,
// named as the client names it).
func (s *session) database() string {
	if s.params.Database != "" {
		return s.params.Database
	}
	return s.params.User
}

// roleRows lists the roles (pg_roles, pg_authid), with PostgreSQL's
// pg_database_owner, which owns public.
func roleRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range catalogRoles(cs.cat) {
		row := map[string]any{
			"oid": r.OID, "rolname": r.Name, "rolsuper": r.Super, "rolinherit": r.Inherit,
			"rolcreaterole": r.CreateRole, "rolcreatedb": r.CreateDB, "rolcanlogin": r.CanLogin,
			"rolreplication": r.Super, "rolconnlimit": r.ConnLimit, "rolpassword": "********", "rolbypassrls": r.Super,
		}
		if r.ValidUntil != nil {
			row["rolvaliduntil"] = *r.ValidUntil
		}
		out = append(out, row)
	}
	return out
}

// authidRows are pg_authid's: pg_roles' with the stored password.
func authidRows(cs *catalogState) []map[string]any {
	rows := roleRows(cs)
	for i, r := range catalogRoles(cs.cat) {
		rows[i]["rolpassword"] = nil
		if r.Password != "" {
			rows[i]["rolpassword"] = r.Password
		}
	}
	return rows
}

func userRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range catalogRoles(cs.cat) {
		if !r.CanLogin {
			continue
		}
		row := map[string]any{
			"usename": r.Name, "usesysid": r.OID, "usecreatedb": r.CreateDB, "usesuper": r.Super,
			"userepl": r.Super, "usebypassrls": r.Super, "passwd": "********",
		}
		if r.ValidUntil != nil {
			row["valuntil"] = *r.ValidUntil
		}
		out = append(out, row)
	}
	return out
}

func authMembersRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range cs.cat.Roles() {
		for _, m := range r.MemberOf {
			out = append(out, map[string]any{"roleid": m.Role, "member": r.OID, "grantor": m.Grantor, "admin_option": m.Admin})
		}
	}
	return out
}

// catalogRoles are the catalog's roles and PostgreSQL's pg_database_owner
// (the owner of public; it has no members: whoever owns the database).
func catalogRoles(cat *catalog.Catalog) []*catalog.Role {
	roles := cat.Roles()
	if _, ok := cat.RoleByOID(pgcat.DatabaseOwnerRole); !ok {
		roles = append(roles, &catalog.Role{OID: pgcat.DatabaseOwnerRole, Name: "pg_database_owner", Inherit: true, ConnLimit: -1})
	}
	return roles
}

// aclArray is an ACL as an aclitem[] value, NULL for the default (nil).
func aclArray(cat *catalog.Catalog, acl catalog.ACL) any {
	if acl == nil {
		return nil
	}
	var elems []pgtype.ArrayElem
	for _, it := range cat.ACLText(acl) {
		elems = append(elems, pgtype.ArrayElem{S: it})
	}
	return pgtype.FormatArray(tAcl, elems)
}

func procRows(*catalogState) []map[string]any {
	var out []map[string]any
	for _, p := range pgcat.Procs {
		row := map[string]any{
			"oid": p.OID, "proname": p.Name, "pronamespace": catalog.PgCatalogNamespace, "proowner": catalog.BootstrapSuperuser,
			"prolang": p.Lang, "procost": p.Cost, "prorows": p.Rows, "provariadic": p.Variadic, "prokind": p.Kind,
			"proisstrict": p.Strict, "proretset": p.RetSet, "provolatile": p.Volatile, "proparallel": p.Parallel,
			"pronargs": p.NArgs, "pronargdefaults": p.NArgDefaults, "prorettype": p.Ret, "proargtypes": p.Args,
			"prosrc": p.Src, "prosupport": catalog.OID(0),
		}
		for col, v := range map[string]string{"proallargtypes": p.AllArgs, "proargmodes": p.Modes, "proargnames": p.ArgNames} {
			if v != "" {
				row[col] = v
			}
		}
		out = append(out, row)
	}
	return out
}

func tablespaceRows(*catalogState) []map[string]any {
	return []map[string]any{
		{"oid": pgcat.DefaultTablespace, "spcname": "pg_default", "spcowner": catalog.BootstrapSuperuser},
		{"oid": catalog.OID(1664), "spcname": "pg_global", "spcowner": catalog.BootstrapSuperuser},
	}
}

func languageRows(*catalogState) []map[string]any {
	return []map[string]any{
		{"oid": pgcat.InternalLanguage, "lanname": "internal", "lanowner": catalog.BootstrapSuperuser, "lanvalidator": catalog.OID(2246)},
		{"oid": catalog.OID(13), "lanname": "c", "lanowner": catalog.BootstrapSuperuser, "lanvalidator": catalog.OID(2247)},
		{"oid": pgcat.SQLLanguage, "lanname": "sql", "lanowner": catalog.BootstrapSuperuser, "lanpltrusted": true, "lanvalidator": catalog.OID(2248)},
	}
}

func tablesViewRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range allSystemRelations() {
		if r.Kind == planner.SystemCatalog {
			out = append(out, map[string]any{"schemaname": r.SchemaName(), "tablename": r.Name, "tableowner": catalog.BootstrapSuperuserName})
		}
	}
	for _, x := range cs.tables() {
		if !x.t.IsView() {
			out = append(out, map[string]any{"schemaname": x.ns.Name, "tablename": x.t.Name, "tableowner": cs.cat.RoleName(x.t.Owner()),
				"hasindexes": len(x.t.PrimaryKey) > 0})
		}
	}
	return out
}

func viewsViewRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		if x.t.IsView() {
			out = append(out, map[string]any{"schemaname": x.ns.Name, "viewname": x.t.Name, "viewowner": cs.cat.RoleName(x.t.Owner()),
				"definition": " " + x.t.ViewQuery + ";"})
		}
	}
	return out
}

func indexesViewRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		if len(x.t.PrimaryKey) > 0 {
			out = append(out, map[string]any{"schemaname": x.ns.Name, "tablename": x.t.Name,
				"indexname": planner.PrimaryKeyName(x.t), "indexdef": planner.IndexDef(x.t, x.ns.Name, false)})
		}
	}
	return out
}

// statUserTablesRows has a row per user table with its live row count
// (from the manifest); Cirrus keeps no access counters, so they are 0.
func statUserTablesRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		if x.t.IsView() {
			continue
		}
		row := map[string]any{"relid": x.t.OID, "schemaname": x.ns.Name, "relname": x.t.Name}
		if m, err := cs.s.manifestFor(context.Background(), x.t); err == nil {
			row["n_live_tup"], row["n_tup_ins"] = m.Rows(), m.Rows()
		}
		out = append(out, row)
	}
	return out
}

func statioUserTablesRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, x := range cs.tables() {
		if !x.t.IsView() {
			out = append(out, map[string]any{"relid": x.t.OID, "schemaname": x.ns.Name, "relname": x.t.Name})
		}
	}
	return out
}

// tableSize is the bytes of a table's data files (pg_table_size).
func (s *session) tableSize(t *catalog.Table) int64 {
	m, err := s.manifestFor(context.Background(), t)
	if err != nil {
		return 0
	}
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// catalogInfo is what the planner's catalog functions need of the session.
func (s *session) catalogInfo() *planner.CatalogInfo {
	return &planner.CatalogInfo{
		Database:        s.database(),
		User:            s.params.User,
		Setting:         s.setting,
		TableSize:       s.tableSize,
		SystemRelations: allSystemRelations,
		SettingNames:    settingNames,
		BackendPID:      int64(s.params.PID),
	}
}

// settingsRows is pg_settings: the declared settings (gucs.go) with the
// session's values; times in ms and sizes in kB as numbers with their
// unit, as PostgreSQL shows them.
// settingCategories are the settings' pg_settings.category in PostgreSQL
// 15.
var settingCategories = map[string]string{
	"DateStyle":                           "Client Connection Defaults / Locale and Formatting",
	"IntervalStyle":                       "Client Connection Defaults / Locale and Formatting",
	"TimeZone":                            "Client Connection Defaults / Locale and Formatting",
	"application_name":                    "Reporting and Logging / What to Log",
	"bytea_output":                        "Client Connection Defaults / Statement Behavior",
	"client_encoding":                     "Client Connection Defaults / Locale and Formatting",
	"client_min_messages":                 "Client Connection Defaults / Statement Behavior",
	"default_transaction_deferrable":      "Client Connection Defaults / Statement Behavior",
	"default_transaction_isolation":       "Client Connection Defaults / Statement Behavior",
	"default_transaction_read_only":       "Client Connection Defaults / Statement Behavior",
	"extra_float_digits":                  "Client Connection Defaults / Locale and Formatting",
	"idle_in_transaction_session_timeout": "Client Connection Defaults / Statement Behavior",
	"idle_session_timeout":                "Client Connection Defaults / Statement Behavior",
	"in_hot_standby":                      "Preset Options",
	"integer_datetimes":                   "Preset Options",
	"is_superuser":                        "Preset Options",
	"lc_messages":                         "Client Connection Defaults / Locale and Formatting",
	"lock_timeout":                        "Client Connection Defaults / Statement Behavior",
	"max_identifier_length":               "Preset Options",
	"max_index_keys":                      "Preset Options",
	"password_encryption":                 "Connections and Authentication / Authentication",
	"search_path":                         "Client Connection Defaults / Statement Behavior",
	"server_encoding":                     "Preset Options",
	"server_version":                      "Preset Options",
	"server_version_num":                  "Preset Options",
	"standard_conforming_strings":         "Version and Platform Compatibility / Previous PostgreSQL Versions",
	"statement_timeout":                   "Client Connection Defaults / Statement Behavior",
	"transaction_deferrable":              "Client Connection Defaults / Statement Behavior",
	"transaction_isolation":               "Client Connection Defaults / Statement Behavior",
	"transaction_read_only":               "Client Connection Defaults / Statement Behavior",
	"work_mem":                            "Resource Usage / Memory",
}

func settingsRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, g := range gucList {
		if g.hidden {
			continue // GUC_NO_SHOW_ALL, as in PostgreSQL
		}
		cur, _ := cs.s.setting(strings.ToLower(g.name))
		row := map[string]any{
			"name": g.name, "setting": cur, "category": settingCategories[g.name], "short_desc": g.desc,
			"context": "user", "vartype": "string", "source": "default", "boot_val": g.boot, "reset_val": g.boot,
			"sourceline": nil, "pending_restart": false,
		}
		if cur != g.boot {
			row["source"] = "session"
		}
		if g.fixed {
			row["context"] = "internal"
		}
		switch g.kind {
		case gucBool:
			row["vartype"] = "bool"
		case gucInt:
			row["vartype"], row["min_val"], row["max_val"] = "integer", fmt.Sprint(g.min), fmt.Sprint(g.max)
		case gucEnum:
			row["vartype"] = "enum"
			var elems []pgtype.ArrayElem
			for _, e := range g.enum {
				elems = append(elems, pgtype.ArrayElem{S: e})
			}
			row["enumvals"] = pgtype.FormatArray(tTextArr, elems)
		case gucMillis:
			row["vartype"], row["unit"], row["min_val"], row["max_val"] = "integer", "ms", fmt.Sprint(g.min), fmt.Sprint(g.max)
			for _, col := range []string{"setting", "boot_val", "reset_val"} {
				if d, err := parseMillis(row[col].(string)); err == nil {
					row[col] = fmt.Sprint(d.Milliseconds())
				}
			}
		case gucKB:
			row["vartype"], row["unit"], row["min_val"], row["max_val"] = "integer", "kB", fmt.Sprint(g.min), fmt.Sprint(g.max)
			for _, col := range []string{"setting", "boot_val", "reset_val"} {
				if kb, err := parseKB(row[col].(string)); err == nil {
					row[col] = fmt.Sprint(kb)
				}
			}
		}
		out = append(out, row)
	}
	return out
}

// settingNames are the declared settings' names in lower case.
func settingNames() []string {
	names := make([]string, len(gucList))
	for i, g := range gucList {
		names[i] = strings.ToLower(g.name)
	}
	return names
}
