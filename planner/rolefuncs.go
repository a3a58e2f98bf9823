package planner

import (
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// pgHasRole binds pg_has_role([user,] role, privileges): MEMBER is
// membership through any chain (what SET ROLE needs), USAGE having the
// role's privileges (through INHERIT roles), either WITH ADMIN OPTION the
// right to grant the role; true when any listed one holds. The user and
// the list are constants (as for has_*_privilege, privfuncs.go); the role
// is a constant name or an OID (a plan.Lookup over every role, NULL for an
// OID that names none). nil when name is not pg_has_role.
func (b *binder) pgHasRole(name string, args []*plan.Expr) *plan.Expr {
	if name != "pg_has_role" {
		return nil
	}
	if len(args) != 2 && len(args) != 3 {
		failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
	}
	member := b.current()
	if len(args) == 3 {
		member = b.privilegeRole(args[0])
		args = args[1:]
	}
	var isMember, usage, admin bool
	for _, item := range strings.Split(constString(args[1], "privilege type"), ",") {
		word := strings.ToUpper(strings.Join(strings.Fields(item), " "))
		if w, ok := strings.CutSuffix(word, " WITH ADMIN OPTION"); ok {
			word = w
			if w == "MEMBER" || w == "USAGE" {
				admin = true
				continue
			}
		} else if w, ok := strings.CutSuffix(word, " WITH GRANT OPTION"); ok && (w == "MEMBER" || w == "USAGE") {
			admin = true
			continue
		}
		switch word {
		case "MEMBER":
			isMember = true
		case "USAGE":
			usage = true
		default:
			failf(sqlerr.InvalidParameterValue, "unrecognized privilege type: %q", strings.TrimSpace(item))
		}
	}
	cat := b.ctx.Catalog
	m := map[int64]plan.Datum{}
	for _, r := range cat.Roles() {
		m[int64(r.OID)] = plan.Datum{B: isMember && cat.IsMemberOfRole(member, r.OID) ||
			usage && cat.HasPrivsOfRole(member, r.OID) || admin && cat.IsAdminOfRole(member, r.OID)}
	}
	role := args[0]
	if role.Type.IsString() || role.Type.Kind == catalog.Unknown {
		return plan.ConstOf(catalog.TypeBool, m[int64(b.roleNamed(constString(role, "role name")).OID)])
	}
	return plan.LookupOf(catalog.TypeBool, b.oidArg(role, catalog.TypeOid), m, nil)
}
