package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/verify/duckdbengine"
)

// TestQueryCreateRunsOnDuckDB: the script of --target duckdb --deploy
// --create (the views, then the query as a table macro with its parameter)
// runs in DuckDB and gives the rows the local run gives.
func TestQueryCreateRunsOnDuckDB(t *testing.T) {
	if !duckdbengine.Available {
		t.Skip("built without cgo: no embedded DuckDB")
	}
	data, _ := filepath.Abs("../../../../examples/data")
	views := "../../../../examples"
	q := "../../../../examples/queries/encounters_per_month.sql"
	var script, stderr bytes.Buffer
	if code := Main([]string{"query", q, "--views", views, "--target", "duckdb", "--deploy", "--create", "epm",
		"--source", filepath.Join(data, "{resource}*.ndjson")}, nil, &script, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, err := duckdbengine.RunQuery(context.Background(), duckdbengine.Options{}, []string{script.String()}, nil,
		`SELECT * FROM epm('2015-01-01') ORDER BY "year", "month", class_code`, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, script.String())
	}
	var local bytes.Buffer
	if code := Main([]string{"query", q, "--views", views, "--input", data, "--param", "since=2015-01-01", "--format", "csv"}, nil, &local, &stderr); code != ExitOK {
		t.Fatalf("local run: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(local.String()), "\n")
	if len(got.Rows) == 0 || len(got.Rows) != len(lines)-1 {
		t.Fatalf("macro: %d rows, local run: %d", len(got.Rows), len(lines)-1)
	}
	var first []string
	for _, v := range got.Rows[0] {
		s, _ := cellText(v)
		first = append(first, s)
	}
	if strings.Join(first, ",") != strings.TrimSpace(lines[1]) {
		t.Errorf("first row: macro %v, local %q", first, lines[1])
	}
}
