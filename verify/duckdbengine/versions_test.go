//go:build cgo

package duckdbengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/duckdb"
	"github.com/fhirql/fhirql/runtime"
	"github.com/fhirql/fhirql/runtime/state"
	"github.com/fhirql/fhirql/runtime/state/statetest"
)

// TestCurrentStateViews is the SQL side of the proof of docs/versions.md:
// over seeded sequences of simulated `_since` exports, the DuckDB views
// built with Options.Exports (ROW_NUMBER over the key, an anti-join with
// the deletion lists) give, after every step, the server's current state,
// as the runtime does (runtime/state's tests run the same simulation).
func TestCurrentStateViews(t *testing.T) {
	views := statetest.LoadViews(t)
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			exports := t.TempDir()
			s := statetest.NewSim(seed, exports)
			target := duckdb.New(duckdb.Options{Exports: filepath.Join(exports, "export-*"), Source: "{resource}*.ndjson"})
			var cs []*sql.Compiled
			for _, v := range views {
				c, diags := sql.Emit(v, target)
				if diags.HasErrors() {
					t.Fatal(diags.Err())
				}
				cs = append(cs, c)
			}
			script := sql.DeployScript(target, cs)
			e, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			db := e.(*Engine).db
			for step := 0; step < 10; step++ {
				s.Step(t)
				// Each step runs the script again: it is re-runnable, and the
				// views see the exports written so far.
				if _, err := db.Exec(script); err != nil {
					t.Fatalf("step %d: %v\n%s", step, err, script)
				}
				var got []string
				for _, v := range views {
					rows, err := db.Query(fmt.Sprintf(`SELECT key, val FROM %s`, target.QuoteIdent(v.Name)))
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
						var key, val string
						if err := rows.Scan(&key, &val); err != nil {
							t.Fatal(err)
						}
						got = append(got, v.Resource+"/"+key+"|"+val)
					}
					rows.Close()
				}
				sort.Strings(got)
				if want := s.Expected(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("step %d:\ngot  %v\nwant %v", step, got, want)
				}
			}
		})
	}
}

// TestIncrementalLoadScript is the proof of DuckDB's incremental load
// script: applying each simulated export in turn (and each script twice:
// it must be re-runnable) leaves tables equal to the server's current
// state, rows keyed by _resource_key.
func TestIncrementalLoadScript(t *testing.T) {
	views := statetest.LoadViews(t)
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := statetest.NewSim(seed+200, t.TempDir())
			e, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			db := e.(*Engine).db
			for step := 0; step < 10; step++ {
				s.Step(t)
				target := duckdb.New(duckdb.Options{Exports: s.Exports[step], Source: "{resource}*.ndjson"})
				var cs []*sql.Compiled
				for _, v := range views {
					c, diags := sql.Emit(plan.WithKey(v), target)
					if diags.HasErrors() {
						t.Fatal(diags.Err())
					}
					cs = append(cs, c)
				}
				script := sql.Print(target, target.IncrementalScript(cs))
				for run := 0; run < 2; run++ {
					if _, err := db.Exec(script); err != nil {
						t.Fatalf("step %d, run %d: %v\n%s", step, run+1, err, script)
					}
				}
				var got []string
				for _, v := range views {
					rows, err := db.Query(fmt.Sprintf(`SELECT key, val, %s FROM %s`, target.QuoteIdent(plan.KeyColumn), target.QuoteIdent(v.Name)))
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
						var key, val, rk string
						if err := rows.Scan(&key, &val, &rk); err != nil {
							t.Fatal(err)
						}
						if rk != v.Resource+"/"+key {
							t.Fatalf("step %d: %s = %q for id %q", step, plan.KeyColumn, rk, key)
						}
						got = append(got, rk+"|"+val)
					}
					rows.Close()
				}
				sort.Strings(got)
				if want := s.Expected(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("step %d:\ngot  %v\nwant %v", step, got, want)
				}
			}
		})
	}
}

// TestStateTablesReadByDuckDB checks that the runtime's incremental state
// stays readable by DuckDB after every step: the views of
// DIR/current/duckdb.sql (segments less the rows of touched keys), over
// CSV and NDJSON tables, equal the server's current state, through
// applies that leave the base alone and compactions.
func TestStateTablesReadByDuckDB(t *testing.T) {
	views := statetest.LoadViews(t)
	for _, format := range []string{"csv", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			s := statetest.NewSim(300, t.TempDir())
			stateDir := filepath.Join(t.TempDir(), "state")
			e, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			db := e.(*Engine).db
			compactions := 0
			for step := 0; step < 8; step++ {
				s.Step(t)
				ex, err := state.LoadExport(s.Exports[step])
				if err != nil {
					t.Fatal(err)
				}
				st, err := state.Apply(context.Background(), views, stateDir, ex, state.Config{Format: format, CompactAt: 0.3}, runtime.Options{Workers: 1})
				if err != nil {
					t.Fatal(err)
				}
				if st.Compacted {
					compactions++
				}
				script, err := os.ReadFile(filepath.Join(stateDir, "current", "duckdb.sql"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(string(script)); err != nil {
					t.Fatalf("step %d: DuckDB cannot run duckdb.sql: %v\n%s", step, err, script)
				}
				var got []string
				for _, v := range views {
					rows, err := db.Query(fmt.Sprintf(`SELECT val, %s FROM %s`, plan.KeyColumn, v.Name))
					if err != nil {
						t.Fatalf("step %d: DuckDB cannot read view %s: %v", step, v.Name, err)
					}
					for rows.Next() {
						var val, key string
						if err := rows.Scan(&val, &key); err != nil {
							t.Fatal(err)
						}
						got = append(got, key+"|"+val)
					}
					rows.Close()
				}
				sort.Strings(got)
				if want := s.Expected(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("step %d:\ngot  %v\nwant %v\n%s", step, got, want, script)
				}
			}
			if compactions == 0 || compactions == 7 {
				t.Fatalf("%d of 7 applies compacted: the sequence must read both layouts", compactions)
			}
		})
	}
}
