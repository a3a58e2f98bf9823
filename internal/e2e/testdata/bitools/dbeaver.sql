-- What DBeaver's PostgreSQL plugin (org.jkiss.dbeaver.ext.postgresql) and the
-- pgjdbc driver under it send when DBeaver connects to a database, fills its
-- navigator down to one table's columns, constraints, indexes and DDL, and
-- opens the table's data. Written from the plugin's model classes (named in
-- each entry) and pgjdbc 42.5.5's PgConnection, TypeInfoCache and
-- PgDatabaseMetaData; bind parameters are filled in for the TPC-H schema.
--
-- Format (read by bitools_test.go): entries are separated by blank lines. An
-- entry's first line names the tool and the action; further comment lines
-- are marks: "rows" compares the result rows with PostgreSQL's (after
-- normalising OIDs and owners; "rows unordered" sorts them first),
-- "pending <helper>: <reason>" reports the entry instead of failing on it.
-- The statement follows; :name and :'name' are psql variables the test sets
-- to the OIDs and names of the database's objects.

-- dbeaver: connect, pgjdbc's session setup (ConnectionFactoryImpl.runInitialQueries)
SET extra_float_digits = 3

-- dbeaver: connect, pgjdbc's session setup (ConnectionFactoryImpl.runInitialQueries)
SET application_name = 'PostgreSQL JDBC Driver'

-- dbeaver: connect, DBeaver names its connection (JDBCExecutionContext client info)
SET application_name = 'DBeaver 24.3.0 - Main <bitools>'

-- dbeaver: connect, read the database list (PostgreDataSource.prepareReadDatabaseListStatement)
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE 1 = 1 AND datallowconn AND NOT datistemplate OR db.datname =:'dbname'
ORDER BY db.datname

-- dbeaver: connect, name the active database (PostgreDataSource.loadAvailableDatabases)
-- rows
SELECT current_database()

-- dbeaver: connect, read the server version (PostgreDataSource.initialize)
SELECT version()

-- dbeaver: connect, probe pg_enum (PostgreUtils.isMetaObjectExists)
-- rows
SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1

-- dbeaver: connect, probe pg_class.reltype (PostgreUtils.isMetaObjectExists)
-- rows
SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1

-- dbeaver: connect, read the active database (PostgreDatabase.readDatabaseInfo)
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname=:'dbname'

-- dbeaver: connect, cache data types (PostgreDatabase.cacheDataTypes)
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem 
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')

-- dbeaver: connect, read the session's defaults (PostgreExecutionContext.refreshDefaults)
-- rows
SELECT current_schema(),session_user

-- dbeaver: connect, read the schemas (PostgreDatabase.SchemaCache)
-- rows
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
 ORDER BY nspname

-- dbeaver: connect, read the search path (PostgreExecutionContext.refreshDefaults)
-- rows
SHOW search_path

-- dbeaver: connect, make the selected schema the default (PostgreExecutionContext.setSearchPath)
SET search_path = public,"$user"

