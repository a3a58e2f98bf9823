-- What Metabase's postgres driver (metabase.driver.postgres, on top of
-- metabase.driver.sql-jdbc) and the pgjdbc driver under it send when
-- Metabase tests a connection and syncs a database: describe-database,
-- describe-fields, describe-fks, table privileges, enum types, field values
-- and the sample rows it fingerprints, and a query bucketed by week as its
-- query processor writes it for db-start-of-week :monday. Written from
-- postgres.clj (HoneySQL rendered with the :ansi dialect, as the driver's
-- quote style), sql_jdbc/sync/describe_database.clj, db/metadata_queries.clj
-- and pgjdbc 42.5.5's PgConnection and PgDatabaseMetaData; parameters are
-- filled in for the TPC-H schema. The format is dbeaver.sql's.

-- metabase: connect, pgjdbc names the connection (ApplicationName property)
SET application_name = 'Metabase v0.52.4 [6d4b2a8e-2f3c-4f51-9a37-0e5f6c1d7b90]'

-- metabase: connection test (sql-jdbc.conn/can-connect-with-spec?)
-- rows
SELECT 1

-- metabase: connect, current isolation level (pgjdbc PgConnection.getTransactionIsolation)
-- rows
SHOW TRANSACTION ISOLATION LEVEL

-- metabase: connect, lowest isolation level for reads (sql-jdbc.execute/set-best-transaction-level!)
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED

-- metabase: connect, back to the default isolation level (sql-jdbc.execute)
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED

-- metabase: sync, the database's time zone (driver/db-default-timezone)
-- rows
show timezone;

-- metabase: connect, the report time zone (sql-jdbc.execute/set-timezone-sql)
SET SESSION TIMEZONE TO 'UTC';

-- metabase: describe-database, syncable schemas (pgjdbc PgDatabaseMetaData.getSchemas)
-- rows
SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY TABLE_SCHEM

-- metabase: describe-database, the current user's table privileges (sql-jdbc.sync/current-user-table-privileges)
-- rows unordered
with table_privileges as (
 select
   NULL as role,
   t.schemaname as schema,
   t.objectname as table,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'update') as update,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'select') as select,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'insert') as insert,
   pg_catalog.has_table_privilege(     current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'delete') as delete
 from (
   select schemaname, tablename as objectname from pg_catalog.pg_tables
   union
   select schemaname, viewname as objectname from pg_catalog.pg_views
   union
   select schemaname, matviewname as objectname from pg_catalog.pg_matviews
 ) t
 where t.schemaname !~ '^pg_'
   and t.schemaname <> 'information_schema'
   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
)
select t.*
from table_privileges t

-- metabase: describe-database, the tables of the syncable schemas (postgres get-tables-sql)
-- rows
SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = 0) AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ '^pg_') AND ("n"."nspname" <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ('public')) ORDER BY "type" ASC, "schema" ASC, "name" ASC

-- metabase: describe-fields, enum types first (postgres enum-types)
-- rows
SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)

