package pgwire

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/jackc/pgproto3/v2"
)

// prepStmt is a statement created by Parse.
type prepStmt struct {
	name string
	st   Statement // nil for an empty query
}

// Portal states.
const (
	portalNew = iota
	portalSuspended
	portalDone
)

// portal is a bound statement created by Bind.
type portal struct {
	name    string
	stmt    *prepStmt
	params  []plan.Datum
	formats []int16 // per result column; nil = all text
	state   int
	// A suspended portal has rows (the paused statement, see Suspender)
	// or, when its statement cannot pause, buf (its rows, kept).
	rows   Rows
	buf    *rowBuffer
	tag    string
	failed bool
}

// dropPortal closes a portal, if it exists, ending its paused statement.
func (c *conn) dropPortal(name string) {
	if p := c.portals[name]; p != nil {
		if p.rows != nil {
			p.rows.Close()
		}
		delete(c.portals, name)
	}
}

// userErr reports an error pgwire raises itself to a Session that observes
// them (see ErrorObserver) and returns it.
func (c *conn) userErr(e *sqlerr.Error) error {
	if o, ok := c.sess.(ErrorObserver); ok {
		o.ProtocolError(e)
	}
	return e
}

// extended handles Parse, Bind, Describe, Execute and Close.
func (c *conn) extended(typ byte, body []byte) error {
	r := &msgReader{b: body}
	switch typ {
	case 'P':
		name := r.cstring()
		query := r.cstring()
		n := int(uint16(r.int16()))
		var oids []uint32
		if n > 0 && !r.bad {
			oids = make([]uint32, n)
			for i := range oids {
				oids[i] = uint32(r.int32())
			}
		}
		if err := r.check("Parse"); err != nil {
			return err
		}
		return c.parse(name, query, oids)
	case 'B':
		return c.bind(r)
	case 'D':
		kind := r.byte1()
		name := r.cstring()
		if err := r.check("Describe"); err != nil {
			return err
		}
		return c.describe(kind, name)
	case 'E':
		name := r.cstring()
		max := r.int32()
		if err := r.check("Execute"); err != nil {
			return err
		}
		return c.executePortal(name, max)
	case 'C':
		kind := r.byte1()
		name := r.cstring()
		if err := r.check("Close"); err != nil {
			return err
		}
		switch kind {
		case 'S':
			c.closeStatement(name)
		case 'P':
			c.dropPortal(name)
		default:
			return c.userErr(sqlerr.Errorf(sqlerr.ProtocolViolation, "invalid CLOSE message subtype %d", kind))
		}
		c.send(&pgproto3.CloseComplete{})
	}
	return nil
}

// closeStatement closes a prepared statement, if it exists, and its portals.
func (c *conn) closeStatement(name string) {
	ps := c.stmts[name]
	if ps == nil {
		return
	}
	delete(c.stmts, name)
	for pn, p := range c.portals {
		if p.stmt == ps {
			c.dropPortal(pn)
		}
	}
}

// deallocate closes what a DEALLOCATE statement names (see Deallocator):
// one named prepared statement, or every named one.
func (c *conn) deallocate(name string, all bool) error {
	if all {
		for n := range c.stmts {
			if n != "" {
				c.closeStatement(n)
			}
		}
		return nil
	}
	if _, ok := c.stmts[name]; !ok {
		return c.userErr(stmtNotFound(name))
	}
	c.closeStatement(name)
	return nil
}

// isEmptyQuery reports whether a Parse carries no statement.
func isEmptyQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v', ';':
		default:
			return false
		}
	}
	return true
}

func (c *conn) parse(name, query string, oids []uint32) error {
	if name == "" {
		delete(c.stmts, "")
	} else if _, ok := c.stmts[name]; ok {
		return c.userErr(sqlerr.Errorf(codeDuplicatePStatement, "prepared statement \"%s\" already exists", name))
	}
	ps := &prepStmt{name: name}
	if !isEmptyQuery(query) {
		st, err := c.prepare(query, oids)
		if err != nil {
			return err
		}
		ps.st = st
	}
	c.stmts[name] = ps
	c.send(&pgproto3.ParseComplete{})
	return nil
}

