// Switchyard's addition to FerretDB's handler, copied into internal/handler/ by scripts/stack/install.sh
// before the local build (the dev stack only). It hands the SQLite backend what it needs to count, sort and
// limit in SQL (switchyard_pushdown.go); the backend does so only when it applies the whole filter exactly,
// and otherwise ignores the hints, so the handler's own filtering, sorting and counting stay as they were.

package handler

import (
	"context"
	"math"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
)

// switchyardFindHint passes a find's single-field sort, limit and skip on to the backend, unless the handler
// removed part of the filter (dot notation) before the backend sees it.
func switchyardFindHint(qp *backends.QueryParams, params *common.FindParams) {
	if params.Sort.Len() != 1 || params.Limit <= 0 || params.Skip < 0 || qp.Filter.Len() != params.Filter.Len() {
		return
	}

	key := params.Sort.Keys()[0]
	if strings.HasPrefix(key, "$") || strings.ContainsRune(key, '.') {
		return
	}

	v, _ := params.Sort.Get(key)

	var desc bool

	switch v := v.(type) {
	case int64:
		desc = v < 0
	case int32:
		desc = v < 0
	case float64:
		desc = v < 0
	default:
		return
	}

	qp.Switchyard = backends.SwitchyardHints{SortField: key, SortDesc: desc, Limit: params.Limit, Skip: params.Skip}
}

// switchyardSkipped drops the skip from a find's parameters once the backend has applied it in SQL.
func switchyardSkipped(res *backends.QueryResult, params *common.FindParams) *common.FindParams {
	if !res.Switchyard.Skipped {
		return params
	}

	p := *params
	p.Skip = 0

	return &p
}

// switchyardIsOne reports whether v is the number 1.
func switchyardIsOne(v any) bool {
	switch v := v.(type) {
	case int32:
		return v == 1
	case int64:
		return v == 1
	case float64:
		return v == 1
	default:
		return false
	}
}

// switchyardAggregateCount answers the pipelines the stores send to count, with counts the backend makes in
// SQL: [{$match: filter}, {$group: {_id: <constant>, n: {$sum: 1}}}] (what the MongoDB drivers send for
// countDocuments) and [{$match: filter}, {$group: {_id: "$field", n: {$sum: 1}}}] (counts per value).
// counted is false when the pipeline has another shape or the backend cannot answer it exactly.
func switchyardAggregateCount(
	ctx context.Context, c backends.Collection, qp *backends.QueryParams, stagesDocuments []any,
) (iter iterator.Interface[struct{}, *types.Document], counted bool, err error) {
	if len(stagesDocuments) != 2 {
		return nil, false, nil
	}

	matchStage, ok := stagesDocuments[0].(*types.Document)
	groupStage, ok2 := stagesDocuments[1].(*types.Document)

	if !ok || !ok2 || matchStage.Len() != 1 || groupStage.Len() != 1 {
		return nil, false, nil
	}

	mv, _ := matchStage.Get("$match")
	gv, _ := groupStage.Get("$group")
	match, ok := mv.(*types.Document)
	group, ok2 := gv.(*types.Document)

	if !ok || !ok2 || qp.Filter.Len() != match.Len() || group.Len() != 2 || group.Keys()[0] != "_id" {
		return nil, false, nil
	}

	id, _ := group.Get("_id")
	groupField := ""

	switch id := id.(type) {
	case int32, int64, float64, types.NullType:
	case string:
		if strings.HasPrefix(id, "$") {
			groupField = strings.TrimPrefix(id, "$")
			if groupField == "" || strings.HasPrefix(groupField, "$") {
				return nil, false, nil
			}
		}
	default:
		return nil, false, nil
	}

	name := group.Keys()[1]
	av, _ := group.Get(name)
	acc, ok := av.(*types.Document)

	if !ok || acc.Len() != 1 || acc.Keys()[0] != "$sum" {
		return nil, false, nil
	}

	if one, _ := acc.Get("$sum"); !switchyardIsOne(one) {
		return nil, false, nil
	}

	cqp := *qp
	cqp.Switchyard = backends.SwitchyardHints{Count: true, GroupField: groupField}

	res, err := c.Query(ctx, &cqp)
	if err != nil {
		return nil, false, lazyerrors.Error(err)
	}

	res.Iter.Close()

	if !res.Switchyard.Counted {
		return nil, false, nil
	}

	groups := res.Switchyard.Groups
	if groupField == "" {
		groups = nil
		if res.Switchyard.N > 0 {
			groups = []backends.SwitchyardGroup{{Key: id, N: res.Switchyard.N}}
		}
	}

	docs := make([]*types.Document, 0, len(groups))

	for _, g := range groups {
		var n any = g.N
		if g.N <= math.MaxInt32 {
			n = int32(g.N)
		}

		doc, err := types.NewDocument("_id", g.Key, name, n)
		if err != nil {
			return nil, false, lazyerrors.Error(err)
		}

		docs = append(docs, doc)
	}

	return iterator.Values(iterator.ForSlice(docs)), true, nil
}