-- dbeaver: connect, SQL keywords for the editor (pgjdbc PgDatabaseMetaData.getSQLKeywords)
-- rows
select string_agg(word, ',') from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action,ada,add,admin,after,all,allocate,alter,always,and,any,are,array,as,asc,asensitive,assertion,assignment,asymmetric,at,atomic,attribute,attributes,authorization,avg,before,begin,bernoulli,between,bigint,binary,blob,boolean,both,breadth,by,c,call,called,cardinality,cascade,cascaded,case,cast,catalog,catalog_name,ceil,ceiling,chain,char,char_length,character,character_length,character_set_catalog,character_set_name,character_set_schema,characteristics,characters,check,checked,class_origin,clob,close,coalesce,cobol,code_units,collate,collation,collation_catalog,collation_name,collation_schema,collect,column,column_name,command_function,command_function_code,commit,committed,condition,condition_number,connect,connection_name,constraint,constraint_catalog,constraint_name,constraint_schema,constraints,constructors,contains,continue,convert,corr,corresponding,count,covar_pop,covar_samp,create,cross,cube,cume_dist,current,current_collation,current_date,current_default_transform_group,current_path,current_role,current_time,current_timestamp,current_transform_group_for_type,current_user,cursor,cursor_name,cycle,data,date,datetime_interval_code,datetime_interval_precision,day,deallocate,dec,decimal,declare,default,defaults,deferrable,deferred,defined,definer,degree,delete,dense_rank,depth,deref,derived,desc,describe,descriptor,deterministic,diagnostics,disconnect,dispatch,distinct,domain,double,drop,dynamic,dynamic_function,dynamic_function_code,each,element,else,end,end-exec,equals,escape,every,except,exception,exclude,excluding,exec,execute,exists,exp,external,extract,false,fetch,filter,final,first,float,floor,following,for,foreign,fortran,found,free,from,full,function,fusion,g,general,get,global,go,goto,grant,granted,group,grouping,having,hierarchy,hold,hour,identity,immediate,implementation,in,including,increment,indicator,initially,inner,inout,input,insensitive,insert,instance,instantiable,int,integer,intersect,intersection,interval,into,invoker,is,isolation,join,k,key,key_member,key_type,language,large,last,lateral,leading,left,length,level,like,ln,local,localtime,localtimestamp,locator,lower,m,map,match,matched,max,maxvalue,member,merge,message_length,message_octet_length,message_text,method,min,minute,minvalue,mod,modifies,module,month,more,multiset,mumps,name,names,national,natural,nchar,nclob,nesting,new,next,no,none,normalize,normalized,not,"null",nullable,nullif,nulls,number,numeric,object,octet_length,octets,of,old,on,only,open,option,options,or,order,ordering,ordinality,others,out,outer,output,over,overlaps,overlay,overriding,pad,parameter,parameter_mode,parameter_name,parameter_ordinal_position,parameter_specific_catalog,parameter_specific_name,parameter_specific_schema,partial,partition,pascal,path,percent_rank,percentile_cont,percentile_disc,placing,pli,position,power,preceding,precision,prepare,preserve,primary,prior,privileges,procedure,public,range,rank,read,reads,real,recursive,ref,references,referencing,regr_avgx,regr_avgy,regr_count,regr_intercept,regr_r2,regr_slope,regr_sxx,regr_sxy,regr_syy,relative,release,repeatable,restart,result,return,returned_cardinality,returned_length,returned_octet_length,returned_sqlstate,returns,revoke,right,role,rollback,rollup,routine,routine_catalog,routine_name,routine_schema,row,row_count,row_number,rows,savepoint,scale,schema,schema_name,scope_catalog,scope_name,scope_schema,scroll,search,second,section,security,select,self,sensitive,sequence,serializable,server_name,session,session_user,set,sets,similar,simple,size,smallint,some,source,space,specific,specific_name,specifictype,sql,sqlexception,sqlstate,sqlwarning,sqrt,start,state,statement,static,stddev_pop,stddev_samp,structure,style,subclass_origin,submultiset,substring,sum,symmetric,system,system_user,table,table_name,tablesample,temporary,then,ties,time,timestamp,timezone_hour,timezone_minute,to,top_level_count,trailing,transaction,transaction_active,transactions_committed,transactions_rolled_back,transform,transforms,translate,translation,treat,trigger,trigger_catalog,trigger_name,trigger_schema,trim,true,type,uescape,unbounded,uncommitted,under,union,unique,unknown,unnamed,unnest,update,upper,usage,user,user_defined_type_catalog,user_defined_type_code,user_defined_type_name,user_defined_type_schema,using,value,values,var_pop,var_samp,varchar,varying,view,when,whenever,where,width_bucket,window,with,within,without,work,write,year,zone}'::text[])

-- dbeaver: connect, pgjdbc resolves a result column's type (TypeInfoCache.getSQLType)
-- rows
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = 1042  ORDER BY sp.r, pg_type.oid DESC

-- dbeaver: connect, pgjdbc names a result column's type (TypeInfoCache.getPGType)
-- rows
SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1043

-- dbeaver: connect, pgjdbc looks a type up by name (TypeInfoCache.getPGType)
-- rows
SELECT pg_type.oid, typname   FROM pg_catalog.pg_type   LEFT   JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE typname = 'numeric'  ORDER BY sp.r, pg_type.oid DESC LIMIT 1

-- dbeaver: connect, pgjdbc reads an array type's element (TypeInfoCache.getPGArrayElement)
-- rows
SELECT e.oid, n.nspname = ANY(current_schemas(true)), n.nspname, e.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type e ON t.typelem = e.oid JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1015

-- dbeaver: connect, pgjdbc reads an array type's delimiter (TypeInfoCache.getArrayDelimiter)
-- rows
SELECT e.typdelim FROM pg_catalog.pg_type t, pg_catalog.pg_type e WHERE t.oid = 1015 and t.typelem = e.oid

