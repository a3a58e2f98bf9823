"""Shared by psycopg2_suite.py and psycopg3_suite.py.

A suite is a set of sections, functions that drive the driver and print
what they read as deterministic text. main runs the sections named on the
command line, each under a "== NAME" header, and compares nothing itself:
internal/drivers runs the suite against PostgreSQL 15 and Cirrus and diffs
the two outputs. Errors a section provokes on purpose print their SQLSTATE
(see expect_error); any other error prints "unexpected" with its SQLSTATE
and its message goes to stderr, and the next section starts with the
connection rolled back (reset).
"""

import datetime
import decimal
import sys
import traceback

# Python values every suite sends as parameters, by name.
PARAM_VALUES = [
    ("int", 42), ("big int", 2**40), ("negative", -7), ("float", 1.5), ("small float", 1.25e-5),
    ("decimal", decimal.Decimal("1234.5600")), ("str", "it's \"quoted\" \\ back"), ("unicode", "ünï€😀"),
    ("empty", ""), ("date", datetime.date(1998, 9, 2)), ("datetime", datetime.datetime(2024, 2, 29, 12, 34, 56, 789000)),
    ("bool", True),
]


def bad_statements():
    """The statements of bad_statements.sql."""
    with open("testdata/bad_statements.sql", encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("--")]


def show(v):
    """One value as its Python type and repr."""
    if v is None:
        return "NULL"
    return f"{type(v).__name__}:{v!r}"


def print_rows(rows):
    """Every row, values separated by " | ", then the row count."""
    n = 0
    for row in rows:
        print(" | ".join(show(v) for v in row))
        n += 1
    print(f"({n} rows)")


def print_query(conn, sql, args=None, **cursor_options):
    """Runs one query on a new cursor and prints its rows."""
    with conn.cursor(**cursor_options) as cur:
        cur.execute(sql, args)
        print_rows(cur.fetchall())


def print_described(cur, sql, args=None):
    """Runs one query on cur and prints what RowDescription said (print_description), then its rows."""
    cur.execute(sql, args)
    print_description(cur.description)
    print_rows(cur.fetchall())


def reopened(conn, connect):
    """conn rolled back and in autocommit-off mode, or a new connection if it was closed."""
    if conn.closed:
        print("connection closed")
        conn = connect()
    conn.rollback()
    conn.autocommit = False
    return conn


def print_description(description):
    """What the driver read from RowDescription: name, type OID, size, precision and scale."""
    for col in description:
        print("column", col.name, col.type_code, col.internal_size, col.precision, col.scale)


def expect_error(what, fn, sqlstate_of):
    """Runs fn, which should fail, and prints the SQLSTATE it failed with."""
    try:
        fn()
        print(f"{what}: no error")
    except Exception as e:  # noqa: BLE001 - every driver error is reported alike
        code = sqlstate_of(e)
        if code is None:
            raise
        print(f"{what}: {code}")
        print(f"{what}: {e}", file=sys.stderr)


def main(sections, reset, sqlstate_of):
    """Runs the sections named in sys.argv; reset() cleans the connection after each."""
    for name in sys.argv[1:]:
        print("==", name, flush=True)
        for step in (sections[name], reset):
            try:
                step()
            except Exception as e:  # noqa: BLE001
                print("unexpected error", sqlstate_of(e) or type(e).__name__)
                traceback.print_exc()
        sys.stdout.flush()
