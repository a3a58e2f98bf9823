package coordinator

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// The views of information_schema (the SQL standard's catalog) that
// drivers and tools read, with PostgreSQL 15's columns (its domains as
// their base types) and rows derived like pg_catalog's. A session sees
// every object, as a superuser does in PostgreSQL.

// informationSchemaOIDs are the views' pg_class OIDs in a PostgreSQL 15.18
// initdb.
var informationSchemaOIDs = map[string]catalog.OID{
	"schemata": 13382, "tables": 13425, "columns": 13295, "key_column_usage": 13329,
	"table_constraints": 13411, "views": 13483, "table_privileges": 13416, "routine_privileges": 13353,
	"routines": 13377, "parameters": 13334,
}

// infoSchemaRelation declares a view of information_schema.
func infoSchemaRelation(name string, rows func(cs *catalogState) []map[string]any) *systemRelation {
	cols := informationSchemaColumns[name]
	return &systemRelation{
		SystemRelation: planner.SystemRelation{OID: informationSchemaOIDs[name], Schema: planner.InformationSchema, Name: name, Kind: planner.SystemView, Columns: cols},
		snapshotRows: func(cs *catalogState) [][]plan.Datum {
			var out [][]plan.Datum
			for _, r := range rows(cs) {
				out = append(out, datumRow(cols, r, true))
			}
			return out
		},
		sessionKey: databaseAndRole,
	}
}

var informationSchemaRelations = []*systemRelation{
	infoSchemaRelation("schemata", schemataRows),
	infoSchemaRelation("tables", infoTablesRows),
	infoSchemaRelation("columns", infoColumnsRows),
	infoSchemaRelation("key_column_usage", keyColumnUsageRows),
	infoSchemaRelation("table_constraints", tableConstraintsRows),
	infoSchemaRelation("views", infoViewsRows),
	infoSchemaRelation("table_privileges", tablePrivilegesRows),
	infoSchemaRelation("routine_privileges", routinePrivilegesRows),
	infoSchemaRelation("routines", routinesRows),
	infoSchemaRelation("parameters", parametersRows),
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func schemataRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, ns := range pgcat.Namespaces(cs.cat) {
		out = append(out, map[string]any{"catalog_name": cs.s.database(), "schema_name": ns.Name,
			"schema_owner": cs.cat.RoleName(ns.Owner())})
	}
	return out
}

// infoRelation is a relation as information_schema lists it.
type infoRelation struct {
	schema, name string
	oid          catalog.OID
	view         bool
	cols         []catalog.Column
	pk           []int
	viewQuery    string
	owner        catalog.OID
	acl          catalog.ACL // nil: the default
}

// infoRelations lists the system relations and the catalog's tables and
// views.
func (cs *catalogState) infoRelations() []infoRelation {
	var out []infoRelation
	for _, r := range allSystemRelations() {
		// Everyone may read the system relations, as PUBLIC may
		// PostgreSQL's.
		acl := catalog.DefaultACL(catalog.KindTable, catalog.BootstrapSuperuser).Grant(catalog.Public, catalog.BootstrapSuperuser, catalog.PrivSelect, 0)
		out = append(out, infoRelation{schema: r.SchemaName(), name: r.Name, oid: r.OID, view: r.Kind == planner.SystemView, cols: r.Columns,
			owner: catalog.BootstrapSuperuser, acl: acl})
	}
	for _, x := range cs.tables() {
		out = append(out, infoRelation{schema: x.ns.Name, name: x.t.Name, oid: x.t.OID, view: x.t.IsView(), cols: x.t.Columns,
			pk: x.t.PrimaryKey, viewQuery: x.t.ViewQuery, owner: x.t.Owner(), acl: x.t.ACL})
	}
	return out
}

func infoTablesRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range cs.infoRelations() {
		typ := "BASE TABLE"
		if r.view {
			typ = "VIEW"
		}
		out = append(out, map[string]any{"table_catalog": cs.s.database(), "table_schema": r.schema, "table_name": r.name,
			"table_type": typ, "is_insertable_into": yesNo(!r.view), "is_typed": "NO"})
	}
	return out
}

func infoColumnsRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	for _, r := range cs.infoRelations() {
		for i, c := range r.cols {
			if c.Dropped {
				continue
			}
			row := map[string]any{
				"table_catalog": db, "table_schema": r.schema, "table_name": r.name, "column_name": c.Name,
				"ordinal_position": i + 1, "is_nullable": yesNo(!c.NotNull), "data_type": sqlDataType(c.Type),
				"udt_catalog": db, "udt_schema": planner.SystemSchema, "udt_name": udtName(c.Type),
				"dtd_identifier": fmt.Sprint(i + 1), "is_self_referencing": "NO", "is_identity": "NO",
				"identity_cycle": "NO", "is_generated": "NEVER", "is_updatable": yesNo(!r.view),
			}
			t := c.Type
			switch {
			case t.Kind == catalog.Varchar || t.Kind == catalog.Bpchar:
				if t.Length > 0 {
					row["character_maximum_length"], row["character_octet_length"] = t.Length, t.Length*4
				} else if t.Kind == catalog.Varchar {
					row["character_octet_length"] = 1073741824
				}
			case t.Kind == catalog.Text:
				row["character_octet_length"] = 1073741824
			case t.IsInteger():
				row["numeric_precision"], row["numeric_precision_radix"], row["numeric_scale"] = int(t.Size())*8, 2, 0
			case t.Kind == catalog.Float4:
				row["numeric_precision"], row["numeric_precision_radix"] = 24, 2
			case t.Kind == catalog.Float8:
				row["numeric_precision"], row["numeric_precision_radix"] = 53, 2
			case t.Kind == catalog.Numeric:
				row["numeric_precision_radix"] = 10
				if t.Precision > 0 {
					// _pg_numeric_scale reads the typmod's low 16 bits, so
					// PostgreSQL 15 shows a negative scale s as 2048 + s.
					row["numeric_precision"], row["numeric_scale"] = t.Precision, (t.Typmod()-4)&0xffff
				}
			case t.Kind == catalog.Date:
				row["datetime_precision"] = 0
			case t.IsTimestamp():
				row["datetime_precision"] = 6
			}
			if t.IsString() && t.Kind != catalog.Name && t.Kind != catalog.Char {
				row["collation_catalog"], row["collation_schema"], row["collation_name"] = nil, nil, nil
			}
			out = append(out, row)
		}
	}
	return out
}

// sqlDataType is information_schema's data_type: the SQL name of a type
// without modifiers.
func sqlDataType(t catalog.Type) string {
	switch t.Kind {
	case catalog.Bpchar:
		return "character"
	case catalog.Varchar:
		return "character varying"
	case catalog.Numeric:
		return "numeric"
	case catalog.Array, catalog.Int2Vector, catalog.OidVector:
		return "ARRAY"
	case catalog.AclItem, catalog.PgNodeTree:
		return "USER-DEFINED"
	}
	return catalog.Type{Kind: t.Kind}.String()
}

// udtName is the type's pg_type.typname.
func udtName(t catalog.Type) string {
	if pt, ok := pgcat.TypeByOID(t.OID()); ok {
		return pt.Name
	}
	return t.String()
}

func keyColumnUsageRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	for _, x := range cs.tables() {
		for i, k := range x.t.PrimaryKey {
			out = append(out, map[string]any{
				"constraint_catalog": db, "constraint_schema": x.ns.Name, "constraint_name": planner.PrimaryKeyName(x.t),
				"table_catalog": db, "table_schema": x.ns.Name, "table_name": x.t.Name,
				"column_name": x.t.Columns[k].Name, "ordinal_position": i + 1,
			})
		}
	}
	return out
}