-- dbeaver: connect, transaction isolation of the connection (pgjdbc PgConnection.getTransactionIsolation)
-- rows
SHOW TRANSACTION ISOLATION LEVEL

-- dbeaver: server settings, read one (PostgreDataSource.SettingCache)
-- rows
select * from pg_catalog.pg_settings where name='standard_conforming_strings'

-- dbeaver: server settings, read all (PostgreDataSource.SettingCache)
select * from pg_catalog.pg_settings

-- dbeaver: database, description (PostgreDatabase.getDescription)
-- rows
select description from pg_shdescription join pg_database on objoid = pg_database.oid where datname = :'dbname'

-- dbeaver: database, roles (PostgreDatabase.RoleCache)
SELECT a.oid,a.*,pd.description FROM pg_catalog.pg_roles a 
left join pg_catalog.pg_shdescription pd on a.oid = pd.objoid
ORDER BY a.rolname

-- dbeaver: database, access methods (PostgreDatabase.AccessMethodCache)
-- rows
SELECT am.oid,am.* FROM pg_catalog.pg_am am 
ORDER BY am.oid

-- dbeaver: database, encodings (PostgreDatabase.EncodingCache)
SELECT c.contoencoding as encid,pg_catalog.pg_encoding_to_char(c.contoencoding) as encname
FROM pg_catalog.pg_conversion c
GROUP BY c.contoencoding
ORDER BY 2

-- dbeaver: database, collations (PostgreDatabase.CollationCache)
SELECT c.oid,c.* FROM pg_catalog.pg_collation c 
ORDER BY c.oid

-- dbeaver: database, languages (PostgreDatabase.LanguageCache)
SELECT l.oid,l.* FROM pg_catalog.pg_language l 
ORDER BY l.oid

-- dbeaver: database, foreign data wrappers (PostgreDatabase.ForeignDataWrapperCache)
-- rows
SELECT l.oid,l.*,p.pronamespace as handler_schema_id 
FROM pg_catalog.pg_foreign_data_wrapper l
LEFT OUTER JOIN pg_catalog.pg_proc p ON p.oid=l.fdwhandler 
ORDER BY l.fdwname

-- dbeaver: database, foreign servers (PostgreDatabase.ForeignServerCache)
-- rows
SELECT l.oid,l.* FROM pg_catalog.pg_foreign_server l
ORDER BY l.srvname

-- dbeaver: database, tablespaces (PostgreDatabase.TablespaceCache)
SELECT t.oid,t.*,pg_tablespace_location(t.oid) loc
FROM pg_catalog.pg_tablespace t 
ORDER BY t.oid

-- dbeaver: database, available extensions (PostgreDatabase.AvailableExtensionCache)
SELECT name,default_version,installed_version,comment FROM pg_catalog.pg_available_extensions ORDER BY name

-- dbeaver: database, event triggers (PostgreDatabase.EventTriggersCache)
-- rows
SELECT pet.*, d.description FROM pg_catalog.pg_event_trigger pet
LEFT OUTER JOIN pg_catalog.pg_description d ON pet."oid" = d.objoid

-- dbeaver: database, installed extensions (PostgreDatabase.ExtensionCache)
SELECT 
 e.oid,
 cfg.tbls,
  n.nspname as schema_name,
 e.* 
FROM 
 pg_catalog.pg_extension e 
 join pg_namespace n on n.oid =e.extnamespace
 left join  (
         select
            ARRAY_AGG(ns.nspname || '.' ||  cls.relname) tbls, oid_ext
          from
            (
            select
                unnest(e1.extconfig) oid , e1.oid oid_ext
            from
                pg_catalog.pg_extension e1 ) c 
                join    pg_class cls on cls.oid = c.oid 
                join pg_namespace ns on ns.oid = cls.relnamespace
            group by oid_ext        
         ) cfg on cfg.oid_ext = e.oid
ORDER BY e.oid

-- dbeaver: database, enum values (PostgreDatabase.EnumValueCache)
-- rows
SELECT * FROM pg_catalog.pg_enum

-- dbeaver: schema, id of the schema (PostgreSchema.readSchemaInfo)
-- rows
SELECT s.oid as schema_id
from pg_catalog.pg_namespace s
WHERE s.nspname ='public'

-- dbeaver: schema, tables and views (PostgreSchema.TableCache)
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=:public_oid AND c.relkind not in ('i','I','c')

