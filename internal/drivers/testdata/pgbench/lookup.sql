-- Point lookups and small aggregates over the TPC-H tables (read only).
\set ok random(1, 60000)
\set ck random(1, 1500)
\set nk random(0, 24)
select o_orderstatus, o_totalprice, o_orderdate, o_clerk from orders where o_orderkey = :ok;
select count(*), sum(l_quantity), sum(l_extendedprice * (1 - l_discount)), max(l_shipdate) from lineitem where l_orderkey = :ok;
select c_name, c_acctbal, c_mktsegment from customer where c_custkey = :ck;
select n_name, count(*), sum(s_acctbal) from supplier join nation on s_nationkey = n_nationkey where n_nationkey = :nk group by n_name;
