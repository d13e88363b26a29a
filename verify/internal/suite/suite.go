// Package suite drives the official SQL on FHIR v2 test suite through a
// verify.Engine, for the engine packages' tests: each case's rows must match
// the suite's expectation and the runtime's rows, and an expectError case
// must fail in the front end or in the engine.
//
// It is the same comparison as runtime/conformance (multisets, numbers
// numerically, arrays in order), through verify's canonical cells so that a
// SQL engine's types (DECIMAL, BOOLEAN, TIMESTAMPTZ) compare with the
// suite's JSON.
package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/verify"
)

// Dir is the suite's location relative to a package two levels below the
// module root (verify/duckdbengine, verify/mssqlengine).
const Dir = "../../testdata/sql-on-fhir-v2/tests"

type file struct {
	Title     string            `json:"title"`
	Resources []json.RawMessage `json:"resources"`
	Tests     []struct {
		Title         string            `json:"title"`
		View          json.RawMessage   `json:"view"`
		Expect        []json.RawMessage `json:"expect"`
		ExpectColumns []string          `json:"expectColumns"`
		ExpectError   bool              `json:"expectError"`
	} `json:"tests"`
}

// Case is one test of the suite.
type Case struct {
	File          string // base name without .json
	Title         string
	View          json.RawMessage
	Expect        []json.RawMessage
	ExpectColumns []string
	ExpectError   bool
	// Input is the NDJSON file holding the file's resources, one per line.
	Input string
	// Resources are the same resources, for engines that load them.
	Resources []json.RawMessage
}

// Name is the case's subtest name.
func (c *Case) Name() string { return c.File + "/" + c.Title }

// Load reads every suite file in dir and writes each file's resources as
// NDJSON into tmp.
func Load(dir, tmp string) ([]*Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no suite files in %s", dir)
	}
	var out []*Case
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var f file
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		base := strings.TrimSuffix(filepath.Base(p), ".json")
		var nd bytes.Buffer
		for i, r := range f.Resources {
			var c bytes.Buffer
			if err := json.Compact(&c, r); err != nil {
				return nil, fmt.Errorf("%s: resource %d: %v", p, i, err)
			}
			nd.Write(c.Bytes())
			nd.WriteByte('\n')
		}
		input := filepath.Join(tmp, base+".ndjson")
		if err := os.WriteFile(input, nd.Bytes(), 0o644); err != nil {
			return nil, err
		}
		for _, t := range f.Tests {
			out = append(out, &Case{File: base, Title: t.Title, View: t.View, Expect: t.Expect,
				ExpectColumns: t.ExpectColumns, ExpectError: t.ExpectError, Input: input, Resources: f.Resources})
		}
	}
	return out, nil
}

// Compile runs the front end on the case's view.
func (c *Case) Compile() (*plan.View, error) {
	src := source.NewFile(c.File+"/"+c.Title+".json", c.View)
	ns, diags := compiler.CompileFiles(c.File, []*source.File{src}, r4.Catalog())
	if diags.HasErrors() {
		var b bytes.Buffer
		diag.RenderText(&b, diags.Errors())
		return nil, fmt.Errorf("%s", strings.TrimSpace(b.String()))
	}
	if ns == nil || len(ns.Views) != 1 {
		return nil, fmt.Errorf("the front end produced %d views", len(viewsOf(ns)))
	}
	return ns.Views[0], nil
}

func viewsOf(ns *compiler.Namespace) []*plan.View {
	if ns == nil {
		return nil
	}
	return ns.Views
}

// Expected is the case's expectation as a table of the view's columns. A
// key the view has no column for is an error (the conformance runner
// requires the same set of keys).
func (c *Case) Expected(v *plan.View) (*verify.Table, error) {
	t := verify.NewTable(v)
	idx := map[string]int{}
	for i, n := range t.Columns {
		idx[n] = i
	}
	for _, raw := range c.Expect {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("bad expectation %s: %v", raw, err)
		}
		row := make([]any, len(t.Columns))
		for k, val := range m {
			i, ok := idx[k]
			if !ok {
				return nil, fmt.Errorf("the expectation has a column %q the view lacks", k)
			}
			if val != nil {
				switch val.(type) {
				case []any, map[string]any:
					b, _ := json.Marshal(val)
					val = string(b)
				}
			}
			row[i] = val
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// Explain returns engine-specific detail for a failure (the SQL it ran).
type Explain func(v *plan.View) string

// Run checks one case on eng, with ref (the runtime) as the second
// reference. It returns "" when the case passes, else a report with every
// row set involved.
func Run(ctx context.Context, c *Case, ref, eng verify.Engine, explain Explain) string {
	v, err := c.Compile()
	if err != nil {
		if c.ExpectError {
			return ""
		}
		return "front end: " + err.Error()
	}
	got, engErr := eng.Run(ctx, v, []string{c.Input})
	refRows, refErr := ref.Run(ctx, v, []string{c.Input})
	detail := func() string {
		if explain == nil {
			return ""
		}
		return "\n" + explain(v)
	}
	if c.ExpectError {
		if engErr != nil {
			if refErr == nil {
				return fmt.Sprintf("%s fails as the suite expects, but the runtime does not (%d rows): %v", eng.Name(), len(refRows.Rows), engErr)
			}
			return ""
		}
		return fmt.Sprintf("expected an error, %s gave %d rows:\n%s%s", eng.Name(), len(got.Rows), rowsText(got), detail())
	}
	if engErr != nil {
		return fmt.Sprintf("%s: %v%s", eng.Name(), engErr, detail())
	}
	if c.ExpectColumns != nil && strings.Join(got.Columns, ",") != strings.Join(c.ExpectColumns, ",") {
		return fmt.Sprintf("columns %v, want %v", got.Columns, c.ExpectColumns)
	}
	want, err := c.Expected(v)
	if err != nil {
		return err.Error()
	}
	var msgs []string
	if d, err := verify.Compare("expected", want, eng.Name(), got); err != nil {
		msgs = append(msgs, err.Error())
	} else if !d.Equal() {
		msgs = append(msgs, "against the suite's expectation: "+d.String())
	}
	if refErr != nil {
		msgs = append(msgs, fmt.Sprintf("the runtime fails: %v", refErr))
	} else if d, err := verify.Compare("runtime", refRows, eng.Name(), got); err != nil {
		msgs = append(msgs, err.Error())
	} else if !d.Equal() {
		msgs = append(msgs, "against the runtime: "+d.String())
	}
	if len(msgs) == 0 {
		return ""
	}
	return strings.Join(msgs, "\n") + "\nall rows from " + eng.Name() + ":\n" + rowsText(got) + detail()
}

func rowsText(t *verify.Table) string {
	rows, err := t.Canonicalize()
	if err != nil {
		return fmt.Sprintf("  (%v) %v\n", err, t.Rows)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString("  " + verify.RowText(t.Columns, r) + "\n")
	}
	return b.String()
}
