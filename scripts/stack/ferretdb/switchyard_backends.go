// Switchyard's addition to FerretDB's backends package, copied into internal/backends/ by
// scripts/stack/install.sh before the local build (the dev stack only). QueryParams and QueryResult each get
// one field of these types (the hooks in install.sh); switchyard_handler.go fills the hints and the SQLite
// backend (switchyard_pushdown.go) answers them when it can, leaving the answer empty otherwise.

package backends

// SwitchyardHints is what the handler tells the backend beyond FerretDB's own query parameters.
type SwitchyardHints struct {
	// SortField, SortDesc, Limit and Skip: a find's single-field sort and its page.
	SortField string
	SortDesc  bool
	Limit     int64
	Skip      int64

	// Count asks for the number of matching documents instead of the documents, grouped by GroupField
	// when it is set.
	Count      bool
	GroupField string
}

// SwitchyardGroup is one group of a grouped count; Key is nil for documents without the field or with null.
type SwitchyardGroup struct {
	Key any
	N   int64
}

// SwitchyardAnswer says which hints the backend applied.
type SwitchyardAnswer struct {
	// Skipped: the rows are sorted and paged in SQL (Skip applied, Limit applied).
	Skipped bool

	// Counted: N (or Groups, for a grouped count) holds the answer and Iter is empty.
	Counted bool
	N       int64
	Groups  []SwitchyardGroup
}
