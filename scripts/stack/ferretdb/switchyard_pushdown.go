// Switchyard's addition to FerretDB's SQLite backend, copied into internal/backends/sqlite/ by
// scripts/stack/install.sh before the local build (the dev stack only: production runs MongoDB). Its other
// halves are switchyard_index.go (how indexes are built) and switchyard_handler.go (the handler's hints).
//
// FerretDB 1.24 pushes only a bare {_id: v} filter down to SQLite; every other filter, count and sorted page
// reads and decodes the whole table in Go (about 20 µs a document here). This pushes down, for each field
// path that leads one of the collection's indexes, the conditions SQLite can check through that index:
// equality and $in on strings (exact), equality on numbers and booleans and ranges on numbers and dates
// (each a superset: sjson keeps dates as milliseconds and booleans compare as 0 and 1). The handler still
// applies the whole filter to the rows that come back, so each pushed condition only has to keep every
// matching document; each is a necessary part of the filter's top-level AND. Indexed fields are assumed to
// hold scalars (an array holding the value would be missed), which holds for every index Switchyard creates.
//
// When the pushed clause is the whole filter (exact), a count is a SELECT count(*) and a find sorted on one
// indexed field with a limit gets ORDER BY, LIMIT and OFFSET in SQL (the handler is told the skip is done, and
// still sorts and limits the rows it gets, so nothing changes but the work).

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

// switchyardIndexed reports whether field is a plain path that leads one of the collection's indexes.
func switchyardIndexed(meta *metadata.Collection, field string) bool {
	if !switchyardPlainPath.MatchString(field) {
		return false
	}

	for _, index := range meta.Settings.Indexes {
		if len(index.Key) > 0 && index.Key[0].Field == field {
			return true
		}
	}

	return false
}

// switchyardValue is a filter value as SQL compares it with a field's ->> value; exact says equality on it
// selects exactly the documents MongoDB's equality does.
func switchyardValue(v any) (arg any, exact, ok bool) {
	switch v := v.(type) {
	case string:
		return v, true, true
	case bool:
		if v {
			return int64(1), false, true
		}

		return int64(0), false, true
	case int32:
		return int64(v), false, true
	case int64:
		return v, false, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false, false
		}

		return v, false, true
	default:
		return nil, false, false
	}
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

// switchyardWhere returns a WHERE clause and its arguments for the pushable part of filter (ok is false when
// no part of it can be pushed down), and whether that clause is the whole filter (exact).
func switchyardWhere(meta *metadata.Collection, filter *types.Document) (where string, args []any, ok, exact bool) {
	if meta == nil || filter.Len() == 0 {
		return "", nil, false, filter.Len() == 0
	}

	var conds []string

	exact = true

	iter := filter.Iterator()
	defer iter.Close()

	for {
		key, value, err := iter.Next()
		if err != nil {
			if errors.Is(err, iterator.ErrIteratorDone) {
				break
			}

			return "", nil, false, false
		}

		var c []string
		var a []any
		var e bool

		if key == "_id" {
			c, a, e = switchyardIDConds(value)
		} else if switchyardIndexed(meta, key) {
			c, a, e = switchyardFieldConds(metadata.SwitchyardIndexExpr(key), value)
		}

		conds = append(conds, c...)
		args = append(args, a...)
		exact = exact && e
	}

	if len(conds) == 0 {
		return "", nil, false, false
	}

	return " WHERE " + strings.Join(conds, " AND "), args, true, exact
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

	return []string{column + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")"}, args, true
}

// switchyardFieldConds pushes down what it can of one indexed field's condition.
func switchyardFieldConds(column string, value any) (conds []string, args []any, exact bool) {
	if arg, e, ok := switchyardValue(value); ok {
		return []string{column + " = ?"}, []any{arg}, e
	}

	ops, ok := value.(*types.Document)
	if !ok || ops.Len() == 0 || !strings.HasPrefix(ops.Keys()[0], "$") {
		return nil, nil, false
	}

	exact = true

	for _, op := range ops.Keys() {
		v, _ := ops.Get(op)

		switch op {
		case "$eq":
			if arg, e, ok := switchyardValue(v); ok {
				conds = append(conds, column+" = ?")
				args = append(args, arg)
				exact = exact && e

				continue
			}

		case "$in":
			if list, ok := v.(*types.Array); ok && list.Len() > 0 {
				in := make([]any, 0, list.Len())
				allExact := true

				for i := 0; i < list.Len(); i++ {
					el, _ := list.Get(i)

					arg, e, ok := switchyardValue(el)
					if !ok {
						in = nil
						break
					}

					in = append(in, arg)
					allExact = allExact && e
				}

				if in != nil {
					conds = append(conds, column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(in)), ", ")+")")
					args = append(args, in...)
					exact = exact && allExact

					continue
				}
			}

		case "$gt", "$gte", "$lt", "$lte":
			var arg any

			switch v := v.(type) {
			case time.Time:
				arg = v.UnixMilli()
			case int32:
				arg = int64(v)
			case int64:
				arg = v
			case float64:
				if !math.IsNaN(v) {
					arg = v
				}
			}

			if arg != nil {
				sqlOp := map[string]string{"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}[op]
				conds = append(conds, column+" "+sqlOp+" ?")
				args = append(args, arg)
				exact = false

				continue
			}
		}

		exact = false
	}

	return conds, args, exact
}

// switchyardOrderBy returns ORDER BY ... LIMIT ... OFFSET for a find whose single-field sort, limit and skip the
// handler passed on, when the filter was applied exactly and the sort field leads an index (so it holds scalars).
// ->> values compare as MongoDB orders scalars of one type (numbers and dates as numbers, strings byte by
// byte), null and missing first; rows that tie come in index order, which the handler's stable sort keeps.
func switchyardOrderBy(meta *metadata.Collection, params *backends.QueryParams, exact bool) (string, []any, bool) {
	field := params.SwitchyardSortField
	if !exact || params.SwitchyardLimit <= 0 || field == "" || field == "_id" || meta.Capped() ||
		params.Sort.Len() != 0 || !switchyardIndexed(meta, field) {
		return "", nil, false
	}

	order := ""
	if params.SwitchyardSortDesc {
		order = " DESC"
	}

	return " ORDER BY " + metadata.SwitchyardIndexExpr(field) + order + " LIMIT ? OFFSET ?",
		[]any{params.SwitchyardLimit, params.SwitchyardSkip}, true
}

// switchyardExact reports whether switchyardWhere applies the whole filter.
func switchyardExact(meta *metadata.Collection, filter *types.Document) bool {
	_, _, _, exact := switchyardWhere(meta, filter)
	return exact
}

// switchyardCount counts the matching rows in SQLite when the handler asked for a count and the filter can be
// applied exactly; otherwise the caller queries as usual.
func switchyardCount(ctx context.Context, db *fsql.DB, meta *metadata.Collection, params *backends.QueryParams) (*backends.QueryResult, bool, error) {
	if !params.SwitchyardCount {
		return nil, false, nil
	}

	where, args, _, exact := switchyardWhere(meta, params.Filter)
	if !exact {
		return nil, false, nil
	}

	var n int64

	q := `SELECT count(*) FROM "` + strings.ReplaceAll(meta.TableName, `"`, `""`) + `"` + where
	if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return nil, false, lazyerrors.Error(err)
	}

	return &backends.QueryResult{
		Iter:              newQueryIterator(ctx, nil, false),
		SwitchyardCounted: true,
		SwitchyardN:       n,
	}, true, nil
}
