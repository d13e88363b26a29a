//go:build cgo

package bench

import (
	"context"
	dbsql "database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goruntime "runtime"

	"github.com/fhirql/fhirql/bench/scale"
	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/runtime"

	_ "github.com/duckdb/duckdb-go/v2"
)

// benchViews pairs each view with the resource file it reads.
var benchViews = []struct{ name, resource string }{
	{"patient_demographics", "Patient"},
	{"condition_flat", "Condition"},
	{"encounter_flat", "Encounter"},
	{"observation_flat", "Observation"},
}

func loadView(t testing.TB, name string) *plan.View {
	t.Helper()
	res := compiler.Load([]string{filepath.Join("views", name+".json")}, r4.Catalog())
	if res.Diags.HasErrors() || len(res.Views()) != 1 {
		t.Fatalf("view %s: %v", name, res.Diags)
	}
	return res.Views()[0]
}

func duckSQL(t testing.TB, name, style, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("duckdb", name+"."+style+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "{{FILE}}", strings.ReplaceAll(file, "'", "''"))
}

var corpusOnce sync.Once

// corpus returns the directory of the benchmark corpus: $FHIRQL_BENCH_CORPUS,
// else bench/corpus when run.sh built it, else a 20 MB-per-type corpus
// scaled into the temp directory on first use (so a fresh clone works).
func corpus(t testing.TB) string {
	if d := os.Getenv("FHIRQL_BENCH_CORPUS"); d != "" {
		return d
	}
	if _, err := os.Stat(filepath.Join("corpus", "Patient.ndjson")); err == nil {
		return "corpus"
	}
	dir := filepath.Join(os.TempDir(), "fhirql-bench-corpus-20")
	var err error
	corpusOnce.Do(func() {
		if _, e := os.Stat(filepath.Join(dir, "MedicationRequest.ndjson")); e == nil {
			return
		}
		err = scale.Scale(scale.Options{Src: "../examples/data", Out: dir, MB: 20, Types: []string{"Patient", "Condition", "Encounter", "Observation", "MedicationRequest"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func openDuck(t testing.TB, threads int) *dbsql.Conn {
	t.Helper()
	db, err := dbsql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(context.Background(), fmt.Sprintf("SET threads = %d", threads)); err != nil {
		t.Fatal(err)
	}
	return conn
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkViews runs, for each benchmark view, fhirql's runtime and
// DuckDB's schema-typed read_json SQL side by side on the same corpus
// file, both writing the rows as a CSV file in a temporary directory
// (not /dev/null: DuckDB locks its COPY target, and another process
// copying to /dev/null makes COPY fail), with as many threads as -cpu
// gives. Besides MB/s (wall clock) it reports MB per CPU-second, which
// stays meaningful on a busy machine.
//
//	go test -run '^$' -bench Views -cpu 1,2 -benchtime 3x ./bench
func BenchmarkViews(b *testing.B) {
	dir := corpus(b)
	out := b.TempDir()
	type job struct {
		name, file string
		size       int64
	}
	var jobs []job
	for _, bv := range benchViews {
		file := filepath.Join(dir, bv.resource+".ndjson")
		st, err := os.Stat(file)
		if err != nil {
			b.Fatal(err)
		}
		jobs = append(jobs, job{bv.name, file, st.Size()})
	}
	// bench/run.sh runs the fhirql and the DuckDB sub-benchmarks in
	// separate processes (-bench 'Views/.*/fhirql$', then duckdb$): DuckDB's
	// threads go on working after a query, which would slow the next
	// fhirql measurement in the same process and count in its CPU time.
	for _, j := range jobs {
		v := loadView(b, j.name)
		b.Run(j.name+"/fhirql", func(b *testing.B) {
			threads := runtimeGOMAXPROCS()
			b.SetBytes(j.size)
			var rows int64
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				f, err := os.Create(filepath.Join(out, j.name+".fhirql.csv"))
				if err != nil {
					b.Fatal(err)
				}
				sum, err := runtime.Run(context.Background(), []*plan.View{v}, runtime.Options{
					Inputs: []string{j.file}, Format: "csv", Stdout: f, Workers: threads})
				if err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				rows = sum.Views[0].Rows
			}
			report(b, j.size, cpuTime()-cpu0, rows)
		})
	}
	conn := openDuck(b, runtimeGOMAXPROCS())
	for _, j := range jobs {
		for _, eng := range []string{"duckdb", "generated"} {
			b.Run(j.name+"/"+eng, func(b *testing.B) {
				setThreads(b, conn, runtimeGOMAXPROCS())
				q := duckSQL(b, j.name, "typed", j.file)
				if eng == "generated" {
					q = generatedSQL(b, loadView(b, j.name), j.file)
				}
				copyDuck(b, conn, q, filepath.Join(out, j.name+"."+eng+".csv"), j.size)
			})
		}
	}
}

// setThreads sets DuckDB's threads for one sub-benchmark. -cpu sets
// GOMAXPROCS for each sub-benchmark only: BenchmarkViews' own body runs
// once, at the default GOMAXPROCS, so a thread count read there was the
// machine's for every -cpu value.
func setThreads(b *testing.B, conn *dbsql.Conn, threads int) {
	b.Helper()
	if _, err := conn.ExecContext(context.Background(), fmt.Sprintf("SET threads = %d", threads)); err != nil {
		b.Fatal(err)
	}
}

// copyDuck runs the query b.N times as a COPY to a CSV file and reports.
func copyDuck(b *testing.B, conn *dbsql.Conn, query, file string, size int64) {
	q := "COPY (" + query + "\n) TO '" + strings.ReplaceAll(file, "'", "''") + "' (FORMAT csv, HEADER)"
	b.SetBytes(size)
	var rows int64
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := conn.ExecContext(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		rows, _ = res.RowsAffected()
	}
	report(b, size, cpuTime()-cpu0, rows)
}

// generatedSQL is the SELECT that `fhirql build --target duckdb
// --query-only` prints for the view, reading exactly file: the compiler's
// DuckDB dialect as it stands, so the benchmark follows its changes.
func generatedSQL(t testing.TB, v *plan.View, file string) string {
	t.Helper()
	target := duckdb.New(duckdb.Options{Files: []string{file}})
	c, diags := sql.Emit(v, target)
	if c == nil || diags.HasErrors() {
		t.Fatalf("view %s: %v", v.Name, diags)
	}
	return sql.PrintQuery(target, c.Query)
}

func report(b *testing.B, size int64, cpu time.Duration, rows int64) {
	b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	b.ReportMetric(float64(rows), "rows")
}

// TestDuckDBAgrees checks that fhirql and DuckDB's typed SQL give the same
// rows for each view of views/ on the example data, so that the benchmark
// compares equal work. (The generated SQL's rows are checked against the
// runtime's by package verify's differential tests, which compare typed
// values: its CSV spells timestamps DuckDB's way.)
func TestDuckDBAgrees(t *testing.T) {
	conn := openDuck(t, 2)
	dir := t.TempDir()
	views, names := folderViews(t)
	if len(views) < 20 {
		t.Fatalf("%d views in views/, want the 20 of BenchmarkFolder", len(views))
	}
	for i, v := range views {
		name := names[i]
		t.Run(name, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join("..", "examples", "data", v.Resource+".*ndjson"))
			if len(files) != 1 {
				t.Fatalf("want one example file of %s, found %v", v.Resource, files)
			}
			file, _ := filepath.Abs(files[0])
			_, err := runtime.Run(context.Background(), []*plan.View{v}, runtime.Options{
				Inputs: []string{file}, Format: "csv", OutDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			ours := readCSV(t, filepath.Join(dir, name+".csv"))
			theirsPath := filepath.Join(dir, name+".duckdb.csv")
			if _, err := conn.ExecContext(context.Background(), "COPY ("+duckSQL(t, name, "typed", file)+"\n) TO '"+theirsPath+"' (FORMAT csv, HEADER)"); err != nil {
				t.Fatal(err)
			}
			theirs := readCSV(t, theirsPath)
			if len(ours) < 5 || strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
				t.Errorf("fhirql and DuckDB disagree: %d vs %d rows\nfhirql %.600q\nduckdb %.600q", len(ours), len(theirs), ours, theirs)
			}
		})
	}
}

// readCSV returns the rows (header first, then sorted), fields joined by
// a tab; NULL and the empty string read alike.
func readCSV(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, strings.Join(r, "\t"))
	}
	if len(out) > 1 {
		sort.Strings(out[1:])
	}
	return out
}

// TestParquetReadByDuckDB writes each benchmark view as Parquet with
// fhirql and reads it back with DuckDB: the column types follow the plan
// and the rows equal the CSV output.
func TestParquetReadByDuckDB(t *testing.T) {
	conn := openDuck(t, 2)
	dir := t.TempDir()
	var views []*plan.View
	for _, bv := range benchViews {
		views = append(views, loadView(t, bv.name))
	}
	for _, format := range []string{"parquet", "csv"} {
		if _, err := runtime.Run(context.Background(), views, runtime.Options{
			Inputs: []string{"../examples/data"}, Format: format, OutDir: dir}); err != nil {
			t.Fatal(err)
		}
	}
	wantTypes := map[string]string{
		"patient_demographics": "id:VARCHAR gender:VARCHAR birth_date:DATE family:VARCHAR given:VARCHAR phone:VARCHAR",
		"condition_flat":       "id:VARCHAR patient_id:VARCHAR clinical_status:VARCHAR onset_date_time:TIMESTAMP WITH TIME ZONE code_system:VARCHAR code:VARCHAR code_display:VARCHAR",
		"encounter_flat":       "id:VARCHAR subject_reference:VARCHAR class_code:VARCHAR period_start:TIMESTAMP WITH TIME ZONE period_end:TIMESTAMP WITH TIME ZONE type_code:VARCHAR",
		"observation_flat":     "id:VARCHAR patient_id:VARCHAR encounter_id:VARCHAR status:VARCHAR effective:TIMESTAMP WITH TIME ZONE value:DOUBLE unit:VARCHAR unit_system:VARCHAR code_system:VARCHAR code:VARCHAR code_display:VARCHAR component_code:VARCHAR component_value:DOUBLE component_unit:VARCHAR",
	}
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	for _, bv := range benchViews {
		t.Run(bv.name, func(t *testing.T) {
			pq := filepath.Join(dir, bv.name+".parquet")
			rows, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('"+pq+"'))")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var n, ty string
				rows.Scan(&n, &ty)
				got = append(got, n+":"+ty)
			}
			rows.Close()
			if strings.Join(got, " ") != wantTypes[bv.name] {
				t.Errorf("types:\ngot  %s\nwant %s", strings.Join(got, " "), wantTypes[bv.name])
			}
			// Text columns equal the CSV output; dates and timestamps equal
			// it once normalised to the same instant, decimals (Parquet
			// DOUBLE: "72.0" for the JSON's 72) once read as numbers.
			back := filepath.Join(dir, bv.name+".back.csv")
			q := fmt.Sprintf("COPY (SELECT * FROM read_parquet('%s')) TO '%s' (FORMAT csv, HEADER, TIMESTAMPFORMAT '%%Y-%%m-%%dT%%H:%%M:%%S')", pq, back)
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
			fromParquet := readCSV(t, back)
			fromCSV := readCSV(t, filepath.Join(dir, bv.name+".csv"))
			if len(fromParquet) != len(fromCSV) || len(fromCSV) < 10 {
				t.Fatalf("parquet %d rows, csv %d rows", len(fromParquet), len(fromCSV))
			}
			norm := func(rows []string) string {
				var out []string
				for _, r := range rows {
					var fs []string
					for _, f := range strings.Split(r, "\t") {
						if tm, ok := parseTime(f); ok {
							f = tm.UTC().Format("2006-01-02T15:04:05")
						} else if x, err := strconv.ParseFloat(f, 64); err == nil {
							f = strconv.FormatFloat(x, 'g', -1, 64)
						}
						fs = append(fs, f)
					}
					out = append(out, strings.Join(fs, "\t"))
				}
				sort.Strings(out)
				return strings.Join(out, "\n")
			}
			if a, b := norm(fromParquet), norm(fromCSV); a != b {
				t.Errorf("parquet and CSV rows differ:\n%.400s\n---\n%.400s", a, b)
			}
		})
	}
}

func parseTime(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func runtimeGOMAXPROCS() int { return goruntime.GOMAXPROCS(0) }

// folderViews are the views of BenchmarkFolder: every view in views/ (each
// has its hand-written typed query in duckdb/), with the resource it reads.
func folderViews(t testing.TB) (views []*plan.View, names []string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("views", "*.json"))
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		views = append(views, loadView(t, name))
		names = append(names, name)
	}
	return views, names
}

