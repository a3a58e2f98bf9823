// Code generated from PostgreSQL 15.18's pg_proc (the names of Procs it has more than one function of); DO NOT EDIT.

package pgcat

// overloaded are the names of built-in functions PostgreSQL 15 overloads,
// whose regproc output it qualifies with pg_catalog (regprocout prints a
// name regprocin would not find uniquely that way).
var overloaded = map[string]bool{"abs": true, "array_agg": true, "array_position": true, "array_to_string": true, "avg": true, "btrim": true, "ceil": true, "ceiling": true, "char_length": true, "character_length": true, "count": true, "current_setting": true, "date_part": true, "date_trunc": true, "exp": true, "extract": true, "floor": true, "generate_series": true, "has_column_privilege": true, "has_database_privilege": true, "has_function_privilege": true, "has_schema_privilege": true, "has_table_privilege": true, "length": true, "ln": true, "log": true, "log10": true, "lower": true, "lpad": true, "ltrim": true, "max": true, "md5": true, "min": true, "mod": true, "obj_description": true, "octet_length": true, "pg_get_constraintdef": true, "pg_get_expr": true, "pg_get_indexdef": true, "pg_get_viewdef": true, "pg_relation_size": true, "pg_size_pretty": true, "position": true, "pow": true, "power": true, "round": true, "rpad": true, "rtrim": true, "sign": true, "sqrt": true, "string_agg": true, "substr": true, "substring": true, "sum": true, "to_char": true, "trunc": true, "unnest": true, "upper": true}
