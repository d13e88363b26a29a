// Package bench compares fhirql's runtime with DuckDB on the three
// benchmark views (views/, with DuckDB's SQL in duckdb/) over a corpus
// scaled from examples/data (scale/, cmd/scale). Its tests and benchmarks
// use DuckDB through cgo and are built only with cgo; the rest of the
// module never imports DuckDB.
//
//	bash bench/run.sh              # corpus, 1 and 2 threads, table, peak RSS
//	go test -bench Views -cpu 1,2 ./bench
package bench
