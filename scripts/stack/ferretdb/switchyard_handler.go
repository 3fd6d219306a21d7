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

	qp.SwitchyardSortField = key
	qp.SwitchyardSortDesc = desc
	qp.SwitchyardLimit = params.Limit
	qp.SwitchyardSkip = params.Skip
}

// switchyardSkipped drops the skip from a find's parameters once the backend has applied it in SQL.
func switchyardSkipped(res *backends.QueryResult, params *common.FindParams) *common.FindParams {
	if !res.SwitchyardSkipped {
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

// switchyardAggregateCount answers the pipeline the MongoDB drivers send for countDocuments,
// [{$match: filter}, {$group: {_id: <constant>, n: {$sum: 1}}}], with a count the backend makes in SQL.
// counted is false when the pipeline has another shape or the backend cannot apply the filter exactly.
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
	switch id := id.(type) {
	case int32, int64, float64, types.NullType:
	case string:
		if strings.HasPrefix(id, "$") {
			return nil, false, nil
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
	cqp.SwitchyardCount = true

	res, err := c.Query(ctx, &cqp)
	if err != nil {
		return nil, false, lazyerrors.Error(err)
	}

	res.Iter.Close()

	if !res.SwitchyardCounted {
		return nil, false, nil
	}

	var docs []*types.Document

	if res.SwitchyardN > 0 {
		var n any = res.SwitchyardN
		if res.SwitchyardN <= math.MaxInt32 {
			n = int32(res.SwitchyardN)
		}

		doc, err := types.NewDocument("_id", id, name, n)
		if err != nil {
			return nil, false, lazyerrors.Error(err)
		}

		docs = append(docs, doc)
	}

	return iterator.Values(iterator.ForSlice(docs)), true, nil
}