// BenchmarkFolder runs every view of views/ the way a user runs a folder
// of views: fhirql in one `fhirql run` (one pass over the files, each line
// parsed once for all the views of its resource type), DuckDB as one
// typed query per view, one after another (it has no single pass over
// several queries). Both report the bytes of the files the views read
// once (a file that two DuckDB queries read counts once), so MB/s and
// MB/cpu-s compare the total time and CPU of the two ways.
//
//	go test -run '^$' -bench Folder -cpu 2 -benchtime 1x ./bench
func BenchmarkFolder(b *testing.B) {
	dir := corpus(b)
	out := b.TempDir()
	threads := runtimeGOMAXPROCS()
	views, names := folderViews(b)
	var files []string
	var size int64
	seen := map[string]bool{}
	for _, v := range views {
		f := filepath.Join(dir, v.Resource+".ndjson")
		if seen[f] {
			continue
		}
		seen[f] = true
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
		size += st.Size()
	}
	b.Run(fmt.Sprintf("views=%d/fhirql", len(views)), func(b *testing.B) {
		b.SetBytes(size)
		var rows int64
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			sum, err := runtime.Run(context.Background(), views, runtime.Options{
				Inputs: files, Format: "csv", OutDir: out, Workers: threads})
			if err != nil {
				b.Fatal(err)
			}
			rows = 0
			for _, v := range sum.Views {
				rows += v.Rows
			}
		}
		report(b, size, cpuTime()-cpu0, rows)
	})
	b.Run(fmt.Sprintf("views=%d/duckdb", len(views)), func(b *testing.B) {
		conn := openDuck(b, threads)
		var qs []string
		for i, v := range views {
			q := duckSQL(b, names[i], "typed", filepath.Join(dir, v.Resource+".ndjson"))
			qs = append(qs, "COPY ("+q+"\n) TO '"+filepath.Join(out, names[i]+".duckdb.csv")+"' (FORMAT csv, HEADER)")
		}
		b.SetBytes(size)
		var rows int64
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			rows = 0
			for _, q := range qs {
				res, err := conn.ExecContext(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := res.RowsAffected()
				rows += n
			}
		}
		report(b, size, cpuTime()-cpu0, rows)
	})
}
