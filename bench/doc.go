// Package bench compares fhirql's runtime with DuckDB over a corpus scaled
// from examples/data (scale/, cmd/scale): per benchmark view
// (BenchmarkViews: the runtime, DuckDB's hand-written typed read_json of
// duckdb/, and the DuckDB SQL fhirql generates), and for all 20 views of
// views/ at once (BenchmarkFolder: one runtime pass against the 20 typed
// queries). Its tests and benchmarks use DuckDB through cgo and are built
// only with cgo; the rest of the module never imports DuckDB.
//
//	bash bench/run.sh              # corpus, 1 and 2 threads, table, folder, peak RSS
//	go test -bench Views -cpu 1,2 ./bench
//	go test -bench Folder -cpu 2 -benchtime 1x ./bench
package bench