-- dbeaver: schema, one table by name (PostgreSchema.TableCache lookup)
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=:public_oid AND c.relkind not in ('i','I','c') AND relname='lineitem'

-- dbeaver: schema, table names for the navigator (PostgreSchema.TableCache, compared by name)
-- rows
SELECT c.relname,c.relkind,c.relhasindex,c.relpersistence,c.relispartition,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=:public_oid AND c.relkind not in ('i','I','c') ORDER BY c.relname

-- dbeaver: schema, columns of every table (PostgreSchema.TableCache children)
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.relnamespace=:public_oid
ORDER BY a.attnum

-- dbeaver: table, columns (PostgreSchema.TableCache children of one table)
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=:lineitem_oid
ORDER BY a.attnum

-- dbeaver: table, column details for the navigator (PostgreSchema.TableCache children, compared without OIDs)
-- rows
-- pending bitools: pg_attribute lists PostgreSQL's system columns ctid, xmin, cmin, xmax, cmax, which Cirrus does not have (only tableoid)
SELECT c.relname,a.attname,a.attnum,a.atttypid,a.atttypmod,a.attnotnull,a.atthasdef,a.attidentity,a.attgenerated,a.attndims,a.attlen,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=:lineitem_oid
ORDER BY a.attnum

-- dbeaver: schema, constraints (PostgreSchema.ConstraintCache)
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE t.relnamespace=:public_oid
ORDER BY c.oid

-- dbeaver: table, constraints (PostgreSchema.ConstraintCache of one table)
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE c.conrelid=:lineitem_oid
ORDER BY c.oid

-- dbeaver: table, constraint columns and names (PostgreSchema.ConstraintCache, compared without OIDs)
-- rows unordered
SELECT c.conname,c.contype,c.condeferrable,c.condeferred,c.convalidated,c.conkey,c.confkey,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE t.relnamespace=:public_oid

-- dbeaver: table, tables referencing it (PostgreTable.getReferences)
-- rows
SELECT DISTINCT connamespace FROM pg_catalog.pg_constraint WHERE confrelid=:lineitem_oid

-- dbeaver: schema, indexes (PostgreSchema.IndexCache)
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  c.relnamespace=:public_oid ORDER BY c.relname

-- dbeaver: table, indexes (PostgreSchema.IndexCache of one table)
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  i.indrelid=:lineitem_oid ORDER BY c.relname

-- dbeaver: table, index columns and flags (PostgreSchema.IndexCache, compared without OIDs)
-- rows
SELECT i.indnatts,i.indnkeyatts,i.indisunique,i.indisprimary,i.indisexclusion,i.indimmediate,i.indisclustered,i.indisvalid,i.indkey as keys,i.indoption,c.relname,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  c.relnamespace=:public_oid ORDER BY c.relname

-- dbeaver: schema, functions (PostgreSchema.ProceduresCache)
-- rows
SELECT p.oid as poid,p.*,pg_catalog.pg_get_expr(p.proargdefaults, 0) as arg_defaults,d.description
FROM pg_catalog.pg_proc p
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=p.oid and d.classoid='pg_proc'::regclass  AND d.objsubid = 0
WHERE p.pronamespace=:public_oid
ORDER BY p.proname

-- dbeaver: schema, aggregates (PostgreSchema.AggregateCache)
-- rows
SELECT p.oid AS proc_oid,p.proname AS proc_name,a.*
FROM pg_catalog.pg_aggregate a,pg_catalog.pg_proc p
WHERE p.oid=a.aggfnoid AND p.pronamespace=:public_oid
ORDER BY p.proname

-- dbeaver: schema, data types of the schema (PostgreDataTypeCache)
-- rows
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem 
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL AND t.typnamespace=:public_oid
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')

-- dbeaver: schema, one data type by OID (PostgreDataTypeCache.resolveDataType)
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.oid=1700 

-- dbeaver: schema, one data type by name (PostgreDataTypeCache.resolveDataType)
SELECT t.oid,t.*,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname='bpchar' 

-- dbeaver: schema, sequences (PostgreSchema.TableCache: relkind S)
-- rows
SELECT c.relname,c.relkind FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=:public_oid AND c.relkind = 'S'

-- dbeaver: sequence, properties (PostgreSequence.loadAdditionalInfo)
-- rows
SELECT * from pg_catalog.pg_sequences WHERE schemaname='public' AND sequencename='lineitem_seq'