-- metabase: describe-fields, every column of the schema (sql-jdbc.sync/describe-fields-sql :postgres)
-- rows
SELECT "c"."column_name" AS "name", CASE WHEN "c"."udt_schema" IN ('public', 'pg_catalog') THEN FORMAT('%s', "c"."udt_name") ELSE FORMAT('"%s"."%s"', "c"."udt_schema", "c"."udt_name") END AS "database-type", "c"."ordinal_position" - 1 AS "database-position", "c"."table_schema" AS "table-schema", "c"."table_name" AS "table-name", "pk"."column_name" IS NOT NULL AS "pk?", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST("c"."table_schema" AS TEXT), CAST("c"."table_name" AS TEXT)) AS REGCLASS) AS OID), "c"."ordinal_position") AS "field-comment", (("column_default" IS NULL) OR (LOWER("column_default") = 'null')) AND ("is_nullable" = 'NO') AND NOT ((("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO')) AS "database-required", (("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO') AS "database-is-auto-increment" FROM "information_schema"."columns" AS "c" LEFT JOIN (SELECT "tc"."table_schema", "tc"."table_name", "kc"."column_name" FROM "information_schema"."table_constraints" AS "tc" INNER JOIN "information_schema"."key_column_usage" AS "kc" ON ("tc"."constraint_name" = "kc"."constraint_name") AND ("tc"."table_schema" = "kc"."table_schema") AND ("tc"."table_name" = "kc"."table_name") WHERE "tc"."constraint_type" = 'PRIMARY KEY') AS "pk" ON ("c"."table_schema" = "pk"."table_schema") AND ("c"."table_name" = "pk"."table_name") AND ("c"."column_name" = "pk"."column_name") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND ("c"."table_schema" IN ('public')) UNION ALL SELECT "pa"."attname" AS "name", CASE WHEN "ptn"."nspname" IN ('public', 'pg_catalog') THEN FORMAT('%s', "pt"."typname") ELSE FORMAT('"%s"."%s"', "ptn"."nspname", "pt"."typname") END AS "database-type", "pa"."attnum" - 1 AS "database-position", "pn"."nspname" AS "table-schema", "pc"."relname" AS "table-name", FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", FALSE AS "database-is-auto-increment" FROM "pg_catalog"."pg_class" AS "pc" INNER JOIN "pg_catalog"."pg_namespace" AS "pn" ON "pn"."oid" = "pc"."relnamespace" INNER JOIN "pg_catalog"."pg_attribute" AS "pa" ON "pa"."attrelid" = "pc"."oid" INNER JOIN "pg_catalog"."pg_type" AS "pt" ON "pt"."oid" = "pa"."atttypid" INNER JOIN "pg_catalog"."pg_namespace" AS "ptn" ON "ptn"."oid" = "pt"."typnamespace" WHERE ("pc"."relkind" = 'm') AND ("pa"."attnum" >= 1) AND ("pn"."nspname" IN ('public')) ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC

-- metabase: describe-fields, the columns of one table (sql-jdbc.sync/describe-fields-sql :postgres with table-names)
-- rows
SELECT "c"."column_name" AS "name", CASE WHEN "c"."udt_schema" IN ('public', 'pg_catalog') THEN FORMAT('%s', "c"."udt_name") ELSE FORMAT('"%s"."%s"', "c"."udt_schema", "c"."udt_name") END AS "database-type", "c"."ordinal_position" - 1 AS "database-position", "c"."table_schema" AS "table-schema", "c"."table_name" AS "table-name", "pk"."column_name" IS NOT NULL AS "pk?", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST("c"."table_schema" AS TEXT), CAST("c"."table_name" AS TEXT)) AS REGCLASS) AS OID), "c"."ordinal_position") AS "field-comment", (("column_default" IS NULL) OR (LOWER("column_default") = 'null')) AND ("is_nullable" = 'NO') AND NOT ((("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO')) AS "database-required", (("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO') AS "database-is-auto-increment" FROM "information_schema"."columns" AS "c" LEFT JOIN (SELECT "tc"."table_schema", "tc"."table_name", "kc"."column_name" FROM "information_schema"."table_constraints" AS "tc" INNER JOIN "information_schema"."key_column_usage" AS "kc" ON ("tc"."constraint_name" = "kc"."constraint_name") AND ("tc"."table_schema" = "kc"."table_schema") AND ("tc"."table_name" = "kc"."table_name") WHERE "tc"."constraint_type" = 'PRIMARY KEY') AS "pk" ON ("c"."table_schema" = "pk"."table_schema") AND ("c"."table_name" = "pk"."table_name") AND ("c"."column_name" = "pk"."column_name") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND ("c"."table_schema" IN ('public')) AND ("c"."table_name" IN ('lineitem')) UNION ALL SELECT "pa"."attname" AS "name", CASE WHEN "ptn"."nspname" IN ('public', 'pg_catalog') THEN FORMAT('%s', "pt"."typname") ELSE FORMAT('"%s"."%s"', "ptn"."nspname", "pt"."typname") END AS "database-type", "pa"."attnum" - 1 AS "database-position", "pn"."nspname" AS "table-schema", "pc"."relname" AS "table-name", FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", FALSE AS "database-is-auto-increment" FROM "pg_catalog"."pg_class" AS "pc" INNER JOIN "pg_catalog"."pg_namespace" AS "pn" ON "pn"."oid" = "pc"."relnamespace" INNER JOIN "pg_catalog"."pg_attribute" AS "pa" ON "pa"."attrelid" = "pc"."oid" INNER JOIN "pg_catalog"."pg_type" AS "pt" ON "pt"."oid" = "pa"."atttypid" INNER JOIN "pg_catalog"."pg_namespace" AS "ptn" ON "ptn"."oid" = "pt"."typnamespace" WHERE ("pc"."relkind" = 'm') AND ("pa"."attnum" >= 1) AND ("pn"."nspname" IN ('public')) AND ("pc"."relname" IN ('lineitem')) ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC

-- metabase: describe-fks, foreign keys of the schema (sql-jdbc.sync/describe-fks-sql :postgres)
-- rows
SELECT "fk_ns"."nspname" AS "fk-table-schema", "fk_table"."relname" AS "fk-table-name", "fk_column"."attname" AS "fk-column-name", "pk_ns"."nspname" AS "pk-table-schema", "pk_table"."relname" AS "pk-table-name", "pk_column"."attname" AS "pk-column-name" FROM "pg_constraint" AS "c" INNER JOIN "pg_class" AS "fk_table" ON "c"."conrelid" = "fk_table"."oid" INNER JOIN "pg_namespace" AS "fk_ns" ON "c"."connamespace" = "fk_ns"."oid" INNER JOIN "pg_attribute" AS "fk_column" ON "c"."conrelid" = "fk_column"."attrelid" INNER JOIN "pg_class" AS "pk_table" ON "c"."confrelid" = "pk_table"."oid" INNER JOIN "pg_namespace" AS "pk_ns" ON "pk_table"."relnamespace" = "pk_ns"."oid" INNER JOIN "pg_attribute" AS "pk_column" ON "c"."confrelid" = "pk_column"."attrelid" WHERE (fk_ns.nspname !~ '^information_schema|catalog_history|pg_') AND ("c"."contype" = 'f'::char) AND ("fk_column"."attnum" = ANY(c.conkey)) AND ("pk_column"."attnum" = ANY(c.confkey)) AND ("fk_ns"."nspname" IN ('public')) ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC

-- metabase: describe-fks, foreign keys of one table (sql-jdbc.sync/describe-fks-sql :postgres with table-names)
-- rows
SELECT "fk_ns"."nspname" AS "fk-table-schema", "fk_table"."relname" AS "fk-table-name", "fk_column"."attname" AS "fk-column-name", "pk_ns"."nspname" AS "pk-table-schema", "pk_table"."relname" AS "pk-table-name", "pk_column"."attname" AS "pk-column-name" FROM "pg_constraint" AS "c" INNER JOIN "pg_class" AS "fk_table" ON "c"."conrelid" = "fk_table"."oid" INNER JOIN "pg_namespace" AS "fk_ns" ON "c"."connamespace" = "fk_ns"."oid" INNER JOIN "pg_attribute" AS "fk_column" ON "c"."conrelid" = "fk_column"."attrelid" INNER JOIN "pg_class" AS "pk_table" ON "c"."confrelid" = "pk_table"."oid" INNER JOIN "pg_namespace" AS "pk_ns" ON "pk_table"."relnamespace" = "pk_ns"."oid" INNER JOIN "pg_attribute" AS "pk_column" ON "c"."confrelid" = "pk_column"."attrelid" WHERE (fk_ns.nspname !~ '^information_schema|catalog_history|pg_') AND ("c"."contype" = 'f'::char) AND ("fk_column"."attnum" = ANY(c.conkey)) AND ("pk_column"."attnum" = ANY(c.confkey)) AND ("fk_table"."relname" IN ('nation')) AND ("fk_ns"."nspname" IN ('public')) ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC

-- metabase: sync, probe a table for SELECT (describe-database/simple-select-probe-query, for foreign tables)
-- rows
SELECT TRUE AS "_" FROM "public"."lineitem" WHERE 1 <> 1 LIMIT 0

-- metabase: fingerprint, sample rows with text truncated (db.metadata-queries/table-rows-sample)
-- rows
SELECT "public"."nation"."n_nationkey" AS "n_nationkey", SUBSTRING("public"."nation"."n_name", 1, 1234) AS "substring31337", "public"."nation"."n_regionkey" AS "n_regionkey", SUBSTRING("public"."nation"."n_comment", 1, 1234) AS "substring31338" FROM "public"."nation" LIMIT 10000

-- metabase: fingerprint, sample rows of a wide table (db.metadata-queries/table-rows-sample)
-- rows
SELECT "public"."lineitem"."l_orderkey" AS "l_orderkey", "public"."lineitem"."l_partkey" AS "l_partkey", "public"."lineitem"."l_suppkey" AS "l_suppkey", "public"."lineitem"."l_linenumber" AS "l_linenumber", "public"."lineitem"."l_quantity" AS "l_quantity", "public"."lineitem"."l_extendedprice" AS "l_extendedprice", "public"."lineitem"."l_discount" AS "l_discount", "public"."lineitem"."l_tax" AS "l_tax", SUBSTRING("public"."lineitem"."l_returnflag", 1, 1234) AS "substring31339", SUBSTRING("public"."lineitem"."l_linestatus", 1, 1234) AS "substring31340", "public"."lineitem"."l_shipdate" AS "l_shipdate", "public"."lineitem"."l_commitdate" AS "l_commitdate", "public"."lineitem"."l_receiptdate" AS "l_receiptdate", SUBSTRING("public"."lineitem"."l_shipinstruct", 1, 1234) AS "substring31341", SUBSTRING("public"."lineitem"."l_shipmode", 1, 1234) AS "substring31342", SUBSTRING("public"."lineitem"."l_comment", 1, 1234) AS "substring31343" FROM "public"."lineitem" LIMIT 10000

-- metabase: field values, distinct values of a category field (db.metadata-queries/field-distinct-values)
-- rows
SELECT "public"."nation"."n_name" AS "n_name" FROM "public"."nation" GROUP BY "public"."nation"."n_name" ORDER BY "public"."nation"."n_name" ASC LIMIT 5000

-- metabase: field values, distinct values of another category field (db.metadata-queries/field-distinct-values)
-- rows
SELECT "public"."region"."r_name" AS "r_name" FROM "public"."region" GROUP BY "public"."region"."r_name" ORDER BY "public"."region"."r_name" ASC LIMIT 5000

-- metabase: field values, distinct count of a field (db.metadata-queries/field-distinct-count)
-- rows
SELECT COUNT(DISTINCT "public"."nation"."n_regionkey") AS "count" FROM "public"."nation"

-- metabase: table row count (db.metadata-queries/table-row-count)
-- rows
SELECT COUNT(*) AS "count" FROM "public"."lineitem"

-- metabase: query, orders by week starting Sunday on a Monday-week database (db-start-of-week :monday, sql.qp/adjust-start-of-week)
-- rows
SELECT CAST((CAST(date_trunc('week', CAST(("public"."orders"."o_orderdate" + INTERVAL '1 day') AS date)) AS date) + INTERVAL '-1 day') AS date) AS "o_orderdate", COUNT(*) AS "count" FROM "public"."orders" GROUP BY CAST((CAST(date_trunc('week', CAST(("public"."orders"."o_orderdate" + INTERVAL '1 day') AS date)) AS date) + INTERVAL '-1 day') AS date) ORDER BY CAST((CAST(date_trunc('week', CAST(("public"."orders"."o_orderdate" + INTERVAL '1 day') AS date)) AS date) + INTERVAL '-1 day') AS date) ASC

-- metabase: query, day of week with Sunday first on a Monday-week database (sql.qp/date :day-of-week)
-- rows
SELECT ((((CAST(extract(dow from CAST("public"."orders"."o_orderdate" AS timestamp)) AS integer) + 1) + 5) % 7) + 1) AS "o_orderdate", COUNT(*) AS "count" FROM "public"."orders" GROUP BY ((((CAST(extract(dow from CAST("public"."orders"."o_orderdate" AS timestamp)) AS integer) + 1) + 5) % 7) + 1) ORDER BY ((((CAST(extract(dow from CAST("public"."orders"."o_orderdate" AS timestamp)) AS integer) + 1) + 5) % 7) + 1) ASC

-- metabase: query, a month bucketed count with a filter (sql.qp/date :month, the query builder's default)
-- rows
SELECT CAST(date_trunc('month', "public"."orders"."o_orderdate") AS date) AS "o_orderdate", SUM("public"."orders"."o_totalprice") AS "sum" FROM "public"."orders" WHERE ("public"."orders"."o_orderdate" >= DATE '1995-01-01') AND ("public"."orders"."o_orderdate" < DATE '1996-01-01') GROUP BY CAST(date_trunc('month', "public"."orders"."o_orderdate") AS date) ORDER BY CAST(date_trunc('month', "public"."orders"."o_orderdate") AS date) ASC
