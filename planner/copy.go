package planner

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// copy binds COPY … FROM STDIN and COPY … TO STDOUT.
func (b *binder) copy(cs *pg_query.CopyStmt) Statement {
	if cs.Filename != "" || cs.IsProgram {
		if cs.IsFrom {
			failf(sqlerr.InsufficientPrivilege, "COPY from a file is not allowed; use COPY FROM STDIN (psql's \\copy)")
		}
		failf(sqlerr.InsufficientPrivilege, "COPY to a file is not allowed; use COPY TO STDOUT (psql's \\copy)")
	}
	opts := copyOptions(cs.Options, cs.IsFrom)
	if !cs.IsFrom {
		return b.copyTo(cs, opts)
	}
	if cs.WhereClause != nil {
		failf(sqlerr.FeatureNotSupported, "COPY FROM ... WHERE is not supported yet")
	}
	t := b.table(cs.Relation, changeCopy)
	return &CopyFrom{CopyOptions: opts.CopyOptions, HeaderMatch: opts.headerMatch, Table: t, Targets: b.targetColumns(t, cs.Attlist)}
}

// copyTo binds COPY TO STDOUT. The table form is bound as the query
// SELECT cols FROM table, so its columns carry their table OID and attnum.
func (b *binder) copyTo(cs *pg_query.CopyStmt, opts parsedCopyOptions) Statement {
	ct := &CopyTo{CopyOptions: opts.CopyOptions}
	var names []string // output column names FORCE_QUOTE may name
	var table *catalog.Table
	if cs.Query != nil {
		q, ok := b.statement(cs.Query).(*Query)
		if !ok {
			failf(sqlerr.FeatureNotSupported, "COPY (query) TO is only supported for SELECT")
		}
		ct.Query = q
		for _, c := range q.Columns {
			names = append(names, c.Name)
		}
	} else {
		t, sys := b.relation(cs.Relation)
		if sys == nil && t.IsView() {
			fail(sqlerr.Errorf(sqlerr.WrongObjectType, "cannot copy from view %q", t.Name).WithHint("Try the COPY (SELECT ...) TO variant."))
		}
		var cols []string
		if len(cs.Attlist) > 0 || sys == nil {
			if sys != nil {
				failf(sqlerr.FeatureNotSupported, "COPY of a system relation with a column list is not supported")
			}
			table = t
			for _, i := range b.targetColumns(t, cs.Attlist) {
				cols = append(cols, quoteIdent(t.Columns[i].Name))
			}
		} else {
			cols = []string{"*"}
		}
		rel := quoteIdent(cs.Relation.Relname)
		if cs.Relation.Schemaname != "" {
			rel = quoteIdent(cs.Relation.Schemaname) + "." + rel
		}
		res, err := pg_query.Parse("SELECT " + strings.Join(cols, ", ") + " FROM " + rel)
		if err != nil {
			fail(sqlerr.Wrap(err, sqlerr.Internal, "COPY: building the table's query"))
		}
		ct.Query = b.statement(res.Stmts[0].Stmt).(*Query)
		for _, c := range ct.Query.Columns {
			names = append(names, c.Name)
		}
	}
	if opts.forceQuoteAll {
		ct.ForceQuote = make([]bool, len(names))
		for i := range ct.ForceQuote {
			ct.ForceQuote[i] = true
		}
	} else if len(opts.forceQuote) > 0 {
		ct.ForceQuote = make([]bool, len(names))
		seen := map[string]bool{}
		for _, name := range opts.forceQuote {
			if table != nil && table.ColumnIndex(name) < 0 {
				failf(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", name, table.Name)
			}
			if seen[name] {
				failf(sqlerr.DuplicateColumn, "column %q specified more than once", name)
			}
			seen[name] = true
			i := indexOf(names, name)
			if i < 0 {
				if table != nil {
					failf(sqlerr.InvalidColumnReference, "FORCE_QUOTE column %q not referenced by COPY", name)
				}
				failf(sqlerr.UndefinedColumn, "column %q does not exist", name)
			}
			ct.ForceQuote[i] = true
		}
	}
	return ct
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// quoteIdent quotes an identifier for SQL text.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// parsedCopyOptions are CopyOptions plus what only one direction uses.
type parsedCopyOptions struct {
	CopyOptions
	headerMatch   bool
	forceQuote    []string
	forceQuoteAll bool
}

// copyOptions checks COPY's options as PostgreSQL 15's ProcessCopyOptions
// does, in the same order (so the same error wins), and fills in defaults.
func copyOptions(list []*pg_query.Node, isFrom bool) parsedCopyOptions {
	var o parsedCopyOptions
	var formatSet, freezeSet, headerSet, forceNotNull, forceNull bool
	var delim, null, quote, escape *string
	var encoding *string
	// at places an option's error at the option, as parser_errposition does.
	at := func(e *sqlerr.Error, de *pg_query.DefElem) *sqlerr.Error {
		e.Position = de.Location + 1
		return e
	}
	conflict := func(de *pg_query.DefElem) {
		fail(at(sqlerr.New(sqlerr.SyntaxError, "conflicting or redundant options"), de))
	}
	for _, n := range list {
		de := n.GetDefElem()
		if de == nil {
			continue
		}
		switch de.Defname {
		case "format":
			if formatSet {
				conflict(de)
			}
			formatSet = true
			switch f := defString(de); f {
			case "text":
				o.Format = CopyText
			case "csv":
				o.Format = CopyCSV
			case "binary":
				o.Format = CopyBinary
			default:
				fail(at(sqlerr.Errorf(sqlerr.InvalidParameterValue, "COPY format %q not recognized", f), de))
			}
		case "freeze":
			if freezeSet {
				conflict(de)
			}
			freezeSet = true
			defBool(de)
		case "delimiter", "null", "quote", "escape", "encoding":
			p := map[string]**string{"delimiter": &delim, "null": &null, "quote": &quote, "escape": &escape, "encoding": &encoding}[de.Defname]
			if *p != nil {
				conflict(de)
			}
			s := defString(de)
			if de.Defname == "encoding" && !knownEncoding(s) {
				fail(at(sqlerr.Errorf(sqlerr.InvalidParameterValue, "argument to option %q must be a valid encoding name", de.Defname), de))
			}
			*p = &s
		case "header":
			if headerSet {
				conflict(de)
			}
			headerSet = true
			o.Header, o.headerMatch = defHeader(de, isFrom)
		case "force_quote":
			if o.forceQuote != nil || o.forceQuoteAll {
				conflict(de)
			}
			switch a := de.Arg.GetNode().(type) {
			case *pg_query.Node_AStar:
				o.forceQuoteAll = true
			case *pg_query.Node_List:
				o.forceQuote = []string{}
				for _, c := range a.List.Items {
					o.forceQuote = append(o.forceQuote, c.GetString_().GetSval())
				}
			default:
				fail(at(sqlerr.Errorf(sqlerr.InvalidParameterValue, "argument to option %q must be a list of column names", de.Defname), de))
			}
		case "force_not_null", "force_null":
			if _, ok := de.Arg.GetNode().(*pg_query.Node_List); !ok {
				fail(at(sqlerr.Errorf(sqlerr.InvalidParameterValue, "argument to option %q must be a list of column names", de.Defname), de))
			}
			if de.Defname == "force_null" {
				forceNull = true
			} else {
				forceNotNull = true
			}
		default:
			fail(at(sqlerr.Errorf(sqlerr.SyntaxError, "option %q not recognized", de.Defname), de))
		}
	}
	csv, bin := o.Format == CopyCSV, o.Format == CopyBinary
	if bin && delim != nil {
		failf(sqlerr.SyntaxError, "cannot specify DELIMITER in BINARY mode")
	}
	if bin && null != nil {
		failf(sqlerr.SyntaxError, "cannot specify NULL in BINARY mode")
	}
	d, nul := "\t", `\N`
	if csv {
		d, nul = ",", ""
	}
	if delim != nil {
		d = *delim
	}
	if null != nil {
		nul = *null
	}
	q, e := "", ""
	if csv {
		q = `"`
		if quote != nil {
			q = *quote
		}
		e = q
		if escape != nil {
			e = *escape
		}
	}
	if len(d) != 1 {
		failf(sqlerr.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	if d == "\r" || d == "\n" {
		failf(sqlerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(nul, "\r\n") {
		failf(sqlerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	if !csv && strings.Contains(`\.abcdefghijklmnopqrstuvwxyz0123456789`, d) {
		failf(sqlerr.InvalidParameterValue, "COPY delimiter cannot be \"%s\"", d)
	}
	if bin && o.Header {
		failf(sqlerr.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
	}
	if !csv && quote != nil {
		failf(sqlerr.FeatureNotSupported, "COPY quote available only in CSV mode")
	}
	if csv && len(q) != 1 {
		failf(sqlerr.FeatureNotSupported, "COPY quote must be a single one-byte character")
	}
	if csv && d[0] == q[0] {
		failf(sqlerr.InvalidParameterValue, "COPY delimiter and quote must be different")
	}
	if !csv && escape != nil {
		failf(sqlerr.FeatureNotSupported, "COPY escape available only in CSV mode")
	}
	if csv && len(e) != 1 {
		failf(sqlerr.FeatureNotSupported, "COPY escape must be a single one-byte character")
	}
	if !csv && (o.forceQuote != nil || o.forceQuoteAll) {
		failf(sqlerr.FeatureNotSupported, "COPY force quote available only in CSV mode")
	}
	if (o.forceQuote != nil || o.forceQuoteAll) && isFrom {
		failf(sqlerr.FeatureNotSupported, "COPY force quote only available using COPY TO")
	}
	if !csv && forceNotNull {
		failf(sqlerr.FeatureNotSupported, "COPY force not null available only in CSV mode")
	}
	if forceNotNull && !isFrom {
		failf(sqlerr.FeatureNotSupported, "COPY force not null only available using COPY FROM")
	}
	if !csv && forceNull {
		failf(sqlerr.FeatureNotSupported, "COPY force null available only in CSV mode")
	}
	if forceNull && !isFrom {
		failf(sqlerr.FeatureNotSupported, "COPY force null only available using COPY FROM")
	}
	if forceNull || forceNotNull {
		failf(sqlerr.FeatureNotSupported, "COPY FORCE_NULL and FORCE_NOT_NULL are not supported yet")
	}
	if strings.Contains(nul, d) {
		failf(sqlerr.FeatureNotSupported, "COPY delimiter must not appear in the NULL specification")
	}
	if csv && strings.Contains(nul, q) {
		failf(sqlerr.FeatureNotSupported, "CSV quote character must not appear in the NULL specification")
	}
	if encoding != nil && encodingKey(*encoding) != "utf8" && encodingKey(*encoding) != "unicode" {
		failf(sqlerr.FeatureNotSupported, "COPY encoding %q is not supported", *encoding)
	}
	o.Delimiter, o.Null = d[0], nul
	if csv {
		o.Quote, o.Escape = q[0], e[0]
	}
	return o
}

// defString is PostgreSQL's defGetString.
func defString(de *pg_query.DefElem) string {
	switch a := de.Arg.GetNode().(type) {
	case nil:
		failf(sqlerr.SyntaxError, "%s requires a parameter", de.Defname)
	case *pg_query.Node_String_:
		return a.String_.Sval
	case *pg_query.Node_Integer:
		return strconv.Itoa(int(a.Integer.Ival))
	case *pg_query.Node_Float:
		return a.Float.Fval
	case *pg_query.Node_Boolean:
		if a.Boolean.Boolval {
			return "true"
		}
		return "false"
	case *pg_query.Node_TypeName:
		return a.TypeName.GetNames()[len(a.TypeName.GetNames())-1].GetString_().GetSval()
	}
	failf(sqlerr.SyntaxError, "%s requires a parameter", de.Defname)
	return ""
}

// defBool is PostgreSQL's defGetBoolean.
func defBool(de *pg_query.DefElem) bool {
	switch a := de.Arg.GetNode().(type) {
	case nil:
		return true
	case *pg_query.Node_Integer:
		switch a.Integer.Ival {
		case 0:
			return false
		case 1:
			return true
		}
	default:
		switch strings.ToLower(defString(de)) {
		case "true", "on":
			return true
		case "false", "off":
			return false
		}
	}
	failf(sqlerr.SyntaxError, "%s requires a Boolean value", de.Defname)
	return false
}

// defHeader is PostgreSQL 15's defGetCopyHeaderChoice: a Boolean or, for
// COPY FROM, "match".
func defHeader(de *pg_query.DefElem, isFrom bool) (header, match bool) {
	switch a := de.Arg.GetNode().(type) {
	case nil:
		return true, false
	case *pg_query.Node_Integer:
		switch a.Integer.Ival {
		case 0:
			return false, false
		case 1:
			return true, false
		}
	default:
		s := defString(de)
		switch strings.ToLower(s) {
		case "true", "on":
			return true, false
		case "false", "off":
			return false, false
		case "match":
			if !isFrom {
				failf(sqlerr.FeatureNotSupported, "cannot use %q with HEADER in COPY TO", s)
			}
			return true, true
		}
	}
	failf(sqlerr.SyntaxError, "%s requires a Boolean value or \"match\"", de.Defname)
	return false, false
}

// encodingKey normalizes an encoding name as pg_char_to_encoding does
// (case and punctuation are ignored).
func encodingKey(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// knownEncoding reports whether PostgreSQL knows an encoding of this name
// (pg_char_to_encoding's table, encnames.c).
func knownEncoding(name string) bool {
	switch encodingKey(name) {
	case "abc", "alt", "big5", "euccn", "eucjis2004", "eucjp", "euckr", "euctw", "gb18030", "gbk",
		"iso88591", "iso885910", "iso885913", "iso885914", "iso885915", "iso885916", "iso88592",
		"iso88593", "iso88594", "iso88595", "iso88596", "iso88597", "iso88598", "iso88599",
		"johab", "koi8", "koi8r", "koi8u", "latin1", "latin10", "latin2", "latin3", "latin4",
		"latin5", "latin6", "latin7", "latin8", "latin9", "mskanji", "muleinternal", "shiftjis",
		"shiftjis2004", "sjis", "sqlascii", "tcvn", "tcvn5712", "uhc", "unicode", "utf8", "vscii",
		"win", "win1250", "win1251", "win1252", "win1253", "win1254", "win1255", "win1256",
		"win1257", "win1258", "win866", "win874", "win932", "win936", "win949", "win950",
		"windows1250", "windows1251", "windows1252", "windows1253", "windows1254", "windows1255",
		"windows1256", "windows1257", "windows1258", "windows866", "windows874", "windows932",
		"windows936", "windows949", "windows950":
		return true
	}
	return false
}
