-- Statements that fail, one a line: every suite runs each outside a
-- transaction and prints its SQLSTATE; the connection must go on.
select * from no_such_table
select no_such_column from nation
selec 1
select 1/0
select 'abc'::integer
select n_nationkey from nation where n_name = 1
insert into drivers_pk (id) values (3)
create table nation (x integer)