-- dbeaver: schema, table inheritance (PostgreSchema.cacheTableInheritance)
-- rows
SELECT i.inhrelid relid, pc.relnamespace parent_ns, pc.oid parent_oid, i.inhseqno
FROM pg_catalog.pg_inherits i, pg_class rc, pg_class pc
WHERE rc.oid=i.inhrelid AND rc.relnamespace=:public_oid AND pc.oid=i.inhparent

-- dbeaver: table, super tables (PostgreTable.getSuperInheritance)
-- rows
SELECT i.*,c.relnamespace FROM pg_catalog.pg_inherits i,pg_catalog.pg_class c WHERE i.inhrelid=:lineitem_oid AND c.oid=i.inhparent ORDER BY i.inhseqno

-- dbeaver: table, sub tables (PostgreTable.getSubInheritance)
-- rows
SELECT i.*,c.relnamespace FROM pg_catalog.pg_inherits i,pg_catalog.pg_class c WHERE i.inhparent=:lineitem_oid AND c.oid=i.inhrelid

-- dbeaver: schema, extensions in the schema (PostgreSchema.ExtensionCache)
SELECT 
 e.oid,
 cfg.tbls,
 e.* 
FROM 
 pg_catalog.pg_extension e 
 join pg_namespace n on n.oid =e.extnamespace
 left join  (
         select
            ARRAY_AGG(ns.nspname || '.' ||  cls.relname) tbls, oid_ext
          from
            (
            select
                unnest(e1.extconfig) oid , e1.oid oid_ext
            from
                pg_catalog.pg_extension e1 ) c 
                join    pg_class cls on cls.oid = c.oid 
                join pg_namespace ns on ns.oid = cls.relnamespace
            group by oid_ext        
         ) cfg on cfg.oid_ext = e.oid
WHERE e.extnamespace=:public_oid
ORDER BY e.oid

-- dbeaver: schema, default privileges (PostgreSchema.readDefaultPrivileges)
-- rows
SELECT * FROM pg_default_acl WHERE defaclnamespace = :public_oid

-- dbeaver: schema, relation sizes for the statistics column (PostgreSchema.collectObjectStatistics)
select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size
FROM pg_class c
WHERE c.relnamespace=:public_oid

-- dbeaver: table, statistics tab (PostgreTableReal.readTableStats)
select pg_catalog.pg_total_relation_size(:lineitem_oid) as total_rel_size,pg_catalog.pg_relation_size(:lineitem_oid) as rel_size

-- dbeaver: table, triggers (PostgreTableReal.TriggerCache)
-- rows
SELECT x.oid,x.*,p.pronamespace as func_schema_id,d.description
FROM pg_catalog.pg_trigger x
LEFT OUTER JOIN pg_catalog.pg_proc p ON p.oid=x.tgfoid 
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=x.oid AND d.objsubid=0 
WHERE x.tgrelid = :lineitem_oid AND NOT x.tgisinternal

-- dbeaver: table, rules (PostgreTableReal.RuleCache)
-- rows
SELECT r.oid,r.*, pg_get_ruledef(r.oid) AS definition
FROM pg_rewrite r
WHERE r.ev_class=:lineitem_oid AND r.rulename <> '_RETURN'::name

-- dbeaver: table, policies (PostgreTable.PolicyCache)
-- rows
select * from pg_catalog.pg_policies where schemaname='public' and tablename='lineitem'

-- dbeaver: table, dependencies (PostgreDependency.readDependencies)
-- rows
SELECT DISTINCT dep.deptype, dep.classid, dep.objid, cl.relkind, attr.attname,pg_get_expr(ad.adbin, ad.adrelid) adefval,
    CASE WHEN cl.relkind IS NOT NULL THEN cl.relkind::text || COALESCE(dep.objsubid::text, '')::text
        WHEN tg.oid IS NOT NULL THEN 'T'::text
        WHEN ty.oid IS NOT NULL THEN 'y'::text
        WHEN ns.oid IS NOT NULL THEN 'n'::text
        WHEN pr.oid IS NOT NULL THEN 'p'::text
        WHEN la.oid IS NOT NULL THEN 'l'::text
        WHEN rw.oid IS NOT NULL THEN 'R'::text
        WHEN co.oid IS NOT NULL THEN 'C'::text || contype::text
        WHEN ad.oid IS NOT NULL THEN 'A'::text
        ELSE ''
    END AS type,
    COALESCE(coc.relname, clrw.relname, tgr.relname) AS ownertable,
    CASE WHEN cl.relname IS NOT NULL AND att.attname IS NOT NULL THEN cl.relname || '.' || att.attname
    ELSE COALESCE(cl.relname, co.conname, pr.proname, tg.tgname, ty.typname, la.lanname, rw.rulename, ns.nspname)
    END AS refname,
    COALESCE(nsc.nspname, nso.nspname, nsp.nspname, nst.nspname, nsrw.nspname, tgrn.nspname) AS nspname
