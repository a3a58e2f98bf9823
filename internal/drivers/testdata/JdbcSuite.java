import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.postgresql.PGResultSetMetaData;

/**
 * JdbcSuite drives pgjdbc through the parts of the driver that talk to the
 * server and prints what it reads as deterministic text, one "== NAME"
 * section per argument, so that its output against PostgreSQL 15 and against
 * Cirrus can be compared line by line (internal/drivers). It connects with
 * PGHOST, PGPORT, PGUSER and PGDATABASE and must run with
 * -Duser.timezone=UTC.
 *
 * Errors a section provokes print their SQLSTATE; any other error prints
 * "unexpected" with its SQLSTATE (the message goes to stderr), and the next
 * section starts on a clean connection.
 */
public class JdbcSuite {
    private static Connection conn;

    public static void main(String[] args) throws Exception {
        conn = connect();
        for (String name : args) {
            System.out.println("== " + name);
            try {
                run(name);
            } catch (SQLException e) {
                System.out.println("unexpected error " + e.getSQLState());
                e.printStackTrace();
            } catch (RuntimeException e) {
                System.out.println("unexpected exception " + e.getClass().getName());
                e.printStackTrace();
            }
            reset();
        }
        conn.close();
    }

    private static Connection connect() throws SQLException {
        String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/"
                + System.getenv("PGDATABASE");
        Properties props = new Properties();
        props.setProperty("user", System.getenv("PGUSER"));
        props.setProperty("sslmode", "disable");
        return DriverManager.getConnection(url, props);
    }

    /** reset leaves the connection in autocommit mode outside a transaction, or opens a new one. */
    private static void reset() throws SQLException {
        try {
            if (!conn.getAutoCommit()) {
                conn.rollback();
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            System.err.println("reset: " + e);
        }
        if (conn.isClosed()) {
            System.out.println("connection closed");
            conn = connect();
        }
    }

    private static void run(String name) throws SQLException {
        switch (name) {
            case "connect": connectInfo(); break;
            case "settings": settings(); break;
            case "plain": plain(); break;
            case "errors": errors(); break;
            case "prepared": prepared(); break;
            case "params": params(); break;
            case "fetchsize": fetchSize(); break;
            case "batch": batch(); break;
            case "batcherror": batchError(); break;
            case "types": types(); break;
            case "transactions": transactions(); break;
            case "timestamptz": timestamptz(); break;
            case "numeric": numeric(); break;
            case "numeric_nan": numericNaN(); break;
            case "metadata": metadata(); break;
            case "getcolumns": getColumns(); break;
            case "getprimarykeys": getPrimaryKeys(); break;
            case "getindexinfo": getIndexInfo(); break;
            case "gettypeinfo": getTypeInfo(); break;
            case "resultsetmeta": resultSetMeta(); break;
            default: throw new IllegalArgumentException("no section " + name);
        }
    }

    // ---- sections ----

    /** connectInfo prints what the driver learned at startup. */
    private static void connectInfo() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        System.out.println("product " + md.getDatabaseProductName());
        System.out.println("major version " + md.getDatabaseMajorVersion());
        System.out.println("autocommit " + conn.getAutoCommit());
        System.out.println("valid " + conn.isValid(5));
        try (Statement st = conn.createStatement()) {
            for (String p : new String[] {"client_encoding", "server_encoding", "standard_conforming_strings",
                    "TimeZone", "application_name"}) {
                print(st.executeQuery("show " + p));
            }
        }
    }

    /**
     * settings checks the session settings pgjdbc changes: DateStyle=ISO in the startup packet (the
     * server keeps its field order) and the isolation level through SET SESSION CHARACTERISTICS.
     */
    private static void settings() throws SQLException {
        try (Statement st = conn.createStatement()) {
            print(st.executeQuery("show DateStyle"));
            System.out.println("isolation " + conn.getTransactionIsolation());
            conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            System.out.println("isolation " + conn.getTransactionIsolation());
            conn.setAutoCommit(false);
            print(st.executeQuery("show transaction isolation level"));
            conn.commit();
            conn.setAutoCommit(true);
            conn.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            System.out.println("isolation " + conn.getTransactionIsolation());
        }
    }

