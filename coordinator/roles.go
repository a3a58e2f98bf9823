package coordinator

import (
	"context"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/scram"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
)

// Connect implements pgwire.Backend: the startup user must be a role that
// may log in (authentication, when configured, has already checked its
// password) and, unless a superuser, within its CONNECTION LIMIT, counted
// over every coordinator (those that answer in time: otherSessions).
func (c *Coordinator) Connect(ctx context.Context, p pgwire.StartupParams) (pgwire.Session, error) {
	cat, _ := c.Catalog()
	r, ok := cat.Role(p.User)
	if !ok {
		return nil, sqlerr.Errorf(sqlerr.InvalidAuthorization, "role %q does not exist", p.User)
	}
	if !r.CanLogin {
		return nil, sqlerr.Errorf(sqlerr.InvalidAuthorization, "role %q is not permitted to log in", p.User)
	}
	s := newSession(c, p, r.OID)
	if err := s.applyStartup(p.Options); err != nil {
		return nil, err
	}
	s.act.app, _ = s.setting("application_name")
	limit := r.ConnLimit
	if r.Super {
		limit = -1
	}
	tooMany := sqlerr.Errorf(sqlerr.TooManyConnections, "too many connections for role %q", p.User)
	if !c.sessions.addLimited(s, limit) {
		return nil, tooMany
	}
	if limit >= 0 {
		n := c.sessions.countRole(r.OID)
		for _, o := range c.otherSessions(ctx) {
			if catalog.OID(o.UserOid) == r.OID {
				n++
			}
		}
		if n > int(limit) {
			c.sessions.remove(s)
			return nil, tooMany
		}
	}
	return s, nil
}

// Secret returns a role's stored password and whether it may log in, for
// password authentication (pgwire's Credentials). A password past the
// role's VALID UNTIL is no password, as in PostgreSQL.
func (c *Coordinator) Secret(ctx context.Context, user string) (secret string, canLogin bool, err error) {
	cat, _ := c.Catalog()
	r, ok := cat.Role(user)
	if !ok {
		return "", false, nil
	}
	if r.ValidUntil != nil && *r.ValidUntil != catalog.NoValidUntil && time.Now().UTC().Sub(pgEpoch).Microseconds() > *r.ValidUntil {
		return "", r.CanLogin, nil
	}
	return r.Password, r.CanLogin, nil
}

var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var _ pgwire.Credentials = (*Coordinator)(nil)

// currentRole is current_user: the role set by SET ROLE, else the session
// user.
func (s *session) currentRole() catalog.OID {
	if s.role != 0 {
		return s.role
	}
	return s.sessionUser
}

// identitySetting returns the settings that show who the session is:
// is_superuser (of the current role), role (set by SET ROLE, else none)
// and session_authorization.
func (s *session) identitySetting(name string) (string, bool) {
	cat, _ := s.view()
	switch name {
	case "is_superuser":
		if cat.IsSuperuser(s.currentRole()) {
			return "on", true
		}
		return "off", true
	case "role":
		if s.role == 0 {
			return "none", true
		}
		return cat.RoleName(s.role), true
	case "session_authorization":
		return cat.RoleName(s.sessionUser), true
	}
	return "", false
}

// encryptPassword turns a password given to CREATE/ALTER ROLE into what is
// stored: a SCRAM-SHA-256 secret, or an md5 hash when password_encryption
// is md5; a password given already encrypted is stored as it is.
func (s *session) encryptPassword(role, pw string) (string, error) {
	if _, ok := scram.ParseSecret(pw); ok || scram.IsMD5Secret(pw) {
		return pw, nil
	}
	if v, _ := s.setting("password_encryption"); v == "md5" {
		return scram.MD5Secret(role, pw), nil
	}
	return scram.Secret(pw)
}

// setPassword stores pw (nil: NULL) as r's password.
func (s *session) setPassword(r *catalog.Role, pw *string, w pgwire.ResultWriter) error {
	r.Password = ""
	if pw == nil {
		return nil
	}
	if *pw == "" {
		w.Notice(sqlerr.New(sqlerr.SuccessfulCompletion, "empty string is not a valid password, clearing password"))
		return nil
	}
	enc, err := s.encryptPassword(r.Name, *pw)
	if err != nil {
		return err
	}
	r.Password = enc
	return nil
}

// runRoleDDL runs the role statements and GRANT/REVOKE/OWNER TO in the
// session's transaction; handled reports whether st was one.
func (s *session) runRoleDDL(ctx context.Context, st planner.Statement, w pgwire.ResultWriter) (tag string, handled bool, err error) {
	switch st := st.(type) {
	case *planner.CreateRole:
		oid, err := s.c.metad.AllocOIDs(ctx, 1)
		if err != nil {
			return "", true, err
		}
		r := st.Role
		r.OID = oid
		if err := s.setPassword(&r, st.Password, w); err != nil {
			return "", true, err
		}
		for _, g := range st.InRoles {
			r.MemberOf = append(r.MemberOf, catalog.Membership{Role: g.OID, Grantor: st.Grantor})
		}
		s.txn.put(s, &catalog.Object{Role: &r}, true)
		for _, m := range append(st.Members, st.Admins...) {
			admin := containsRole(st.Admins, m)
			c := *m
			c.MemberOf = append(append([]catalog.Membership(nil), m.MemberOf...), catalog.Membership{Role: oid, Grantor: st.Grantor, Admin: admin})
			s.txn.put(s, &catalog.Object{Role: &c}, false)
		}
		return "CREATE ROLE", true, nil
	case *planner.AlterRole:
		for _, n := range st.Notices {
			w.Notice(n)
		}
		if st.SetPassword {
			if err := s.setPassword(st.Role, st.Password, w); err != nil {
				return "", true, err
			}
		}
		s.txn.put(s, &catalog.Object{Role: st.Role}, false)
		return st.Tag, true, nil
	case *planner.DropRole:
		for _, name := range st.Missing {
			w.Notice(sqlerr.Errorf(sqlerr.SuccessfulCompletion, "role %q does not exist, skipping", name))
		}
		for _, r := range st.Changed {
			s.txn.put(s, &catalog.Object{Role: r}, false)
		}
		for _, r := range st.Roles {
			s.txn.drop(s, r.OID, catalog.KindRole, r.Version)
		}
		return "DROP ROLE", true, nil
	case *planner.ChangeObjects:
		for _, n := range st.Notices {
			w.Notice(n)
		}
		for _, o := range st.Objects {
			s.txn.put(s, o, false)
		}
		return st.Tag, true, nil
	}
	return "", false, nil
}

func containsRole(rs []*catalog.Role, r *catalog.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// setRole runs SET ROLE and SET SESSION AUTHORIZATION (bound and checked
// by the planner).
func (s *session) setRole(st *planner.SetRole) string {
	if st.Session {
		s.sessionUser = st.Role
		if s.sessionUser == 0 {
			s.sessionUser = s.authUser
		}
		s.role = 0 // as PostgreSQL: SET SESSION AUTHORIZATION resets the role
	} else {
		s.role = st.Role
	}
	if st.Reset {
		return "RESET"
	}
	return "SET"
}
