package duckdbengine

// Options configure the engine.
type Options struct {
	// Threads caps DuckDB's worker threads (0: DuckDB's default, every core).
	Threads int
}