    /** plain runs statements through Statement: queries, DDL, DML and several results at once. */
    private static void plain() throws SQLException {
        try (Statement st = conn.createStatement()) {
            printWithMeta(st.executeQuery(
                    "select count(*), sum(l_quantity), avg(l_discount), min(l_shipdate), max(l_shipdate) from lineitem"));
            print(st.executeQuery("select l_returnflag, l_linestatus, count(*) as n, sum(l_extendedprice) as total"
                    + " from lineitem group by 1, 2 order by 1, 2"));
            print(st.executeQuery("select n_name, r_name from nation join region on n_regionkey = r_regionkey"
                    + " where n_nationkey < 10 order by n_nationkey"));
            printWithMeta(st.executeQuery("select * from lineitem where l_orderkey = 1 order by l_linenumber"));
            System.out.println("create " + st.executeUpdate("create table jdbc_plain (a integer, b varchar(10))"));
            System.out.println("insert " + st.executeUpdate("insert into jdbc_plain values (1, 'x'), (2, 'y'), (3, null)"));
            System.out.println("update " + st.executeUpdate("update jdbc_plain set b = 'z' where a >= 2"));
            System.out.println("delete " + st.executeUpdate("delete from jdbc_plain where a = 1"));
            print(st.executeQuery("select * from jdbc_plain order by a"));
            boolean isResult = st.execute("select 1 as one; select 'two' as two; insert into jdbc_plain values (4, 'w')");
            while (true) {
                if (isResult) {
                    print(st.getResultSet());
                } else if (st.getUpdateCount() != -1) {
                    System.out.println("update count " + st.getUpdateCount());
                } else {
                    break;
                }
                isResult = st.getMoreResults();
            }
            st.setMaxRows(3);
            print(st.executeQuery("select o_orderkey from orders order by o_orderkey"));
        }
    }

    /** badStatements returns the statements of bad_statements.sql. */
    private static List<String> badStatements() {
        try {
            List<String> stmts = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("testdata", "bad_statements.sql"))) {
                if (!line.isBlank() && !line.startsWith("--")) {
                    stmts.add(line.strip());
                }
            }
            return stmts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** errors provokes errors outside transactions; the connection goes on after each. */
    private static void errors() throws SQLException {
        try (Statement st = conn.createStatement()) {
            for (String sql : badStatements()) {
                expectError(() -> st.executeQuery(sql).close(), sql);
            }
            print(st.executeQuery("select count(*) from nation"));
        }
        try (PreparedStatement ps = conn.prepareStatement("select 100 / ? as q")) {
            for (int d : new int[] {5, 0, 4}) {
                ps.setInt(1, d);
                expectError(() -> print(ps.executeQuery()), "100 / " + d);
            }
        }
    }

    /**
     * prepared runs one PreparedStatement ten times: pgjdbc uses the unnamed statement four times,
     * then a named server-side statement, and from the sixth run on asks for binary results.
     */
    private static void prepared() throws SQLException {
        int[] keys = {1, 2, 3, 4, 5, 6, 7, 32, 33, 34};
        try (PreparedStatement ps = conn.prepareStatement(
                "select o_orderkey, o_custkey, o_totalprice, o_orderdate, o_orderpriority, o_shippriority, o_comment"
                        + " from orders where o_orderkey = ? and o_orderdate < ?")) {
            for (int i = 0; i < keys.length; i++) {
                ps.setInt(1, keys[i]);
                ps.setDate(2, Date.valueOf("1998-08-02"));
                System.out.println("run " + (i + 1));
                print(ps.executeQuery());
            }
        }
        try (PreparedStatement ps = conn.prepareStatement(
                "select l_returnflag, count(*), sum(l_quantity), sum(l_extendedprice * (1 - l_discount))"
                        + " from lineitem where l_shipdate <= ? and l_quantity > ? group by l_returnflag order by 1")) {
            for (int i = 1; i <= 7; i++) {
                ps.setDate(1, Date.valueOf("1995-01-0" + i));
                ps.setBigDecimal(2, new BigDecimal(i * 5));
                System.out.println("run " + i);
                print(ps.executeQuery());
            }
        }
        try (Statement st = conn.createStatement();
                PreparedStatement ps = conn.prepareStatement("insert into jdbc_prepared values (?, ?)")) {
            st.executeUpdate("create table jdbc_prepared (id bigint, note varchar(10))");
            for (int i = 1; i <= 8; i++) {
                ps.setLong(1, i * 1000000000L);
                if (i % 3 == 0) {
                    ps.setNull(2, Types.VARCHAR);
                } else {
                    ps.setString(2, "n" + i);
                }
                System.out.println("insert " + ps.executeUpdate());
            }
            print(st.executeQuery("select * from jdbc_prepared order by id"));
        }
    }

