-- Loaded into both servers after the TPC-H tables: a table with every type
-- the driver suites read back (edge values and a row of NULLs), and a table
-- with a primary key for DatabaseMetaData.getPrimaryKeys.
create table alltypes (
  id integer not null,
  c_int2 smallint,
  c_int4 integer,
  c_int8 bigint,
  c_float4 real,
  c_float8 double precision,
  c_numeric numeric(15,2),
  c_numeric_s numeric(18,6),
  c_bool boolean,
  c_text text,
  c_varchar varchar(20),
  c_char char(5),
  c_date date,
  c_timestamp timestamp
);
insert into alltypes values (1, 1, 2, 3, 1.5, 2.25, 123.45, 1.5, true, 'text', 'varchar', 'ch', '2024-02-29', '2024-02-29 12:34:56.789');
insert into alltypes values (2, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN', -0.01, -0.000001, false, '', 'ä€😀', 'abcde', '4713-01-01 BC', '0001-01-01 00:00:00');
insert into alltypes values (3, 32767, 2147483647, 9223372036854775807, 3.4e38, 1.7976931348623157e308, 9999999999999.99, 999999999999.999999, null, 'quote''s "dq" \back', 'x', 'a b', '9999-12-31', '9999-12-31 23:59:59.999999');
insert into alltypes values (4, 0, 0, 0, '-0', 'Infinity', 0, 0, false, e'tab\tnl\n', '', '', '2000-01-01', '2000-01-01 00:00:00');
insert into alltypes values (5, 7, 0.1, 1e18, 0.1, 0.1, 0.5, 1e-6, true, 'ünïcødé', 'ü', 'ü', '1970-01-01', '1969-12-31 23:59:59.000001');
insert into alltypes (id) values (6);

create table drivers_pk (id integer primary key, name varchar(20) not null);
insert into drivers_pk values (1, 'one'), (2, 'two');