func stmtNotFound(name string) *sqlerr.Error {
	if name == "" {
		return sqlerr.New(sqlerr.InvalidSQLStatementName, "unnamed prepared statement does not exist")
	}
	return sqlerr.Errorf(sqlerr.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", name)
}

func portalNotFound(name string) *sqlerr.Error {
	return sqlerr.Errorf(sqlerr.InvalidCursorName, "portal \"%s\" does not exist", name)
}

func (c *conn) bind(r *msgReader) error {
	portalName := r.cstring()
	stmtName := r.cstring()
	nf := int(uint16(r.int16()))
	pformats := make([]int16, 0, nf)
	for i := 0; i < nf && !r.bad; i++ {
		pformats = append(pformats, r.int16())
	}
	np := int(uint16(r.int16()))
	values := make([][]byte, 0, np)
	for i := 0; i < np && !r.bad; i++ {
		n := r.int32()
		if n == -1 {
			values = append(values, nil)
			continue
		}
		v := r.bytes(int(n))
		if v == nil {
			v = []byte{}
		}
		values = append(values, v)
	}
	nr := int(uint16(r.int16()))
	rformats := make([]int16, 0, nr)
	for i := 0; i < nr && !r.bad; i++ {
		rformats = append(rformats, r.int16())
	}
	if err := r.check("Bind"); err != nil {
		return err
	}

	if portalName == "" {
		c.dropPortal("")
	} else if _, ok := c.portals[portalName]; ok {
		return c.userErr(sqlerr.Errorf(codeDuplicateCursor, "cursor \"%s\" already exists", portalName))
	}
	ps := c.stmts[stmtName]
	if ps == nil {
		return c.userErr(stmtNotFound(stmtName))
	}
	var types []catalog.Type
	var cols []Column
	if ps.st != nil {
		types = ps.st.ParamTypes()
		cols = ps.st.Columns()
	}
	if nf > 1 && nf != np {
		return c.userErr(sqlerr.Errorf(sqlerr.ProtocolViolation, "bind message has %d parameter formats but %d parameters", nf, np))
	}
	if np != len(types) {
		return c.userErr(sqlerr.Errorf(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement \"%s\" requires %d", np, stmtName, len(types)))
	}
	var params []plan.Datum
	if np > 0 {
		params = make([]plan.Datum, np)
		dt := c.output().DateTime
		for i, v := range values {
			var f int16
			switch {
			case nf == 1:
				f = pformats[0]
			case nf > 1:
				f = pformats[i]
			}
			d, err := decodeParam(ps.st, dt, types[i], f, v, i+1)
			if err != nil {
				return c.userErr(sqlerr.As(err))
			}
			params[i] = d
		}
	}
	formats, err := resolveFormats(rformats, cols)
	if err != nil {
		return c.userErr(err)
	}
	c.portals[portalName] = &portal{name: portalName, stmt: ps, params: params, formats: formats}
	c.send(&pgproto3.BindComplete{})
	return nil
}

// resolveFormats expands Bind's result format codes to one per column (nil
// when all are text).
func resolveFormats(codes []int16, cols []Column) ([]int16, *sqlerr.Error) {
	if cols == nil {
		return nil, nil
	}
	for _, f := range codes {
		if f != 0 && f != 1 {
			return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	switch {
	case len(codes) == 0:
		return nil, nil
	case len(codes) == 1:
		if codes[0] == 0 {
			return nil, nil
		}
		out := make([]int16, len(cols))
		for i := range out {
			out[i] = codes[0]
		}
		return out, nil
	case len(codes) == len(cols):
		return codes, nil
	}
	return nil, sqlerr.Errorf(sqlerr.ProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), len(cols))
}

// decodeParam decodes Bind parameter idx (1-based) of type t of statement
// st; text input reads dates and times with the session's settings dt.
func decodeParam(st Statement, dt pgtype.DateTime, t catalog.Type, format int16, v []byte, idx int) (plan.Datum, error) {
	if v == nil {
		return plan.Datum{Null: true}, nil
	}
	switch format {
	case 0:
		if ri, ok := st.(RegInput); ok && t.IsReg() {
			s, err := pgtype.ParseString(catalog.TypeText, v)
			if err != nil {
				return plan.Datum{}, err
			}
			o, err := ri.RegIn(t, s)
			return plan.Datum{I: o}, err
		}
		return dt.ParseText(t, v)
	case 1:
		if t.IsInteger() && len(v) != int(t.Size()) && (len(v) == 2 || len(v) == 4 || len(v) == 8) {
			// A client that encoded an integer at another width (its own
			// idea of the type): accept it when the value fits.
			var x int64
			switch len(v) {
			case 2:
				x = int64(int16(binary.BigEndian.Uint16(v)))
			case 4:
				x = int64(int32(binary.BigEndian.Uint32(v)))
			default:
				x = int64(binary.BigEndian.Uint64(v))
			}
			if (t.Kind == catalog.Int2 && (x < -1<<15 || x >= 1<<15)) || (t.Kind == catalog.Int4 && (x < -1<<31 || x >= 1<<31)) {
				name := "integer"
				if t.Kind == catalog.Int2 {
					name = "smallint"
				}
				return plan.Datum{}, sqlerr.Errorf(sqlerr.NumericValueOutOfRange, "%s out of range", name)
			}
			return plan.Datum{I: x}, nil
		}
		d, err := pgtype.DecodeBinary(t, v)
		if err != nil {
			e := sqlerr.As(err)
			if e.Message == pgtype.ErrBinaryFormatMessage {
				return plan.Datum{}, sqlerr.Errorf("22P03", "incorrect binary data format in bind parameter %d", idx)
			}
			return plan.Datum{}, e
		}
		return d, nil
	}
	return plan.Datum{}, sqlerr.Errorf(sqlerr.InvalidParameterValue, "unsupported format code: %d", format)
}

func (c *conn) describe(kind byte, name string) error {
	switch kind {
	case 'S':
		ps := c.stmts[name]
		if ps == nil {
			return c.userErr(stmtNotFound(name))
		}
		pd := &pgproto3.ParameterDescription{}
		var cols []Column
		if ps.st != nil {
			for _, t := range ps.st.ParamTypes() {
				pd.ParameterOIDs = append(pd.ParameterOIDs, uint32(t.OID()))
			}
			cols = ps.st.Columns()
			if d, ok := ps.st.(Described); ok {
				d.MarkDescribed()
			}
		}
		c.send(pd)
		if cols != nil {
			c.send(rowDescription(cols, nil))
		} else {
			c.send(&pgproto3.NoData{})
		}
	case 'P':
		p := c.portals[name]
		if p == nil {
			if cd, ok := c.sess.(CursorDescriber); ok {
				if cols, ok := cd.CursorColumns(name); ok {
					c.send(rowDescription(cols, nil))
					return nil
				}
			}
			return c.userErr(portalNotFound(name))
		}
		var cols []Column
		if p.stmt.st != nil {
			cols = p.stmt.st.Columns()
			if d, ok := p.stmt.st.(Described); ok {
				d.MarkDescribed()
			}
		}
		if cols != nil {
			c.send(rowDescription(cols, p.formats))
		} else {
			c.send(&pgproto3.NoData{})
		}
	default:
		return c.userErr(sqlerr.Errorf(sqlerr.ProtocolViolation, "invalid DESCRIBE message subtype %d", kind))
	}
	return nil
}

// executePortal handles Execute with a row limit (max <= 0: no limit).
func (c *conn) executePortal(name string, max int32) error {
	p := c.portals[name]
	if p == nil {
		return c.userErr(portalNotFound(name))
	}
	if before := c.sess.TxStatus(); before != 'I' {
		// A statement that ends the transaction (COMMIT, ROLLBACK) drops
		// the other portals, as PostgreSQL's AtCommit/AtAbort_Portals do.
		defer func() {
			if c.sess.TxStatus() == 'I' {
				for other := range c.portals {
					if other != name {
						c.dropPortal(other)
					}
				}
			}
		}()
	}
	st := p.stmt.st
	if st == nil {
		c.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.state == portalDone {
		// Like PostgreSQL: a finished row-returning portal yields no more
		// rows; anything else cannot run twice.
		if p.failed || st.Columns() == nil {
			return c.userErr(sqlerr.Errorf(codeObjectNotInPrerequisiteState, "portal \"%s\" cannot be run", p.name))
		}
		tag := p.tag
		if strings.HasPrefix(tag, "SELECT ") || tag == "" {
			tag = "SELECT 0"
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return nil
	}
	if p.state == portalNew && (max <= 0 || st.Columns() == nil) {
		p.state = portalDone
		tag, err := c.execute(st, p.params, p.formats, nil)
		if err != nil {
			p.failed = true
			return err
		}
		p.tag = tag
		c.reportParameters()
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return nil
	}
	if p.state == portalNew {
		p.state = portalSuspended
		if sus, ok := st.(Suspender); ok {
			rows, err := c.start(sus, p.params, p.formats)
			if err != nil {
				p.state = portalDone
				p.failed = true
				return err
			}
			p.rows = rows
		}
	}
	if p.rows != nil {
		return c.fetch(p, max)
	}
	if p.buf == nil {
		p.buf = &rowBuffer{output: c.output()}
		tag, err := c.execute(st, p.params, p.formats, p.buf)
		if err != nil {
			p.state = portalDone
			p.failed = true
			p.buf = nil
			return err
		}
		p.tag = tag
		c.reportParameters()
	}
	n, complete, err := p.buf.send(c, int64(max), p.formats)
	if err != nil {
		return sqlerr.Wrap(err, sqlerr.ConnectionFailure, "could not send data to client")
	}
	if !complete {
		c.send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.state = portalDone
	p.buf = nil
	tag := p.tag
	if strings.HasPrefix(tag, "SELECT ") {
		tag = "SELECT " + strconv.FormatInt(n, 10)
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

// start starts a portal's statement for row-limited Executes (see
// Suspender); nil Rows when it cannot pause.
func (c *conn) start(sus Suspender, params []plan.Datum, formats []int16) (Rows, error) {
	ctx, done := c.stmtContext()
	defer done()
	rows, err := sus.Start(ctx, params, &resultWriter{c: c, ctx: ctx, formats: formats, output: c.output()})
	if err != nil {
		return nil, c.toSQLErr(err, ctx)
	}
	return rows, nil
}

// fetch runs one Execute of a portal whose statement is paused: up to max
// rows, then PortalSuspended, or CommandComplete once complete.
func (c *conn) fetch(p *portal, max int32) error {
	ctx, done := c.stmtContext()
	defer done()
	n, complete, err := p.rows.Fetch(ctx, int64(max), &resultWriter{c: c, ctx: ctx, formats: p.formats, output: c.output()})
	if err != nil {
		p.state, p.failed, p.rows = portalDone, true, nil
		return c.toSQLErr(err, ctx)
	}
	if !complete {
		c.send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.state, p.rows, p.tag = portalDone, nil, "SELECT "+strconv.FormatInt(n, 10)
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(p.tag)})
	return nil
}

// dropPortals closes every portal (at the end of a transaction, and of
// the connection).
func (c *conn) dropPortals() {
	for k := range c.portals {
		c.dropPortal(k)
	}
}