    /** params binds every setter pgjdbc has for the supported types, as values and as NULLs. */
    private static void params() throws SQLException {
        String sql = "select ?::int2, ?::int4, ?::int8, ?::float4, ?::float8, ?::numeric(15,2), ?::bool, ?::text,"
                + " ?::varchar(10), ?::char(3), ?::date, ?::timestamp";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int run = 1; run <= 6; run++) {
                ps.setShort(1, (short) -run);
                ps.setInt(2, 100000 * run);
                ps.setLong(3, 10000000000L * run);
                ps.setFloat(4, 1.25f * run);
                ps.setDouble(5, 0.1 * run);
                ps.setBigDecimal(6, new BigDecimal("1234.5").multiply(new BigDecimal(run)));
                ps.setBoolean(7, run % 2 == 0);
                ps.setString(8, "it's \"" + run + "\"");
                ps.setString(9, "v" + run);
                ps.setString(10, "c" + run);
                ps.setDate(11, Date.valueOf("2024-02-2" + run));
                ps.setTimestamp(12, Timestamp.valueOf("2024-02-29 12:34:5" + run + ".25"));
                System.out.println("run " + run);
                print(ps.executeQuery());
            }
            for (int i = 1; i <= 12; i++) {
                ps.setNull(i, Types.NULL);
            }
            print(ps.executeQuery());
        }
        try (PreparedStatement ps = conn.prepareStatement(
                "select n_name from nation where n_nationkey = ? or n_name = ? or n_regionkey = ? order by 1")) {
            ps.setObject(1, 3);
            ps.setObject(2, "PERU");
            ps.setObject(3, 4L);
            print(ps.executeQuery());
        }
    }

    /** fetchSize reads results in row-limited portals inside a transaction. */
    private static void fetchSize() throws SQLException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.setFetchSize(10);
            ResultSet rs = st.executeQuery(
                    "select l_orderkey, l_linenumber, l_extendedprice from lineitem where l_orderkey < 40 order by 1, 2");
            print(rs);
        }
        try (Statement a = conn.createStatement(); Statement b = conn.createStatement()) {
            a.setFetchSize(7);
            b.setFetchSize(5);
            ResultSet ra = a.executeQuery("select o_orderkey from orders order by o_orderkey limit 30");
            ResultSet rb = b.executeQuery("select c_name from customer order by c_custkey limit 20");
            int rows = 0;
            while (true) {
                boolean na = ra.next(), nb = rb.next();
                if (!na && !nb) {
                    break;
                }
                System.out.println((na ? ra.getString(1) : "-") + " | " + (nb ? rb.getString(1) : "-"));
                rows++;
            }
            System.out.println("interleaved rows " + rows);
        }
        try (PreparedStatement ps = conn.prepareStatement(
                "select ps_partkey, ps_suppkey, ps_supplycost from partsupp where ps_partkey <= ? order by 1, 2")) {
            ps.setFetchSize(4);
            for (int i = 1; i <= 6; i++) {
                ps.setInt(1, i);
                ResultSet rs = ps.executeQuery();
                int n = 0;
                BigDecimal sum = BigDecimal.ZERO;
                while (rs.next()) {
                    n++;
                    sum = sum.add(rs.getBigDecimal(3));
                }
                System.out.println("run " + i + ": " + n + " rows, cost " + sum);
            }
        }
        conn.commit();
    }

    /** batch runs PreparedStatement and Statement batches, in autocommit mode and in a transaction. */
    private static void batch() throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("create table jdbc_batch (id integer not null, name varchar(20), amount numeric(10,2))");
            try (PreparedStatement ps = conn.prepareStatement("insert into jdbc_batch values (?, ?, ?)")) {
                for (int i = 1; i <= 25; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "name " + i);
                    ps.setBigDecimal(3, new BigDecimal(i).movePointLeft(1));
                    ps.addBatch();
                }
                System.out.println("prepared batch " + Arrays.toString(ps.executeBatch()));
            }
            st.addBatch("insert into jdbc_batch values (26, 'twenty-six', 2.6)");
            st.addBatch("update jdbc_batch set amount = amount + 1 where id <= 5");
            st.addBatch("delete from jdbc_batch where id > 20");
            System.out.println("statement batch " + Arrays.toString(st.executeBatch()));
            conn.setAutoCommit(false);
            try (PreparedStatement ps = conn.prepareStatement("update jdbc_batch set name = ? where id = ?")) {
                for (int i = 1; i <= 4; i++) {
                    ps.setString(1, "renamed " + i);
                    ps.setInt(2, i);
                    ps.addBatch();
                }
                System.out.println("update batch " + Arrays.toString(ps.executeBatch()));
            }
            conn.commit();
            conn.setAutoCommit(true);
            print(st.executeQuery("select * from jdbc_batch order by id"));
        }
    }

    /**
     * batchError runs a batch whose middle statement fails: in autocommit mode the whole batch is one
     * implicit transaction (one Sync), so none of its rows stay.
     */
    private static void batchError() throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("create table jdbc_batch_error (id integer not null, name varchar(20))");
            try (PreparedStatement ps = conn.prepareStatement("insert into jdbc_batch_error values (?, ?)")) {
                for (int i = 100; i <= 102; i++) {
                    if (i == 101) {
                        ps.setNull(1, Types.INTEGER);
                    } else {
                        ps.setInt(1, i);
                    }
                    ps.setString(2, "bad batch");
                    ps.addBatch();
                }
                try {
                    ps.executeBatch();
                    System.out.println("failing batch succeeded");
                } catch (BatchUpdateException e) {
                    System.out.println("failing batch " + e.getSQLState() + " " + Arrays.toString(e.getUpdateCounts()));
                }
            }
            print(st.executeQuery("select * from jdbc_batch_error order by id"));
            System.out.println("insert " + st.executeUpdate("insert into jdbc_batch_error values (1, 'after')"));
            print(st.executeQuery("select * from jdbc_batch_error order by id"));
        }
    }

    /** types reads every column of alltypes with getObject and getString, in text and in binary. */
    private static void types() throws SQLException {
        try (Statement st = conn.createStatement()) {
            printWithMeta(st.executeQuery("select * from alltypes order by id"));
            ResultSet rs = st.executeQuery("select * from alltypes order by id");
            while (rs.next()) {
                List<String> vals = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    vals.add(rs.getString(i) == null ? "NULL" : rs.getString(i));
                }
                System.out.println("getString " + String.join(" | ", vals));
            }
        }
        // From the sixth execution pgjdbc asks for binary results of the types it decodes in binary.
        try (PreparedStatement ps = conn.prepareStatement("select * from alltypes where id >= ? order by id")) {
            for (int run = 1; run <= 7; run++) {
                ps.setInt(1, 1);
                ResultSet rs = ps.executeQuery();
                if (run == 1 || run >= 6) {
                    System.out.println("run " + run);
                    print(rs);
                }
            }
        }
        try (Statement st = conn.createStatement()) {
            print(st.executeQuery("select 1::int2 + 1::int2, 2::int4 * 3, 10::int8 / 3, 1.5::float4 * 2, 1e100::float8,"
                    + " 12345.678::numeric(10,3), 'x'::char(4) || 'y', '2024-01-31'::date + 1,"
                    + " '2024-01-31 23:59:59.5'::timestamp, true and false, null::text"));
        }
    }

    /** transactions: commit, rollback, savepoints, and an error in the middle of a transaction. */
    private static void transactions() throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("create table jdbc_tx (id integer)");
            conn.setAutoCommit(false);
            st.executeUpdate("insert into jdbc_tx values (1)");
            conn.rollback();
            print(st.executeQuery("select count(*) from jdbc_tx"));
            st.executeUpdate("insert into jdbc_tx values (2)");
            conn.commit();
            st.executeUpdate("insert into jdbc_tx values (3)");
            Savepoint sp = conn.setSavepoint("sp1");
            st.executeUpdate("insert into jdbc_tx values (4)");
            conn.rollback(sp);
            st.executeUpdate("insert into jdbc_tx values (5)");
            conn.commit();
            print(st.executeQuery("select id from jdbc_tx order by id"));
            st.executeUpdate("insert into jdbc_tx values (6)");
            expectError(() -> st.executeQuery("select 1/0").close(), "division by zero in a transaction");
            expectError(() -> st.executeQuery("select 1").close(), "after the error");
            expectError(() -> conn.commit(), "commit after the error");
            conn.rollback();
            print(st.executeQuery("select id from jdbc_tx order by id"));
            conn.commit();
            conn.setAutoCommit(true);
            conn.setReadOnly(true);
            expectError(() -> st.executeUpdate("insert into jdbc_tx values (7)"), "insert in a read-only session");
            conn.setReadOnly(false);
            print(st.executeQuery("select id from jdbc_tx order by id"));
        }
    }

    /** timestamptz reads and binds timestamp with time zone, in text and (from the sixth run) binary. */
    private static void timestamptz() throws SQLException {
        try (Statement st = conn.createStatement()) {
            ResultSet rs = st.executeQuery("select '2024-02-29 12:34:56.789+02'::timestamptz,"
                    + " '1999-12-31 23:59:59.999999-08'::timestamptz, '0001-01-01 00:00:00+00'::timestamptz, null::timestamptz");
            while (rs.next()) {
                for (int i = 1; i <= 4; i++) {
                    System.out.println(show(rs.getObject(i)) + " | " + rs.getString(i) + " | "
                            + show(rs.getObject(i, OffsetDateTime.class)));
                }
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("select ?::timestamptz, ?::timestamptz")) {
            for (int run = 1; run <= 6; run++) {
                ps.setTimestamp(1, Timestamp.valueOf("2024-02-29 12:34:56." + run));
                ps.setObject(2, OffsetDateTime.of(2024, 2, 29, 12, 0, run, 0, ZoneOffset.ofHours(run - 3)));
                System.out.println("run " + run);
                print(ps.executeQuery());
            }
        }
    }

    /** numeric reads numerics beyond 18 digits of precision, in text and (from the sixth run) binary. */
    private static void numeric() throws SQLException {
        String sql = "select 12345678901234567890.123456789::numeric, 1e-20::numeric,"
                + " -99999999999999999999999999.9999::numeric(30,4), 0::numeric(25,10), ?::numeric";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int run = 1; run <= 6; run++) {
                ps.setBigDecimal(1, new BigDecimal("123456789012345678901234567890.0123456789").negate());
                System.out.println("run " + run);
                print(ps.executeQuery());
            }
        }
    }

    /** numericNaN reads numeric NaN, in text and (from the sixth run) binary, where pgjdbc makes it a Double. */
    private static void numericNaN() throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("select 'NaN'::numeric, ?::numeric")) {
            for (int run = 1; run <= 6; run++) {
                ps.setDouble(1, Double.NaN);
                System.out.println("run " + run);
                print(ps.executeQuery());
            }
        }
    }

    /** metadata prints DatabaseMetaData's answers about the loaded schema. */
    private static void metadata() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        System.out.println("schema " + conn.getSchema());
        System.out.println("getSchemas");
        print(md.getSchemas(), "TABLE_SCHEM");
        System.out.println("getTables");
        print(md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"}),
                "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS");
    }

    /** getTypeInfo prints DatabaseMetaData.getTypeInfo for the types Cirrus has. */
    private static void getTypeInfo() throws SQLException {
        Set<String> types = Set.of("int2", "int4", "int8", "float4", "float8", "numeric", "bool", "text", "varchar",
                "bpchar", "date", "timestamp");
        ResultSet rs = conn.getMetaData().getTypeInfo();
        while (rs.next()) {
            if (types.contains(rs.getString("TYPE_NAME"))) {
                System.out.println(rs.getString("TYPE_NAME") + " | " + rs.getInt("DATA_TYPE") + " | "
                        + rs.getInt("PRECISION") + " | " + rs.getBoolean("CASE_SENSITIVE") + " | "
                        + rs.getInt("SEARCHABLE"));
            }
        }
    }

    /** getPrimaryKeys prints DatabaseMetaData.getPrimaryKeys of drivers_pk. */
    private static void getPrimaryKeys() throws SQLException {
        print(conn.getMetaData().getPrimaryKeys(null, "public", "drivers_pk"), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ",
                "PK_NAME");
    }

    /**
     * getIndexInfo prints DatabaseMetaData.getIndexInfo of two tables with
     * primary keys (its query expands pg_index.indkey with
     * information_schema._pg_expandarray and names each key column with
     * pg_get_indexdef(index, column, false)).
     */
    private static void getIndexInfo() throws SQLException {
        for (String table : new String[] {"drivers_pk", "orders"}) {
            print(conn.getMetaData().getIndexInfo(null, "public", table, false, false), "TABLE_NAME", "NON_UNIQUE",
                    "INDEX_NAME", "TYPE", "ORDINAL_POSITION", "COLUMN_NAME", "ASC_OR_DESC", "CARDINALITY", "PAGES",
                    "FILTER_CONDITION");
        }
    }

    /** getColumns prints DatabaseMetaData.getColumns for three tables. */
    private static void getColumns() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        for (String table : new String[] {"lineitem", "alltypes", "drivers_pk"}) {
            System.out.println("getColumns " + table);
            print(md.getColumns(null, "public", table, "%"), "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE",
                    "DECIMAL_DIGITS", "NULLABLE", "IS_NULLABLE", "ORDINAL_POSITION", "COLUMN_DEF", "IS_AUTOINCREMENT");
        }
    }

    /** resultSetMeta asks what pgjdbc looks up by the table OID and attnum of RowDescription. */
    private static void resultSetMeta() throws SQLException {
        try (Statement st = conn.createStatement()) {
            ResultSet rs = st.executeQuery("select l_orderkey, l_comment, 1 as one from lineitem limit 1");
            ResultSetMetaData m = rs.getMetaData();
            PGResultSetMetaData pm = m.unwrap(PGResultSetMetaData.class);
            for (int i = 1; i <= m.getColumnCount(); i++) {
                System.out.println(m.getColumnName(i) + " | " + pm.getBaseTableName(i) + " | " + pm.getBaseSchemaName(i) + " | "
                        + m.isNullable(i) + " | " + m.isAutoIncrement(i) + " | " + m.getColumnTypeName(i));
            }
        }
    }

    // ---- helpers ----

    private interface SqlAction {
        void run() throws SQLException;
    }

    /** expectError runs an action that should fail and prints its SQLSTATE. */
    private static void expectError(SqlAction action, String what) {
        try {
            action.run();
            System.out.println(what + ": no error");
        } catch (SQLException e) {
            System.out.println(what + ": " + e.getSQLState());
            System.err.println(what + ": " + e.getMessage());
        }
    }

    /** print prints every row of rs, each value as its Java class and value. */
    private static void print(ResultSet rs) throws SQLException {
        int cols = rs.getMetaData().getColumnCount();
        int rows = 0;
        while (rs.next()) {
            List<String> vals = new ArrayList<>();
            for (int i = 1; i <= cols; i++) {
                vals.add(show(rs.getObject(i)));
            }
            System.out.println(String.join(" | ", vals));
            rows++;
        }
        System.out.println("(" + rows + " rows)");
        rs.close();
    }

    /** print prints the named columns of every row of rs. */
    private static void print(ResultSet rs, String... cols) throws SQLException {
        while (rs.next()) {
            List<String> vals = new ArrayList<>();
            for (String c : cols) {
                vals.add(show(rs.getObject(c)));
            }
            System.out.println(String.join(" | ", vals));
        }
        rs.close();
    }

    /**
     * printWithMeta prints what ResultSetMetaData knows of each column from RowDescription alone, then the
     * rows. (getColumnTypeName, isNullable and the like look the column up in pg_catalog: resultsetmeta.)
     */
    private static void printWithMeta(ResultSet rs) throws SQLException {
        ResultSetMetaData m = rs.getMetaData();
        for (int i = 1; i <= m.getColumnCount(); i++) {
            System.out.println("column " + m.getColumnLabel(i) + " type=" + m.getColumnType(i) + " class=" + m.getColumnClassName(i) + " precision=" + m.getPrecision(i)
                    + " scale=" + m.getScale(i) + " size=" + m.getColumnDisplaySize(i));
        }
        print(rs);
    }

    private static String show(Object v) {
        if (v == null) {
            return "NULL";
        }
        return v.getClass().getSimpleName() + ":" + v;
    }
}
