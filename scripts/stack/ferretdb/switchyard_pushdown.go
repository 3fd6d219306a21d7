// Switchyard's addition to FerretDB's SQLite backend, copied into internal/backends/sqlite/ by
// scripts/stack/install.sh before the local build (the dev stack only: production runs MongoDB). Its other
// halves are switchyard_index.go (how indexes are built), switchyard_backends.go (the hint types) and
// switchyard_handler.go (the handler's hints).
//
// FerretDB 1.24 pushes only a bare {_id: v} filter down to SQLite; every other filter, count and sorted page
// reads and decodes the whole table in Go (about 20 µs a document here). This pushes down conditions on field
// paths that are part of one of the collection's indexes (or _id): equality, $in, $gt/$gte/$lt/$lte and null on
// strings, numbers, booleans and dates, and $and/$or of such conditions, written the way the index is built
// (->> values), so SQLite searches the index. Numbers, booleans and dates are checked against the type sjson
// records for the field (sjson keeps dates as milliseconds and booleans compare as 0 and 1), so each condition
// selects exactly the documents MongoDB's does; strings need no check. Indexed fields are assumed to hold
// scalars of one type (an array holding the value would be missed, a string field holding ObjectIds or
// binary data would match their text), which holds for every index Switchyard creates.
//
// The handler still applies the whole filter to the rows that come back, so a condition that cannot be
// pushed down only makes the pushed part a superset. When the pushed clause is the whole filter (exact), a
// count is a SELECT count(*) (grouped by a string field, when asked), and a find sorted on one indexed field
// with a limit gets ORDER BY, LIMIT and OFFSET in SQL.

package sqlite

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/fsql"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
)

// switchyardPlainPath is a field path of plain names (no array positions, no operators).
var switchyardPlainPath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// switchyardIndexed reports whether field is a plain path that is part of one of the collection's indexes.
func switchyardIndexed(meta *metadata.Collection, field string) bool {
	if field == "_id" || !switchyardPlainPath.MatchString(field) {
		return false
	}

	for _, index := range meta.Settings.Indexes {
		for _, k := range index.Key {
			if k.Field == field {
				return true
			}
		}
	}

	return false
}

// switchyardTypeExpr is the sjson type recorded for a field path (NULL when the field is missing).
func switchyardTypeExpr(field string) string {
	path := "$"
	for _, p := range strings.Split(field, ".") {
		path += `."$s".p."` + p + `"`
	}

	return metadata.DefaultColumn + "->>'" + path + ".t'"
}

var (
	switchyardNumberTypes = []string{"int", "long", "double"}
	switchyardBoolTypes   = []string{"bool"}
	switchyardDateTypes   = []string{"date"}
)

// switchyardValue is a filter value as SQL compares it with a field's ->> value, and the sjson types a
// matching field must have (none to check for strings: ->> gives text only for them).
func switchyardValue(v any) (arg any, guard []string, ok bool) {
	switch v := v.(type) {
	case string:
		return v, nil, true
	case bool:
		if v {
			return int64(1), switchyardBoolTypes, true
		}

		return int64(0), switchyardBoolTypes, true
	case int32:
		return int64(v), switchyardNumberTypes, true
	case int64:
		if v > 1<<53 || v < -(1<<53) {
			return nil, nil, false
		}

		return v, switchyardNumberTypes, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, false
		}

		return v, switchyardNumberTypes, true
	case time.Time:
		return v.UnixMilli(), switchyardDateTypes, true
	default:
		return nil, nil, false
	}
}

// switchyardGuarded adds the type check to a condition on field.
func switchyardGuarded(cond, field string, guard []string) string {
	if len(guard) == 0 {
		return cond
	}

	return "(" + cond + " AND " + switchyardTypeExpr(field) + " IN ('" + strings.Join(guard, "', '") + "'))"
}

// switchyardIDValue is an _id filter value as FerretDB's own _id index holds it (sjson text). Numbers are
// written the same whatever their type (1, int64(1) and 1.0 are all `1`), as MongoDB compares them, within
// the range where that holds exactly.
func switchyardIDValue(v any) (string, bool) {
	switch n := v.(type) {
	case int32:
	case int64:
		if n > 1<<53 || n < -(1<<53) {
			return "", false
		}
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) || n > 1<<53 || n < -(1<<53) || n == 0 {
			return "", false
		}
	}

	switch v.(type) {
	case string, types.ObjectID, int32, int64, float64:
		b, err := sjson.MarshalSingleValue(v)
		if err != nil {
			return "", false
		}

		return string(b), true
	default:
		return "", false
	}
}

// switchyardPlaceholders is "?, ?, …" for n arguments.
func switchyardPlaceholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// switchyardWhere returns a WHERE clause and its arguments for the pushable part of filter (ok is false when
// no part of it can be pushed down), and whether that clause is the whole filter (exact).
func switchyardWhere(meta *metadata.Collection, filter *types.Document) (where string, args []any, ok, exact bool) {
	if meta == nil || filter.Len() == 0 {
		return "", nil, false, filter.Len() == 0
	}

	conds, args, exact := switchyardConds(meta, filter)
	if len(conds) == 0 {
		return "", nil, false, false
	}

	return " WHERE " + strings.Join(conds, " AND "), args, true, exact
}