// tableConstraintsRows lists primary keys and, as PostgreSQL 15 does, a
// CHECK constraint named <schema oid>_<table oid>_<attnum>_not_null for
// each NOT NULL column.
func tableConstraintsRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	for _, x := range cs.tables() {
		t := x.t
		if t.IsView() {
			continue
		}
		row := func(name, typ string) map[string]any {
			return map[string]any{
				"constraint_catalog": db, "constraint_schema": x.ns.Name, "constraint_name": name,
				"table_catalog": db, "table_schema": x.ns.Name, "table_name": t.Name, "constraint_type": typ,
				"is_deferrable": "NO", "initially_deferred": "NO", "enforced": "YES",
			}
		}
		if len(t.PrimaryKey) > 0 {
			r := row(planner.PrimaryKeyName(t), "PRIMARY KEY")
			r["nulls_distinct"] = "YES"
			out = append(out, r)
		}
		for i, c := range t.Columns {
			if c.NotNull && !c.Dropped {
				out = append(out, row(fmt.Sprintf("%d_%d_%d_not_null", t.Namespace, t.OID, i+1), "CHECK"))
			}
		}
	}
	return out
}

func infoViewsRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	for _, r := range cs.infoRelations() {
		if !r.view {
			continue
		}
		row := map[string]any{
			"table_catalog": cs.s.database(), "table_schema": r.schema, "table_name": r.name, "check_option": "NONE",
			"is_updatable": "NO", "is_insertable_into": "NO", "is_trigger_updatable": "NO",
			"is_trigger_deletable": "NO", "is_trigger_insertable_into": "NO",
		}
		if r.viewQuery != "" {
			row["view_definition"] = " " + r.viewQuery + ";"
		}
		out = append(out, row)
	}
	return out
}

// grantRows lists an object's ACL (the default for its kind and owner
// when nil) one privilege a row, as PostgreSQL's privilege views explode
// it: grantor, grantee ("PUBLIC" for PUBLIC), privilege_type and
// is_grantable (a grant option, or the grantee is a member of the owner).
func (cs *catalogState) grantRows(kind catalog.ObjectKind, owner catalog.OID, acl catalog.ACL, row func() map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range acl.Or(kind, owner) {
		grantee := "PUBLIC"
		if it.Grantee != catalog.Public {
			grantee = cs.cat.RoleName(it.Grantee)
		}
		it.Privs.Each(func(bit catalog.Privileges, name string) {
			r := row()
			r["grantor"], r["grantee"], r["privilege_type"] = cs.cat.RoleName(it.Grantor), grantee, name
			r["is_grantable"] = yesNo(it.GrantOptions&bit != 0 || it.Grantee != catalog.Public && cs.cat.IsMemberOfRole(it.Grantee, owner))
			out = append(out, r)
		})
	}
	return out
}

func tablePrivilegesRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	for _, r := range cs.infoRelations() {
		rows := cs.grantRows(catalog.KindTable, r.owner, r.acl, func() map[string]any {
			return map[string]any{"table_catalog": db, "table_schema": r.schema, "table_name": r.name}
		})
		for _, row := range rows {
			row["with_hierarchy"] = yesNo(row["privilege_type"] == "SELECT")
		}
		out = append(out, rows...)
	}
	return out
}

// routinePrivilegesRows lists the built-in functions' EXECUTE privilege:
// PostgreSQL's default for a function, to PUBLIC and to its owner.
func routinePrivilegesRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	owner := catalog.BootstrapSuperuser
	acl := catalog.ACL{{Grantee: catalog.Public, Grantor: owner, Privs: catalog.PrivExecute}, {Grantee: owner, Grantor: owner, Privs: catalog.PrivExecute}}
	for _, p := range pgcat.Procs {
		out = append(out, cs.grantRows("function", owner, acl, func() map[string]any {
			return map[string]any{"specific_catalog": db, "specific_schema": planner.SystemSchema, "specific_name": fmt.Sprintf("%s_%d", p.Name, p.OID),
				"routine_catalog": db, "routine_schema": planner.SystemSchema, "routine_name": p.Name}
		})...)
	}
	return out
}

// routineType is information_schema's data_type of a function's result
// or argument type o (PostgreSQL's CASE: ARRAY for an array type, else
// format_type; every type Cirrus knows is in pg_catalog), and the type's
// name; ok is false for a type Cirrus does not know.
func routineType(o catalog.OID) (dataType, name string, ok bool) {
	if pt, ok := pgcat.PseudoTypes[o]; ok {
		return pt[1], pt[0], true
	}
	t, ok := pgcat.TypeByOID(o)
	if !ok {
		return "", "", false
	}
	if t.Elem != 0 && t.Len == -1 {
		return "ARRAY", t.Name, true
	}
	return executor.FormatType(o, -1, true), t.Name, true
}

