"""psycopg2 against the server in the libpq environment (PGHOST, PGPORT, ...).

psycopg2 speaks only the simple protocol: parameters are interpolated into
the query text on the client, a transaction starts implicitly with BEGIN,
and named cursors are DECLARE ... CURSOR WITHOUT HOLD plus FETCH FORWARD.
See suite.py for the output conventions.
"""

import datetime
import decimal
import io

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from suite import (PARAM_VALUES, bad_statements, expect_error, main, print_described, print_description, print_query,
                   print_rows, reopened)

conn = psycopg2.connect("")


def sqlstate_of(e):
    return e.pgcode if isinstance(e, psycopg2.Error) else None


def reset():
    global conn
    conn = reopened(conn, lambda: psycopg2.connect(""))


def q(sql, args=None):
    print_query(conn, sql, args)


def simple():
    with conn.cursor() as cur:
        print_described(cur, "select count(*), sum(l_quantity), avg(l_discount), min(l_shipdate) from lineitem")
        print("status", cur.statusmessage, "rowcount", cur.rowcount)
        print_described(cur, "select * from orders where o_orderkey < 10 order by o_orderkey")
        cur.execute("select l_returnflag, l_linestatus, count(*) from lineitem group by 1, 2 order by 1, 2")
        print_rows(cur.fetchmany(2))
        print_rows(cur.fetchall())
        cur.execute("select 1 as a; select 'two' as b, 3 as c")
        print_description(cur.description)
        print_rows(cur.fetchall())
        cur.execute("create table py2_simple (a integer, b text)")
        print("status", cur.statusmessage)
        cur.execute("insert into py2_simple values (1, 'x'), (2, 'y')")
        print("status", cur.statusmessage, "rowcount", cur.rowcount)
        cur.execute("update py2_simple set b = b || '!' where a = 2")
        print("status", cur.statusmessage, "rowcount", cur.rowcount)
        print("transaction status", conn.get_transaction_status())
        conn.commit()
        print("transaction status", conn.get_transaction_status())
        q("select * from py2_simple order by a")
        print("server version", conn.server_version // 10000)


def params():
    for name, v in PARAM_VALUES + [("None", None)]:
        with conn.cursor() as cur:
            cur.execute("select %s", (v,))
            print(name, "|", " | ".join(map(str, cur.fetchone())))
    q("select count(*) from lineitem where l_orderkey > %s and l_shipdate < %s and l_quantity >= %s",
      (100, datetime.date(1998, 9, 2), decimal.Decimal("10.5")))
    q("select n_name from nation where n_nationkey in %s order by 1", ((1, 2, 3, 24),))
    q("select r_name from region where r_regionkey = %(key)s or r_name = %(name)s order by 1",
      {"key": 1, "name": "ASIA"})
    q("select %s::numeric(15,2) + o_totalprice from orders where o_orderkey = %s", (decimal.Decimal("0.01"), 1))
    q("select %s::timestamp + interval '1 day', %s::date", ("2024-02-28 10:00:00", "2024-02-28"))


def array_params():
    # psycopg2 sends a list as ARRAY[...] (an empty one as '{}'), read back
    # as a Python list from the array's text.
    q("select n_name from nation where n_nationkey = any(%s) order by 1", ([1, 2, 3, 24],))
    q("select %s::text[], %s::int8[], %s::float8[]", (["a", None, "b c", 'q"'], [1, -2 ** 40], [0.5, -2.0]))
    q("select array_length(%s::int4[], 1), cardinality(%s::text[])", ([], ["x", "y"]))
    q("select unnest(%s::int4[]) as u order by 1", ([3, 1, 2],))
    q("select array[n_nationkey, n_regionkey] from nation where n_nationkey < 3 order by 1")


def executemany():
    with conn.cursor() as cur:
        cur.execute("create table py2_many (id integer not null, name varchar(20), price numeric(10,2), day date)")
        cur.executemany("insert into py2_many values (%s, %s, %s, %s)",
                        [(i, f"n{i}" if i % 4 else None, decimal.Decimal(i) / 4, datetime.date(2024, 1, i))
                         for i in range(1, 31)])
        print("rowcount", cur.rowcount)
        cur.executemany("update py2_many set price = price * 2 where id = %(id)s", [{"id": i} for i in (2, 3, 5)])
        print("rowcount", cur.rowcount)
    conn.commit()
    q("select * from py2_many order by id")


def named_cursor():
    with conn.cursor("big") as cur:
        cur.itersize = 100
        cur.execute("select l_orderkey, l_linenumber, l_quantity from lineitem where l_orderkey < 500 order by 1, 2")
        print_rows(cur.fetchmany(5))
        print_rows([cur.fetchone()])
        n = sum(1 for _ in cur)
        print("iterated", n)
    with conn.cursor("small") as cur:
        cur.execute("select n_name from nation where n_regionkey = %s order by 1", (2,))
        print_rows(cur.fetchall())
    conn.commit()


def copy_from():
    with conn.cursor() as cur:
        cur.execute("create table py2_copy (id integer, name text, price numeric(10,2), day date)")
        cur.copy_expert("copy py2_copy from stdin with (format csv)",
                        io.StringIO('1,plain,1.50,2024-01-01\n2,"with, comma",2.00,2024-01-02\n3,,,\n'
                                    '4,"quote ""q""",0,1999-12-31\n'))
        print("rowcount", cur.rowcount)
        cur.copy_from(io.StringIO("5\ttab text\t3.25\t2000-02-29\n6\t\\N\t\\N\t\\N\n"), "py2_copy")
        print("rowcount", cur.rowcount)
        cur.copy_expert("copy py2_copy (id, name) from stdin", io.StringIO("7\tbackslash \\\\ and tab \\t\n"))
        expect_error("bad csv", lambda: cur.copy_expert("copy py2_copy from stdin with (format csv)",
                                                         io.StringIO("8,x,not a number,2024-01-01\n")), sqlstate_of)
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("create table py2_copy (id integer, name text, price numeric(10,2), day date)")
        cur.copy_expert("copy py2_copy from stdin with (format csv, header, delimiter '|')",
                        io.StringIO("id|name|price|day\n1|a|1|2024-01-01\n2|b|2|2024-01-02\n"))
    conn.commit()
    q("select * from py2_copy order by id")


def copy_to():
    with conn.cursor() as cur:
        for sql in ["copy (select * from alltypes order by id) to stdout",
                    "copy (select n_nationkey, n_name, n_comment from nation where n_nationkey < 5 order by 1)"
                    " to stdout with (format csv, header)",
                    "copy drivers_pk to stdout"]:
            out = io.StringIO()
            cur.copy_expert(sql, out)
            print(sql)
            print(out.getvalue(), end="")
            print("rowcount", cur.rowcount)


def types():
    with conn.cursor() as cur:
        cur.execute("select * from alltypes where id <> 2 order by id")  # id 2 holds a BC date
        print_description(cur.description)
        print_rows(cur.fetchall())
        cur.execute("select c_date::text from alltypes where id = 2")
        print_rows(cur.fetchall())
        cur.execute("select 1::int2 + 1::int2, 10::int8 / 3, 1.5::float4 * 2, 1e100::float8, 'NaN'::float8,"
                    " 12345.678::numeric(10,3), 'x'::char(4) || 'y', '2024-01-31'::date + 1,"
                    " '2024-01-31 23:59:59.5'::timestamp, true and false, null::text")
        print_rows(cur.fetchall())


def timestamptz():
    q("select '2024-02-29 12:34:56.789+02'::timestamptz, '1999-12-31 23:59:59.999999-08'::timestamptz, null::timestamptz")
    aware = datetime.datetime(2024, 2, 29, 12, 34, 56, 500000, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
    q("select %s::timestamptz, %s::timestamptz::text", (aware, aware))
    q("select '2024-07-01 12:00:00+00'::timestamptz::timestamp, '2024-07-01 12:00:00'::timestamp::timestamptz")


def numeric():
    q("select 12345678901234567890.123456789::numeric, 1e-20::numeric,"
      " -99999999999999999999999999.9999::numeric(30,4), 0::numeric(25,10), %s::numeric",
      (decimal.Decimal("-123456789012345678901234567890.0123456789"),))


def numeric_nan():
    q("select 'NaN'::numeric, %s::numeric", (decimal.Decimal("NaN"),))


def errors():
    conn.autocommit = True
    with conn.cursor() as cur:
        for sql in bad_statements():
            expect_error(sql, lambda: cur.execute(sql), sqlstate_of)
        cur.execute("select count(*) from nation")
        print_rows(cur.fetchall())
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("select 1")
        expect_error("division by zero in a transaction", lambda: cur.execute("select 1/0"), sqlstate_of)
        print("transaction status", conn.get_transaction_status())
        expect_error("after the error", lambda: cur.execute("select 1"), sqlstate_of)
        conn.rollback()
        cur.execute("select 2")
        print_rows(cur.fetchall())
        try:
            cur.execute("select * from no_such_table")
        except psycopg2.errors.UndefinedTable as e:
            print("class", type(e).__name__, e.pgcode, e.diag.severity, e.diag.sqlstate)


def multi_statement():
    # The statements of one Query message are one implicit transaction
    # unless they open an explicit one; COMMIT and ROLLBACK end it early.
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("create table py2_multi (id integer)")
        for sql in ["insert into py2_multi values (1); select 1/0",
                    "insert into py2_multi values (2); begin; insert into py2_multi values (3); commit",
                    "insert into py2_multi values (4); rollback; insert into py2_multi values (5)",
                    "insert into py2_multi values (6); commit; insert into py2_multi values ('x')",
                    "insert into py2_multi values (7); begin; insert into py2_multi values (8); select 1/0",
                    "rollback",
                    "create table py2_multi2 (id integer); insert into py2_multi2 values (9); select * from py2_multi2"]:
            expect_error(sql, lambda: cur.execute(sql), sqlstate_of)
            print("transaction status", conn.get_transaction_status())
        print_query(conn, "select id from py2_multi order by id")
        print_query(conn, "select id from py2_multi2 order by id")


def transactions():
    with conn.cursor() as cur:
        cur.execute("create table py2_tx (id integer)")
        conn.commit()
        cur.execute("insert into py2_tx values (1)")
        conn.rollback()
        cur.execute("insert into py2_tx values (2)")
        conn.commit()
        with conn:
            cur.execute("insert into py2_tx values (3)")
        try:
            with conn:
                cur.execute("insert into py2_tx values (4)")
                cur.execute("select 1/0")
        except psycopg2.Error as e:
            print("with block", e.pgcode)
        cur.execute("insert into py2_tx values (5)")
        cur.execute("savepoint s1")
        cur.execute("insert into py2_tx values (6)")
        cur.execute("rollback to savepoint s1")
        conn.commit()
        conn.autocommit = True
        cur.execute("insert into py2_tx values (7)")
        print("transaction status", conn.get_transaction_status())
        q("select id from py2_tx order by id")


main({
    "simple": simple,
    "params": params,
    "array_params": array_params,
    "executemany": executemany,
    "named_cursor": named_cursor,
    "copy_from": copy_from,
    "copy_to": copy_to,
    "types": types,
    "timestamptz": timestamptz,
    "numeric": numeric,
    "numeric_nan": numeric_nan,
    "errors": errors,
    "multi_statement": multi_statement,
    "transactions": transactions,
}, reset, sqlstate_of)