// switchyardConds returns the conditions of a filter document's top-level AND that can be pushed down.
func switchyardConds(meta *metadata.Collection, filter *types.Document) (conds []string, args []any, exact bool) {
	exact = true

	iter := filter.Iterator()
	defer iter.Close()

	for {
		key, value, err := iter.Next()
		if err != nil {
			if errors.Is(err, iterator.ErrIteratorDone) {
				break
			}

			return nil, nil, false
		}

		var c []string
		var a []any
		var e bool

		switch {
		case key == "_id":
			c, a, e = switchyardIDConds(value)
		case key == "$and" || key == "$or":
			c, a, e = switchyardLogical(meta, key, value)
		case switchyardIndexed(meta, key):
			c, a, e = switchyardFieldConds(key, value)
		}

		conds = append(conds, c...)
		args = append(args, a...)
		exact = exact && e
	}

	return conds, args, exact
}

// switchyardLogical pushes down $and (each branch's pushable part) and $or (only when every branch is
// pushed down exactly: a partial branch would drop documents).
func switchyardLogical(meta *metadata.Collection, op string, value any) (conds []string, args []any, exact bool) {
	list, ok := value.(*types.Array)
	if !ok || list.Len() == 0 {
		return nil, nil, false
	}

	var branches []string

	exact = true

	for i := 0; i < list.Len(); i++ {
		el, _ := list.Get(i)

		doc, ok := el.(*types.Document)
		if !ok {
			return nil, nil, false
		}

		c, a, e := switchyardConds(meta, doc)
		if op == "$or" && (!e || len(c) == 0) {
			return nil, nil, false
		}

		exact = exact && e

		if len(c) == 0 {
			continue
		}

		branches = append(branches, "("+strings.Join(c, " AND ")+")")
		args = append(args, a...)
	}

	if len(branches) == 0 {
		return nil, nil, false
	}

	joiner := " AND "
	if op == "$or" {
		joiner = " OR "
	}

	return []string{"(" + strings.Join(branches, joiner) + ")"}, args, exact
}

// switchyardIDConds pushes down equality and $in on _id as FerretDB's _id lookup does.
func switchyardIDConds(value any) (conds []string, args []any, exact bool) {
	column := metadata.IDColumn

	if text, ok := switchyardIDValue(value); ok {
		return []string{column + " = ?"}, []any{text}, true
	}

	ops, ok := value.(*types.Document)
	if !ok || ops.Len() != 1 || ops.Keys()[0] != "$in" {
		return nil, nil, false
	}

	arr, _ := ops.Get("$in")

	list, ok := arr.(*types.Array)
	if !ok || list.Len() == 0 {
		return nil, nil, false
	}

	for i := 0; i < list.Len(); i++ {
		el, _ := list.Get(i)

		text, ok := switchyardIDValue(el)
		if !ok {
			return nil, nil, false
		}

		args = append(args, text)
	}

	return []string{column + " IN (" + switchyardPlaceholders(len(args)) + ")"}, args, true
}

// switchyardEq is the condition "field equals one of values" (null: missing or null), or false when a value
// cannot be pushed down.
func switchyardEq(field string, values []any) (string, []any, bool) {
	column := metadata.SwitchyardIndexExpr(field)

	// Values that need the same type check go in one IN.
	byGuard := map[string][]any{}
	guards := map[string][]string{}

	var order []string

	null := false

	for _, v := range values {
		if _, isNull := v.(types.NullType); isNull {
			null = true
			continue
		}

		arg, guard, ok := switchyardValue(v)
		if !ok {
			return "", nil, false
		}

		k := strings.Join(guard, ",")
		if _, seen := byGuard[k]; !seen {
			order = append(order, k)
		}

		byGuard[k] = append(byGuard[k], arg)
		guards[k] = guard
	}

	var parts []string
	var args []any

	for _, k := range order {
		in := byGuard[k]
		cond := column + " = ?"

		if len(in) > 1 {
			cond = column + " IN (" + switchyardPlaceholders(len(in)) + ")"
		}

		parts = append(parts, switchyardGuarded(cond, field, guards[k]))
		args = append(args, in...)
	}

	if null {
		parts = append(parts, column+" IS NULL")
	}

	if len(parts) == 1 {
		return parts[0], args, true
	}

	return "(" + strings.Join(parts, " OR ") + ")", args, true
}

