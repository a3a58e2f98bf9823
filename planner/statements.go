// Package planner turns SQL text into statements: it is the only package that
// imports the PostgreSQL parser (pg_query_go). It binds names against a
// catalog snapshot, types expressions with PostgreSQL's rules, and builds plan
// trees (package plan) in which the parts that read tables run on
// participants under Remote nodes. The planner is pure: no network, no etcd,
// no object store.
package planner

import (
	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Statement is the bound form of one SQL statement: one of the types below.
type Statement interface{ stmt() }

// OutputColumn describes one result column.
type OutputColumn struct {
	Name     string
	Type     catalog.Type
	TableOID catalog.OID
	Attnum   int16
	// Fields are the fields of a record column, when the binder knows
	// them (a set-returning function's columns).
	Fields []OutputColumn
}

// Query is a statement that returns rows.
type Query struct {
	Plan    plan.Node
	Columns []OutputColumn
}

// Explain shows a query's plan.
type Explain struct {
	Query *Query
}

// CreateTable creates a table.
type CreateTable struct {
	Namespace   catalog.OID
	Name        string
	Columns     []catalog.Column
	PrimaryKey  []int
	IfNotExists bool
	// Exists is set when IfNotExists and the table already exists.
	Exists bool
	// ViewQuery makes it CREATE VIEW; Replaces is the view that CREATE OR
	// REPLACE VIEW replaces.
	ViewQuery string
	Replaces  *catalog.Table
	// Owner owns the new relation (the current role).
	Owner catalog.OID
}

// DropTable drops tables. Missing lists names not found under IF EXISTS.
type DropTable struct {
	View    bool // DROP VIEW
	Tables  []*catalog.Table
	Missing []string
}

// CreateSchema creates a schema.
type CreateSchema struct {
	Name        string
	IfNotExists bool
	Exists      bool
	// Owner owns the new schema (the current role).
	Owner catalog.OID
}

// DropSchema drops schemas.
type DropSchema struct {
	Schemas []*catalog.Namespace
	Missing []string
	Cascade bool
}

// Insert appends the rows of Source to Table. Source's column i goes to
// table column Targets[i]; table columns not in Targets get NULL.
type Insert struct {
	Table   *catalog.Table
	Source  plan.Node
	Targets []int
}

// CopyFormat is a COPY data format.
type CopyFormat uint8

// COPY formats.
const (
	CopyText CopyFormat = iota
	CopyCSV
	CopyBinary
)

// CopyOptions are a COPY statement's format options, checked and with
// PostgreSQL's defaults filled in (tab, \N for text; comma, empty string,
// double quote for CSV).
type CopyOptions struct {
	Format    CopyFormat
	Delimiter byte
	Null      string
	Header    bool
	Quote     byte // CSV only
	Escape    byte // CSV only
}

// CopyFrom loads rows from the client (COPY ... FROM STDIN).
type CopyFrom struct {
	CopyOptions
	// HeaderMatch (HEADER MATCH) requires the header line to name the
	// target columns.
	HeaderMatch bool
	Table       *catalog.Table
	Targets     []int // table columns, in the data's column order
}

// CopyTo sends the rows of Query to the client (COPY ... TO STDOUT): a
// table's columns (COPY t [(cols)] TO) or any query (COPY (SELECT …) TO).
type CopyTo struct {
	CopyOptions
	Query *Query
	// ForceQuote marks the output columns whose non-NULL values are always
	// quoted (CSV's FORCE_QUOTE); nil when there are none.
	ForceQuote []bool
}

// TxnKind is a transaction control statement.
type TxnKind uint8

// Transaction control kinds.
const (
	TxnBegin TxnKind = iota
	TxnCommit
	TxnRollback
	TxnSavepoint
	TxnRelease
	TxnRollbackTo
)

// Txn is BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE or ROLLBACK TO.
// Settings are BEGIN's transaction modes (transaction_isolation,
// transaction_read_only, transaction_deferrable).
type Txn struct {
	Kind      TxnKind
	Savepoint string
	Settings  []SetItem
	// Start is set for START TRANSACTION (its command tag), BEGIN's
	// synonym.
	Start bool
}

// AlterTable replaces a table's descriptor with Table (same OID): added,
// dropped (kept as Dropped) and renamed columns, or a new name.
// NotNullAdded lists new NOT NULL columns, which require an empty table.
type AlterTable struct {
	Table        *catalog.Table
	NotNullAdded []string
	Notices      []string
	// Skip is set for IF EXISTS on a missing table.
	Skip bool
	Tag  string
}

// Set is SET name = value (Value empty with Reset for RESET/SET ... DEFAULT;
// Name "all" for RESET ALL). SET TRANSACTION and SET SESSION
// CHARACTERISTICS AS TRANSACTION have Name "transaction" and "session
// characteristics" and their modes in Items (transaction_isolation, …).
type Set struct {
	Name  string
	Value string
	Reset bool
	// Default is set for SET name TO DEFAULT (a reset tagged SET).
	Default bool
	Local   bool
	Items   []SetItem
}

// SetItem is one setting of a SET TRANSACTION or BEGIN.
type SetItem struct{ Name, Value string }

// Show is SHOW name.
type Show struct{ Name string }

// Deallocate is DEALLOCATE [PREPARE] name, or DEALLOCATE ALL (All). The
// prepared statements belong to the protocol layer, which closes them.
type Deallocate struct {
	Name string
	All  bool
}

func (*Query) stmt()        {}
func (*Explain) stmt()      {}
func (*CreateTable) stmt()  {}
func (*DropTable) stmt()    {}
func (*CreateSchema) stmt() {}
func (*DropSchema) stmt()   {}
func (*Insert) stmt()       {}
func (*AlterTable) stmt()   {}
func (*CopyFrom) stmt()     {}
func (*CopyTo) stmt()       {}
func (*Txn) stmt()          {}
func (*Set) stmt()          {}
func (*Show) stmt()         {}
func (*Deallocate) stmt()   {}
