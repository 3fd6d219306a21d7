// Switchyard's addition to FerretDB's SQLite metadata package, copied into internal/backends/sqlite/metadata/
// by scripts/stack/install.sh before the local build (the dev stack only: production runs MongoDB).
//
// FerretDB 1.24 builds an index on a field's JSON text (_ferretdb_sjson->"field"), which orders numbers and
// dates (milliseconds in sjson) as text. Switchyard's build indexes every field but _id on its SQL value
// (->>), which orders them as MongoDB does and lets switchyard_pushdown.go filter, count and sort through the
// index. _id keeps FerretDB's own expression, which its _id lookups use.

package metadata

import "strings"

// SwitchyardIndexExpr is the SQL expression an index on a field path is built on; filters and sorts that
// should use the index must write the field the same way.
func SwitchyardIndexExpr(field string) string {
	if field == "_id" {
		return DefaultColumn + `->"_id"`
	}

	parts := strings.Split(field, ".")
	expr := DefaultColumn

	for i, p := range parts {
		op := "->"
		if i == len(parts)-1 {
			op = "->>"
		}

		expr += op + "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}

	return expr
}