// switchyardFieldConds pushes down what it can of one indexed field's condition.
func switchyardFieldConds(field string, value any) (conds []string, args []any, exact bool) {
	ops, isOps := value.(*types.Document)
	if !isOps || ops.Len() == 0 || !strings.HasPrefix(ops.Keys()[0], "$") {
		if c, a, ok := switchyardEq(field, []any{value}); ok {
			return []string{c}, a, true
		}

		return nil, nil, false
	}

	exact = true

	for _, op := range ops.Keys() {
		v, _ := ops.Get(op)

		switch op {
		case "$eq":
			if c, a, ok := switchyardEq(field, []any{v}); ok {
				conds = append(conds, c)
				args = append(args, a...)

				continue
			}

		case "$in":
			if list, ok := v.(*types.Array); ok && list.Len() > 0 {
				values := make([]any, 0, list.Len())
				for i := 0; i < list.Len(); i++ {
					el, _ := list.Get(i)
					values = append(values, el)
				}

				if c, a, ok := switchyardEq(field, values); ok {
					conds = append(conds, c)
					args = append(args, a...)

					continue
				}
			}

		case "$gt", "$gte", "$lt", "$lte":
			// Strings compare byte by byte in both; numbers, dates and booleans as numbers once their type is
			// checked.
			if arg, guard, ok := switchyardValue(v); ok {
				sqlOp := map[string]string{"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}[op]
				cond := metadata.SwitchyardIndexExpr(field) + " " + sqlOp + " ?"

				if len(guard) == 0 {
					// Only text compares with text: numbers (and NULL) never satisfy a string range in SQL.
					cond = "(" + cond + " AND typeof(" + metadata.SwitchyardIndexExpr(field) + ") = 'text')"
				}

				conds = append(conds, switchyardGuarded(cond, field, guard))
				args = append(args, arg)

				continue
			}
		}

		exact = false
	}

	return conds, args, exact
}

// switchyardOrderBy returns ORDER BY ... LIMIT ... OFFSET for a find whose single-field sort, limit and skip the
// handler passed on, when the filter was applied exactly and the sort field is indexed (so it holds scalars of
// one type). ->> values compare as MongoDB orders scalars of one type (numbers and dates as numbers, strings
// byte by byte), null and missing first; rows that tie come in index order, which the handler's stable sort
// keeps.
func switchyardOrderBy(meta *metadata.Collection, params *backends.QueryParams, exact bool) (string, []any, bool) {
	h := params.Switchyard
	if !exact || h.Limit <= 0 || h.Count || meta.Capped() || params.Sort.Len() != 0 || !switchyardIndexed(meta, h.SortField) {
		return "", nil, false
	}

	order := ""
	if h.SortDesc {
		order = " DESC"
	}

	return " ORDER BY " + metadata.SwitchyardIndexExpr(h.SortField) + order + " LIMIT ? OFFSET ?", []any{h.Limit, h.Skip}, true
}

// switchyardExact reports whether switchyardWhere applies the whole filter.
func switchyardExact(meta *metadata.Collection, filter *types.Document) bool {
	_, _, _, exact := switchyardWhere(meta, filter)
	return exact
}

// switchyardCount counts the matching rows in SQL (grouped by a field whose values are strings, when asked)
// when the handler asked for a count and the filter can be applied exactly; otherwise the caller queries as
// usual.
func switchyardCount(ctx context.Context, db *fsql.DB, meta *metadata.Collection, params *backends.QueryParams) (*backends.QueryResult, bool, error) {
	h := params.Switchyard
	if !h.Count {
		return nil, false, nil
	}

	where, args, _, exact := switchyardWhere(meta, params.Filter)
	if !exact || (h.GroupField != "" && !switchyardIndexed(meta, h.GroupField)) {
		return nil, false, nil
	}

	table := `"` + strings.ReplaceAll(meta.TableName, `"`, `""`) + `"`
	// The (empty) iterator is made last: one that is never closed would panic if FerretDB tracked its resources (install.sh turns that off).
	var answer backends.SwitchyardAnswer

	answer.Counted = true
	done := func() (*backends.QueryResult, bool, error) {
		return &backends.QueryResult{Iter: newQueryIterator(ctx, nil, false), Switchyard: answer}, true, nil
	}

	if h.GroupField == "" {
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+where, args...).Scan(&answer.N); err != nil {
			return nil, false, lazyerrors.Error(err)
		}

		return done()
	}

	column := metadata.SwitchyardIndexExpr(h.GroupField)
	q := `SELECT ` + column + `, ` + switchyardTypeExpr(h.GroupField) + `, count(*) FROM ` + table + where + ` GROUP BY 1, 2`

	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, lazyerrors.Error(err)
	}
	defer rows.Close()

	var nulls int64

	for rows.Next() {
		var key, typ *string
		var n int64

		if err := rows.Scan(&key, &typ, &n); err != nil {
			return nil, false, lazyerrors.Error(err)
		}

		switch {
		case typ == nil || *typ == "null":
			nulls += n
		case *typ == "string" && key != nil:
			answer.Groups = append(answer.Groups, backends.SwitchyardGroup{Key: *key, N: n})
		default:
			// Grouping other types would need their BSON type back: the handler groups these itself.
			return nil, false, nil
		}
	}

	if err := rows.Err(); err != nil {
		return nil, false, lazyerrors.Error(err)
	}

	if nulls > 0 {
		answer.Groups = append(answer.Groups, backends.SwitchyardGroup{Key: types.Null, N: nulls})
	}

	return done()
}
