-- The lookups of lookup.sql as one pipeline: one Sync for all of them.
\set ok random(1, 60000)
\set ck random(1, 1500)
\set nk random(0, 24)
\startpipeline
select count(*), sum(l_quantity) from lineitem where l_orderkey = :ok;
select o_totalprice from orders where o_orderkey = :ok;
select c_name from customer where c_custkey = :ck;
select r_name from nation join region on n_regionkey = r_regionkey where n_nationkey = :nk;
\endpipeline
