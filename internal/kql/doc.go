// Package kql is drydock's query engine: a subset of the Kusto Query
// Language (KQL) with Kusto's semantics, run over tables that the caller
// provides. It has no storage of its own and imports nothing of drydock's.
//
// # Usage
//
// A caller builds a [Catalog] of [Table]s for one identity and runs a query:
//
//	res, err := kql.Run(ctx, `findings | where severity == "Critical" | summarize count() by repository`,
//		catalog, kql.Limits{Timeout: 10 * time.Second})
//
// [Handler] serves the same over HTTP (POST {"query": ...}); [WriteJSON],
// [WriteCSV] and [WriteTable] render a [Result]; [DecodeResult] reads the
// JSON form back.
//
// # Tenancy
//
// The engine reads data only through the Catalog it is given: there is no
// cluster(), database(), external data or any other way to name data, and
// join, union and in (subquery) only reach tables of the same Catalog. The
// caller builds the Catalog per request, with every table already limited
// to the rows the caller may see (for a SQL-backed table: a WHERE on the
// subscription column in the table's own Scan). No query can widen that.
//
// # Tables and pushdown
//
// A [Table] has a name, a fixed schema ([Column]s with a [Type]) and a Scan
// that returns a [RowIter]. Scan receives a [Pushdown]: the `column ==
// literal` (and `=~`) conjuncts of the where operators that directly follow
// the table. A table may use them to read less (an index lookup, a SQL
// WHERE); the engine applies the filters again, so ignoring them is correct.
//
// # Values
//
// A [Value] is null, a bool, long, real, string, datetime, timespan, or a
// dynamic array or property bag. Kusto rules apply: strings are never null
// (the empty string plays that role); comparisons with null are null
// (null == null is null, x == null is false, x != null true) and where drops
// rows whose condition is null; and/or use three-valued logic; a dynamic
// value compared with a typed value is converted to that type (a dynamic
// string compared with ago(1h) is parsed as a datetime); conversions that
// fail give null, never an error. Datetimes and timespans have 100 ns
// ticks. Property bags keep their key order.
//
// # Names
//
// Unnamed columns are named as Kusto names them: a column reference keeps
// its name, a dynamic path its parts joined by '_' (properties.a.b becomes
// properties_a_b), conversions take their argument's name (tostring(x) is
// x), aggregations a prefix (count_, dcount_x, sum_x, list_x, set_x, bag_x),
// other expressions Column1, Column2, ... An extend of an existing name
// replaces that column in place; right-side join columns whose names are
// taken get a number (name1).
//
// # Language
//
// Statements: let name = scalar | (query); one query. Sources: a table,
// (query), union, print, datatable. Operators: where (filter), extend,
// project, project-away, project-keep, project-rename, project-reorder,
// summarize ... by, join kind=inner|innerunique (the default)|leftouter|
// rightouter|fullouter|leftsemi|leftanti|rightsemi|rightanti on col or
// $left.a == $right.b, mv-expand (and mvexpand, with kind=, with_itemindex=,
// to typeof(), limit), distinct, parse (kind=simple|regex|relaxed), order
// by / sort by (asc|desc, nulls first|last), top, take / limit, count,
// union (kind=, withsource=), getschema, and render (accepted and ignored:
// the API returns data, not charts).
//
// Scalar operators: and or; == != <> < <= > >=; =~ !~; contains has
// startswith endswith hasprefix hassuffix (each with a _cs form and a !
// negation); matches regex; in !in in~ !in~ (lists, dynamic arrays or a
// subquery); has_any has_all; between !between; + - * / %; access a.b,
// a["k"], a[0], a[-1], a.[6]. Literals: 'x' "x" @"x" h"x" ```x```, numbers,
// true/false, datetime(...), timespans (1h, 30d, 100ms, time(1.02:03:04)),
// typed literals (long(null), real(nan)), dynamic([...]) and dynamic({...}).
//
// Scalar functions: see scalarFuncs in funcs.go (the list in one place),
// plus toscalar(query), which runs once before the query like in (query).
// Not supported: user-defined functions (let f = (x:long) {...}),
// materialize(), evaluate plugins, make-series, top-nested, search, the
// time-series and geo functions, and the guid and decimal types.
// Aggregations: count, countif, dcount, dcountif, sum, sumif, avg, avgif,
// min, max, minif, maxif, make_list(_if), make_set(_if), make_bag(_if),
// arg_max, arg_min, take_any. dcount is exact (Kusto estimates).
//
// # Limits
//
// [Limits] bound the time of a query (ErrTimeout), the size of its result
// (ErrRowLimit) and the memory held by operators that keep rows: summarize,
// join (its right side), sort, top (only N rows), distinct, dcount, make_*,
// in (subquery) (ErrMemoryLimit). where, extend, project, mv-expand, parse,
// union and take stream. One value a function builds (strcat, strcat_delim,
// strcat_array, replace_string, split, tostring of a dynamic value) is at
// most 16 MiB, also ErrMemoryLimit: chained calls would otherwise grow a
// value geometrically before any operator holds it.
package kql
