"""psycopg 3 against the server in the libpq environment (PGHOST, PGPORT, ...).

psycopg 3 speaks the extended protocol: parameters travel separately (small
ints as binary int2), the unnamed statement is described at every run until
a query has run prepare_threshold (5) times, when it becomes a named
statement; binary cursors ask for binary results; pipeline mode sends many
statements under one Sync. See suite.py for the output conventions.
"""

import datetime
import decimal

import psycopg
import psycopg.errors

from suite import (PARAM_VALUES, bad_statements, expect_error, main, print_described, print_description, print_query,
                   print_rows, reopened)

conn = psycopg.connect("")


def sqlstate_of(e):
    return e.sqlstate if isinstance(e, psycopg.Error) else None


def reset():
    global conn
    conn = reopened(conn, lambda: psycopg.connect(""))


def q(sql, args=None, binary=False):
    print_query(conn, sql, args, binary=binary)


def simple():
    with conn.cursor() as cur:
        print_described(cur, "select count(*), sum(l_quantity), avg(l_discount), min(l_shipdate) from lineitem")
        print("status", cur.statusmessage, "rowcount", cur.rowcount)
        print_described(cur, "select * from orders where o_orderkey < 10 order by o_orderkey")
        cur.execute("create table py3_simple (a integer, b text)")
        cur.execute("insert into py3_simple values (1, 'x'), (2, 'y')")
        print("status", cur.statusmessage, "rowcount", cur.rowcount)
        print("transaction status", conn.info.transaction_status.name)
        conn.commit()
        print("transaction status", conn.info.transaction_status.name)
        q("select * from py3_simple order by a")
        print("server version", conn.info.server_version // 10000)
        for p in ["client_encoding", "DateStyle", "standard_conforming_strings", "integer_datetimes", "TimeZone"]:
            print(p, conn.info.parameter_status(p))


def params():
    for name, v in PARAM_VALUES:
        with conn.cursor() as cur:
            cur.execute("select %s", (v,))
            print(name, "|", " | ".join(map(str, cur.fetchone())))
    q("select count(*) from lineitem where l_orderkey > %s and l_shipdate < %s and l_quantity >= %s",
      (100, datetime.date(1998, 9, 2), decimal.Decimal("10.5")))
    q("select r_name from region where r_regionkey = %(key)s or r_name = %(name)s order by 1",
      {"key": 1, "name": "ASIA"})
    q("select %s::numeric(15,2) + o_totalprice from orders where o_orderkey = %s", (decimal.Decimal("0.01"), 1))
    q("select %s::int2, %s::int4, %s::int8, %s::float4, %s::float8, %s::numeric, %s::bool, %s::text, %s::varchar(5),"
      " %s::char(3), %s::date, %s::timestamp",
      (1, 2, 3, 1.5, 2.5, decimal.Decimal("3.5"), False, "t", "v", "c", datetime.date(2000, 1, 1),
       datetime.datetime(2000, 1, 1, 0, 0, 1)))
    q("select %s::text is null, %s::int4 is null", (None, None))
    q("select %b, %t", (5, "text format"))


def array_params():
    q("select n_name from nation where n_nationkey = any(%s) order by 1", ([1, 2, 3, 24],))
    q("select %s::text[]", (["a", None, "c"],))
    # Binary parameters (array_recv) and binary results (array_send).
    q("select n_name from nation where n_nationkey = any(%b) order by 1", ([0, 5, 7],), binary=True)
    q("select %b::text[], %b::int8[], %b::float8[]", (["x", None, "y z"], [1, -2 ** 40], [0.5, -2.0]), binary=True)
    q("select array_length(%b::int4[], 1), %b::oid::regclass", ([], 1259))
    q("select array[n_nationkey, n_regionkey] from nation where n_nationkey < 3 order by 1", binary=True)
    q("select 'nation'::regclass::oid > 0, 'pg_class'::regclass, 'int4'::regtype", binary=True)


def prepared():
    # The unnamed statement four times, then "_pg3_0" (prepared at the fifth execution).
    for i in range(1, 9):
        with conn.cursor() as cur:
            cur.execute("select o_orderkey, o_totalprice, o_orderdate, o_comment from orders"
                        " where o_orderkey = %s and o_orderdate < %s", (i, datetime.date(1998, 8, 2)))
            print("run", i)
            print_rows(cur.fetchall())
    with conn.cursor() as cur:
        cur.execute("select count(*) from nation where n_regionkey = %s", (1,), prepare=True)
        print_rows(cur.fetchall())
        cur.execute("select count(*) from nation where n_regionkey = %s", (2,), prepare=True)
        print_rows(cur.fetchall())
    conn.commit()


def deallocate():
    # DEALLOCATE closes statements prepared with the protocol's Parse: psycopg
    # still believes the statement is prepared, and its Bind fails.
    conn.autocommit = True
    query = "select count(*) from region where r_regionkey < %s"
    q(query, (3,))
    with conn.cursor() as cur:
        cur.execute(query, (4,), prepare=True)
        print_rows(cur.fetchall())
        print("deallocate", conn.execute("deallocate all").statusmessage)
        expect_error("bind after deallocate", lambda: cur.execute(query, (5,), prepare=True), sqlstate_of)
    expect_error("deallocate nosuch", lambda: conn.execute("deallocate nosuch"), sqlstate_of)
    q("select count(*) from nation where n_regionkey < %s", (2,))


def executemany():
    with conn.cursor() as cur:
        cur.execute("create table py3_many (id integer not null, name varchar(20), price numeric(10,2), day date)")
        cur.executemany("insert into py3_many values (%s, %s, %s, %s)",
                        [(i, f"n{i}" if i % 4 else None, decimal.Decimal(i) / 4, datetime.date(2024, 1, i))
                         for i in range(1, 31)])
        print("rowcount", cur.rowcount)
        cur.executemany("select id, name from py3_many where id = %s", [(i,) for i in (3, 4, 5)], returning=True)
        while True:
            print_rows(cur.fetchall())
            if not cur.nextset():
                break
    conn.commit()
    q("select * from py3_many order by id")


def named_cursor():
    with conn.cursor("big") as cur:
        cur.itersize = 100
        cur.execute("select l_orderkey, l_linenumber, l_quantity from lineitem where l_orderkey < %s order by 1, 2",
                    (500,))
        print_rows(cur.fetchmany(5))
        print_rows([cur.fetchone()])
        print("iterated", sum(1 for _ in cur))
    conn.commit()


def copy_from():
    with conn.cursor() as cur:
        cur.execute("create table py3_copy (id integer, name text, price numeric(10,2), day date)")
        with cur.copy("copy py3_copy (id, name, price, day) from stdin") as copy:
            for i in range(1, 6):
                copy.write_row((i, None if i == 3 else f"row\t{i}\\", decimal.Decimal(i) / 8, datetime.date(2020, 2, i)))
        print("rowcount", cur.rowcount)
        with cur.copy("copy py3_copy from stdin with (format csv)") as copy:
            copy.write('10,"csv, quoted",1.5,2021-01-01\n11,,,\n')
        print("rowcount", cur.rowcount)
    conn.commit()
    q("select * from py3_copy order by id")


def copy_binary():
    with conn.cursor() as cur:
        cur.execute("create table py3_copy_binary (id integer not null, c_int2 smallint, c_int4 integer,"
                    " c_int8 bigint, c_float4 real, c_float8 double precision, c_numeric numeric(15,2),"
                    " c_numeric_s numeric(18,6), c_bool boolean, c_text text, c_varchar varchar(20), c_char char(5),"
                    " c_date date, c_timestamp timestamp)")
        with conn.cursor(binary=True) as src:
            rows = src.execute("select * from alltypes where id <> 2 order by id").fetchall()  # 2: a BC date
        # psycopg has no binary dumper for bpchar; the server reads a bpchar field as it reads text.
        types = ["int4", "int2", "int4", "int8", "float4", "float8", "numeric", "numeric", "bool", "text", "varchar",
                 "text", "date", "timestamp"]
        with cur.copy("copy py3_copy_binary from stdin (format binary)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        print("rowcount", cur.rowcount)
    conn.commit()
    q("select * from py3_copy_binary order by id")


def copy_to():
    with conn.cursor() as cur:
        with cur.copy("copy (select * from alltypes order by id) to stdout") as copy:
            for row in copy.rows():
                print(row)
        # Python has no BC dates: row 2 is left out of the binary rows.
        with cur.copy("copy (select * from alltypes where id <> 2 order by id) to stdout (format binary)") as copy:
            copy.set_types(["int4", "int2", "int4", "int8", "float4", "float8", "numeric", "numeric", "bool", "text",
                            "varchar", "bpchar", "date", "timestamp"])
            for row in copy.rows():
                print(row)


def types():
    with conn.cursor() as cur:
        cur.execute("select * from alltypes where id <> 2 order by id")  # id 2 holds a BC date
        print_description(cur.description)
        print_rows(cur.fetchall())
        cur.execute("select c_date::text from alltypes where id = 2")
        print_rows(cur.fetchall())


def binary_types():
    with conn.cursor(binary=True) as cur:
        cur.execute("select * from alltypes where id <> %s order by id", (2,))
        print_description(cur.description)
        print_rows(cur.fetchall())
        cur.execute("select 1::int2 + 1::int2, 10::int8 / 3, 1.5::float4 * 2, 1e100::float8, 'NaN'::float8,"
                    " 12345.678::numeric(10,3), -0.00001::numeric(10,5), 100000000::numeric(15,2),"
                    " 'x'::char(4) || 'y', '2024-01-31'::date + 1, '2024-01-31 23:59:59.5'::timestamp,"
                    " true and false, null::text")
        print_rows(cur.fetchall())
        cur.execute("select sum(l_extendedprice), avg(l_quantity), count(*) from lineitem where l_orderkey < %s",
                    (1000,))
        print_rows(cur.fetchall())
        cur.execute("select l_orderkey, l_quantity, l_shipdate, l_shipmode from lineitem"
                    " where l_orderkey < %s order by 1, l_linenumber", (10,))
        print_rows(cur.fetchall())


def pipeline():
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("create table py3_pipeline (id integer not null)")
    with conn.pipeline() as p:
        c1 = conn.execute("select count(*) from nation")
        c2 = conn.execute("insert into py3_pipeline values (%s)", (1,))
        c3 = conn.execute("select n_name from nation where n_nationkey = %s", (7,))
        p.sync()
        print_rows(c1.fetchall())
        print("insert", c2.rowcount)
        print_rows(c3.fetchall())
    cursors = []
    try:
        with conn.pipeline():
            cursors.append(conn.execute("select count(*) from region"))
            cursors.append(conn.execute("select 1/0"))
            cursors.append(conn.execute("select %s::int4", (2,)))
    except psycopg.Error as e:
        print("failing pipeline", e.sqlstate)
    print_rows(cursors[0].fetchall())
    print("transaction status", conn.info.transaction_status.name)
    q("select id from py3_pipeline order by id")
    with conn.pipeline():
        with conn.cursor() as cur:
            cur.executemany("insert into py3_pipeline values (%s)", [(i,) for i in range(10, 15)])
    q("select id from py3_pipeline order by id")


def pipeline_error():
    # An error in the middle of a pipeline: the statements after it up to the
    # Sync are skipped, and the implicit transaction they shared is rolled back.
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("create table py3_pipeline_error (id integer not null)")
    try:
        with conn.pipeline():
            conn.execute("insert into py3_pipeline_error values (%s)", (1,))
            conn.execute("select 1/0")
            conn.execute("insert into py3_pipeline_error values (%s)", (2,))
    except psycopg.Error as e:
        print("failing pipeline", e.sqlstate)
    q("select id from py3_pipeline_error order by id")


def timestamptz():
    q("select '2024-02-29 12:34:56.789+02'::timestamptz, '1999-12-31 23:59:59.999999-08'::timestamptz, null::timestamptz")
    aware = datetime.datetime(2024, 2, 29, 12, 34, 56, 500000, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
    q("select %s::timestamptz, %s::timestamptz::text", (aware, aware))
    q("select '2024-07-01 12:00:00+00'::timestamptz::timestamp, '2024-07-01 12:00:00'::timestamp::timestamptz")
    with conn.cursor(binary=True) as cur:
        cur.execute("select '2024-02-29 12:34:56.789+02'::timestamptz, %s::timestamptz", (aware,))
        print_rows(cur.fetchall())


def numeric():
    q("select 12345678901234567890.123456789::numeric, 1e-20::numeric,"
      " -99999999999999999999999999.9999::numeric(30,4), 0::numeric(25,10), %s::numeric",
      (decimal.Decimal("-123456789012345678901234567890.0123456789"),))
    with conn.cursor(binary=True) as cur:
        cur.execute("select 12345678901234567890.123456789::numeric, 1e-20::numeric, %s::numeric",
                    (decimal.Decimal("-1E+30"),))
        print_rows(cur.fetchall())


def numeric_nan():
    q("select 'NaN'::numeric, %s::numeric", (decimal.Decimal("NaN"),))
    q("select 'NaN'::numeric, %s::numeric", (decimal.Decimal("NaN"),), binary=True)


def errors():
    conn.autocommit = True
    for sql in bad_statements():
        expect_error(sql, lambda: conn.execute(sql), sqlstate_of)
    expect_error("bad parameter", lambda: conn.execute("select %s::int4", ("x",)), sqlstate_of)
    expect_error("int4 overflow", lambda: conn.execute("select %s::int4", (2**40,)), sqlstate_of)
    expect_error("100 / 0", lambda: conn.execute("select 100 / %s", (0,)), sqlstate_of)
    q("select count(*) from nation")
    conn.autocommit = False
    conn.execute("select 1")
    expect_error("division by zero in a transaction", lambda: conn.execute("select 1/0"), sqlstate_of)
    print("transaction status", conn.info.transaction_status.name)
    expect_error("after the error", lambda: conn.execute("select 1"), sqlstate_of)
    conn.rollback()
    q("select 2")
    try:
        conn.execute("select * from no_such_table")
    except psycopg.errors.UndefinedTable as e:
        print("class", type(e).__name__, e.sqlstate, e.diag.severity)


def transactions():
    conn.autocommit = True
    conn.execute("create table py3_tx (id integer)")
    with conn.transaction():
        conn.execute("insert into py3_tx values (1)")
    try:
        with conn.transaction():
            conn.execute("insert into py3_tx values (2)")
            conn.execute("select 1/0")
    except psycopg.Error as e:
        print("transaction block", e.sqlstate)
    with conn.transaction():
        conn.execute("insert into py3_tx values (3)")
        try:
            with conn.transaction():  # a savepoint
                conn.execute("insert into py3_tx values (4)")
                conn.execute("select 1/0")
        except psycopg.Error as e:
            print("savepoint block", e.sqlstate)
        conn.execute("insert into py3_tx values (5)")
    print("transaction status", conn.info.transaction_status.name)
    q("select id from py3_tx order by id")


main({
    "simple": simple,
    "params": params,
    "array_params": array_params,
    "prepared": prepared,
    "deallocate": deallocate,
    "executemany": executemany,
    "named_cursor": named_cursor,
    "copy_from": copy_from,
    "copy_binary": copy_binary,
    "copy_to": copy_to,
    "types": types,
    "binary_types": binary_types,
    "pipeline": pipeline,
    "pipeline_error": pipeline_error,
    "timestamptz": timestamptz,
    "numeric": numeric,
    "numeric_nan": numeric_nan,
    "errors": errors,
    "transactions": transactions,
}, reset, sqlstate_of)