// languageNames are pg_language's names of the languages of pg_proc.
var languageNames = map[catalog.OID]string{pgcat.InternalLanguage: "internal", 13: "c", pgcat.SQLLanguage: "sql"}

// routinesRows lists the built-in functions as PostgreSQL 15's
// information_schema.routines shows them: a function a role may execute
// (every built-in one), its body visible to members of its owner.
func routinesRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	owner := cs.cat.HasPrivsOfRole(cs.s.currentRole(), catalog.BootstrapSuperuser)
	for _, p := range pgcat.Procs {
		lang := languageNames[p.Lang]
		row := map[string]any{
			"specific_catalog": db, "specific_schema": planner.SystemSchema, "specific_name": fmt.Sprintf("%s_%d", p.Name, p.OID),
			"routine_catalog": db, "routine_schema": planner.SystemSchema, "routine_name": p.Name,
			"routine_body": "EXTERNAL", "external_language": strings.ToUpper(lang), "parameter_style": "GENERAL",
			"is_deterministic": yesNo(p.Volatile == "i"), "sql_data_access": "MODIFIES", "schema_level_routine": "YES",
			"max_dynamic_result_sets": 0, "security_type": "INVOKER", "as_locator": "NO", "is_udt_dependent": "NO",
		}
		if lang == "sql" {
			row["routine_body"] = "SQL"
		}
		if lang == "c" {
			row["external_name"] = p.Src
		}
		if owner {
			row["routine_definition"] = p.Src
		}
		if p.Kind != "p" {
			row["dtd_identifier"] = "0"
			row["is_null_call"] = yesNo(p.Strict)
			row["data_type"] = "USER-DEFINED"
			if dt, name, ok := routineType(p.Ret); ok {
				row["data_type"], row["type_udt_catalog"], row["type_udt_schema"], row["type_udt_name"] = dt, db, planner.SystemSchema, name
			}
		}
		switch p.Kind {
		case "f":
			row["routine_type"] = "FUNCTION"
		case "p":
			row["routine_type"] = "PROCEDURE"
		}
		out = append(out, row)
	}
	return out
}

// parametersRows lists the built-in functions' arguments (OUT ones
// included) as PostgreSQL 15's information_schema.parameters does: one
// row per argument whose type pg_type has, with its mode and name.
func parametersRows(cs *catalogState) []map[string]any {
	var out []map[string]any
	db := cs.s.database()
	modes := map[string]string{"i": "IN", "o": "OUT", "b": "INOUT", "v": "IN", "t": "OUT"}
	for _, p := range pgcat.Procs {
		types := strings.Fields(p.Args)
		if p.AllArgs != "" {
			types = arrayElems(p.AllArgs)
		}
		ms, names := arrayElems(p.Modes), arrayElems(p.ArgNames)
		for i, ts := range types {
			o, err := strconv.ParseUint(ts, 10, 32)
			if err != nil {
				continue
			}
			dt, name, ok := routineType(catalog.OID(o))
			if !ok {
				continue
			}
			row := map[string]any{
				"specific_catalog": db, "specific_schema": planner.SystemSchema, "specific_name": fmt.Sprintf("%s_%d", p.Name, p.OID),
				"ordinal_position": i + 1, "parameter_mode": "IN", "is_result": "NO", "as_locator": "NO", "data_type": dt,
				"udt_catalog": db, "udt_schema": planner.SystemSchema, "udt_name": name, "dtd_identifier": strconv.Itoa(i + 1),
			}
			if i < len(ms) {
				row["parameter_mode"] = modes[ms[i]]
			}
			if i < len(names) && names[i] != "" {
				row["parameter_name"] = names[i]
			}
			out = append(out, row)
		}
	}
	return out
}

// arrayElems splits a catalog array's text ({a,b}) into its elements,
// nil for none.
func arrayElems(s string) []string {
	elems, err := pgtype.ParseArray(catalog.ArrayOf(catalog.Text), s)
	if err != nil || s == "" {
		return nil
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = e.S
	}
	return out
}
