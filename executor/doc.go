// Package executor runs plan trees (planner/plan) as pulled, vectorized
// operators over vec.Batch.
//
// # Shape
//
// Build turns a plan.Node into an Operator tree. Each Next returns a batch
// of at most vec.BatchSize rows that stays valid until the following Next;
// operators own and refill their output vectors, so a steady pipeline does
// not allocate per batch. Leaves the executor cannot open itself (table
// scans, Remote gathers) come from Env.
//
//	Limit 10                      limitOp: views of its input, no copy
//	  Sort sum DESC               sortOp: column store + permutation
//	    Aggregate final           aggOp: merges partial states
//	      Remote                  Env.OpenRemote
//
// # Expressions
//
// Compile turns a plan.Expr into a tree of nodes, each evaluating a whole
// batch with one typed loop per (type, operator, column/constant shape).
// NULLs travel in Nulls slices, consulted only when non-nil. Arithmetic
// accumulates overflow flags without branching and re-checks row by row
// only when a flag trips, so junk under NULLs never raises errors. Numeric
// values are scaled int64s; scale changes and division go through 128-bit
// intermediates, rounding half away from zero like PostgreSQL.
//
// PostgreSQL does not evaluate what it does not need: CASE branches, the
// right side of AND/OR, later COALESCE arguments and later conjuncts of a
// WHERE only see the rows that reach them. Nodes that can fail (canErr) are
// therefore evaluated on the subset of rows that need them, gathered into a
// scratch batch; nodes that cannot fail run over the whole batch, which is
// cheaper than gathering.
//
// Casts to and from text use internal/pgtype's input and output functions.
//
// NUMERIC comes in two forms: NUMERIC(p,s) as an int64 scaled by 10^s, and
// the dynamic-scale results of numeric division and avg (Scale
// catalog.DynamicScale) as decimal text with PostgreSQL's select_div_scale
// scale. The latter are compared numerically and hashed in a canonical form
// (see decimal.go). Arithmetic and sum/avg/min/max over them follow
// PostgreSQL's per-value scales exactly, through int64 mantissas that widen
// to math/big when needed (see dynamic.go).
//
// # Hash tables
//
// Aggregation and joins use open addressing over flat, pointer-free arrays
// (see hashtable.go): a single int64 key is compared in its 16-byte slot;
// several low-cardinality keys are coded per column and packed into one
// int64; other keys use hash tags and column-wise key storage. Joins with
// dense integer keys index a direct array. Aggregate states are typed
// columns indexed by group id.
//
// # Errors
//
// Every error a query can cause carries a SQLSTATE (internal/sqlerr):
// 22003 for overflow, 22012 for division by zero, 22P02/22007/22008 for bad
// input, 22011 for a negative substring length, 0A000 for what is not
// supported.
package executor