FROM pg_depend dep
LEFT JOIN pg_class cl ON dep.objid=cl.oid
LEFT JOIN pg_attribute att ON dep.objid=att.attrelid AND dep.objsubid=att.attnum
LEFT JOIN pg_namespace nsc ON cl.relnamespace=nsc.oid
LEFT JOIN pg_proc pr ON dep.objid=pr.oid
LEFT JOIN pg_namespace nsp ON pr.pronamespace=nsp.oid
LEFT JOIN pg_trigger tg ON dep.objid=tg.oid
LEFT JOIN pg_class tgr ON tg.tgrelid=tgr.oid
LEFT JOIN pg_namespace tgrn ON tgr.relnamespace=tgrn.oid
LEFT JOIN pg_type ty ON dep.objid=ty.oid
LEFT JOIN pg_namespace nst ON ty.typnamespace=nst.oid
LEFT JOIN pg_constraint co ON dep.objid=co.oid
LEFT JOIN pg_class coc ON co.conrelid=coc.oid
LEFT JOIN pg_namespace nso ON co.connamespace=nso.oid
LEFT JOIN pg_rewrite rw ON dep.objid=rw.oid
LEFT JOIN pg_class clrw ON clrw.oid=rw.ev_class
LEFT JOIN pg_namespace nsrw ON clrw.relnamespace=nsrw.oid
LEFT JOIN pg_language la ON dep.objid=la.oid
LEFT JOIN pg_namespace ns ON dep.objid=ns.oid
LEFT JOIN pg_attrdef ad ON ad.oid=dep.objid
LEFT JOIN pg_attribute attr ON attr.attrelid=ad.adrelid and attr.attnum=ad.adnum
WHERE dep.refobjid=:lineitem_oid
ORDER BY type

-- dbeaver: table DDL, primary key definition (PostgreTableConstraintBase.getObjectDefinitionText)
-- rows
SELECT pg_catalog.pg_get_constraintdef(:lineitem_pkey_conoid)

-- dbeaver: table DDL, index definition (PostgreIndex.getObjectDefinitionText)
-- rows
SELECT pg_catalog.pg_get_indexdef(:lineitem_pkey_oid)

-- dbeaver: table DDL, table comment (PostgreUtils.getObjectComment)
-- rows
select description from pg_catalog.pg_description
join pg_catalog.pg_class on pg_description.objoid = pg_class.oid
join pg_catalog.pg_namespace on pg_class.relnamespace = pg_namespace.oid
where pg_class.relname = 'lineitem' and pg_namespace.nspname='public'

-- dbeaver: view, definition (PostgreViewBase.readSource)
SELECT pg_get_viewdef(:revenue_oid, true)

-- dbeaver: view, columns (PostgreSchema.TableCache children of the view)
-- rows
SELECT c.relname,a.attname,a.attnum,a.atttypid,a.atttypmod,a.attnotnull,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=:revenue_oid
ORDER BY a.attnum

-- dbeaver: role, table privileges (PostgreRole.getPermissions)
SELECT * FROM information_schema.table_privileges WHERE table_catalog=:'dbname' AND grantee='PUBLIC'

-- dbeaver: role, routine privileges (PostgreRole.getPermissions)
SELECT * FROM information_schema.routine_privileges WHERE specific_catalog=:'dbname' AND grantee='PUBLIC'

-- dbeaver: read data, open the table's data tab (JDBCTable.readData)
-- rows
SELECT * FROM public.nation

-- dbeaver: read data, with a filter and an ordering (JDBCTable.readData)
-- rows
SELECT x.* FROM public.nation x
WHERE x.n_regionkey = 1 ORDER BY x.n_name

-- dbeaver: read data, a large table (JDBCTable.readData)
-- rows
SELECT * FROM public.lineitem

-- dbeaver: read data, count the rows (JDBCTable.countData)
-- rows
SELECT COUNT(*) FROM public.nation

-- dbeaver: SQL editor, count a query's rows (SQLQueryTransformerCount)
-- rows
SELECT COUNT(*) FROM (SELECT * FROM public.nation
) dbvrcnt
