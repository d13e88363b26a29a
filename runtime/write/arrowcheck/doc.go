// Package arrowcheck reads the Parquet files that `fhirql run` writes with
// the Apache Arrow project's own Go reader (github.com/apache/arrow-go,
// parquet/pqarrow), a second reader independent of DuckDB
// (bench.TestParquetReadByDuckDB) and of parquet-go, which writes them;
// and the CSV tables of an incremental state (runtime/state) with Arrow's
// CSV reader, by the live-row rule of docs/versions.md.
//
// The package holds nothing but those tests. It exists so that arrow-go is
// imported by a test of its own package only and never enters the package
// graph of the runtime (runtime/write and its importers): building fhirql
// does not compile arrow-go.
package arrowcheck
