package examples

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/lang/diag"
	"github.com/fhirql/fhirql/runtime"
)

// The fhir-to-cdm folder holds the upstream FhirToCdm sample configuration
// (config/) and the views `fhirql import fhir-to-cdm` makes of it.

// TestFhirToCdmImport: the committed views are exactly what importing the
// sample configuration gives today (go test ./examples -update rewrites them).
func TestFhirToCdmImport(t *testing.T) {
	gen, dl := compiler.ImportFhirToCdm([]string{filepath.Join("fhir-to-cdm", "config")}, r4.Catalog())
	if len(dl) > 0 {
		var b bytes.Buffer
		diag.RenderText(&b, dl)
		t.Fatalf("the sample configuration must import without any diagnostic:\n%s", b.String())
	}
	names := map[string]bool{}
	for _, g := range gen {
		names[g.Name] = true
		p := filepath.Join("fhir-to-cdm", g.Name)
		if *update {
			if err := os.WriteFile(p, g.Text, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test ./examples -update writes it)", err)
		}
		if !bytes.Equal(g.Text, want) {
			t.Errorf("%s differs from the import of fhir-to-cdm/config (go test ./examples -update rewrites it; review the diff)\n%s", p, firstDiff(string(g.Text), string(want)))
		}
	}
	files, _ := filepath.Glob(filepath.Join("fhir-to-cdm", "*.fview"))
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s is not produced by the import; remove it", f)
		}
	}
}

// TestFhirToCdmValues runs the imported views over examples/data and
// compares their cells with upstream's transformer rules applied to the
// raw JSON directly: a main table takes the first item of every repeating
// element, a child table has a row per item, group columns are named by
// prefixing the group's property name with the column name.
func TestFhirToCdmValues(t *testing.T) {
	res := compiler.Load([]string{"fhir-to-cdm"}, r4.Catalog())
	if len(res.Diags) > 0 {
		var b bytes.Buffer
		diag.RenderText(&b, res.Diags)
		t.Fatalf("the imported views must check without any diagnostic:\n%s", b.String())
	}
	out := t.TempDir()
	var log bytes.Buffer
	if _, err := runtime.Run(context.Background(), res.Views(), runtime.Options{
		Inputs: []string{filepath.Join("data", "Patient.000.ndjson")}, Format: "csv", OutDir: out, Stdout: &log,
	}); err != nil {
		t.Fatalf("run: %v", err)
	}
	patients := readPatients(t, filepath.Join("data", "Patient.000.ndjson"))

	// The main table: one row per patient.
	want := [][]string{}
	for _, p := range patients {
		want = append(want, []string{
			cell(p, "id"), cell(p, "active"), cell(p, "name.0.family"), cell(p, "name.0.given.0"),
			cell(p, "name.0.prefix.0"), cell(p, "gender"), cell(p, "birthDate"),
			cell(p, "maritalStatus.coding.0.system"), cell(p, "maritalStatus.coding.0.code"), cell(p, "maritalStatus.text"),
			cell(p, "deceasedDateTime"), cell(p, "multipleBirthBoolean"), cell(p, "multipleBirthInteger"),
		})
	}
	compareTable(t, filepath.Join(out, "Patient.csv"), []string{
		"ResourceId", "Active", "NameFamily", "NameGiven", "NamePrefix", "Gender", "BirthDate",
		"MaritalStatusCodingSystem", "MaritalStatusCodingCode", "MaritalStatusText",
		"DeceasedDateTime", "MultipleBirthBoolean", "MultipleBirthInteger",
	}, want)

	// Child tables: one row per item, keyed by the resource and the index.
	child := func(table, elem string, cols []string, paths []string) {
		var want [][]string
		for _, p := range patients {
			items, _ := p[elem].([]any)
			for i, it := range items {
				row := []string{cell(p, "id"), strconv.Itoa(i)}
				for _, path := range paths {
					row = append(row, cell(it, path))
				}
				want = append(want, row)
			}
		}
		if len(want) == 0 {
			t.Fatalf("the example data has no Patient.%s: the %s test would test nothing", elem, table)
		}
		compareTable(t, filepath.Join(out, table+".csv"), cols, want)
	}
	child("PatientIdentifier", "identifier",
		[]string{"ResourceId", "IdentifierIndex", "IdentifierSystem", "IdentifierValue", "IdentifierTypeCodingCode", "IdentifierTypeText"},
		[]string{"system", "value", "type.coding.0.code", "type.text"})
	child("PatientAddress", "address",
		[]string{"ResourceId", "AddressIndex", "AddressCity", "AddressState", "AddressPostalCode", "AddressLine1", "AddressLine2"},
		[]string{"city", "state", "postalCode", "line.0", "line.1"})
	child("PatientTelecom", "telecom",
		[]string{"ResourceId", "TelecomIndex", "TelecomSystem", "TelecomValue", "TelecomUse"},
		[]string{"system", "value", "use"})
}

func readPatients(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// cell reads a dotted path with numeric steps as array indexes, and prints
// the value as a CSV cell ("" for nothing).
func cell(v any, path string) string {
	for _, s := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[s]
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// compareTable checks the named columns of a CSV file, row by row.
func compareTable(t *testing.T, path string, cols []string, want [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]int{}
	for i, h := range rows[0] {
		header[h] = i
	}
	for _, c := range cols {
		if _, ok := header[c]; !ok {
			t.Fatalf("%s has no column %s; it has %v", filepath.Base(path), c, rows[0])
		}
	}
	if got := len(rows) - 1; got != len(want) {
		t.Fatalf("%s has %d rows, want %d", filepath.Base(path), got, len(want))
	}
	for r, w := range want {
		for j, c := range cols {
			if got := rows[r+1][header[c]]; got != w[j] {
				t.Errorf("%s row %d column %s = %q, want %q", filepath.Base(path), r+1, c, got, w[j])
			}
		}
	}
}
