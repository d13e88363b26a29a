package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/compiler/sql/serverless"
	"github.com/fhirql/fhirql/compiler/sql/sqlserver"
)

const lake = "https://acct.dfs.core.windows.net/fhir/{resource}*.ndjson"

// targets are the three T-SQL targets with options that change the
// script's shape: a schema to create, Parquet copies, SELECT INTO.
func targets() []sql.Target {
	return []sql.Target{
		serverless.New(serverless.Options{Source: lake, Schema: "fhir", RepeatDepth: 3, Parquet: "https://acct.dfs.core.windows.net/out"}),
		serverless.New(serverless.Options{Source: lake, Schema: "dbo", RepeatDepth: 3}),
		dedicated.New(dedicated.Options{Source: lake, Schema: "dbo", Distribution: "ROUND_ROBIN", RepeatDepth: 3}),
		sqlserver.New(sqlserver.Options{Table: sql.ObjectName{"dbo", "fhir_raw"}, DocColumn: "doc", Schema: "dbo"}),
		sqlserver.New(sqlserver.Options{Table: sql.ObjectName{"dbo", "fhir_raw"}, DocColumn: "doc", Schema: "dbo", SelectInto: true}),
	}
}

func examples(t *testing.T, tg sql.Target) []*sql.Compiled {
	t.Helper()
	res := compiler.Load([]string{"../examples"}, r4.Catalog())
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Err())
	}
	var cs []*sql.Compiled
	for _, v := range res.Views() {
		c, diags := sql.Emit(v, tg)
		if diags.HasErrors() {
			t.Fatal(diags.Err())
		}
		cs = append(cs, c)
	}
	return cs
}

// TestScriptOfExamples: for every target, the units of the examples'
// deployment script are its text, cut only between objects; every view has
// its unit(s), in the script's order; no unit mixes two views.
func TestScriptOfExamples(t *testing.T) {
	for _, tg := range targets() {
		cs := examples(t, tg)
		s, err := NewScript(sql.DeployParts(tg, cs))
		if err != nil {
			t.Fatal(err)
		}
		if want := sql.DeployScript(tg, cs); s.Text != want {
			t.Fatalf("%s: the script's text is not DeployScript's", tg.Name())
		}
		lines := strings.SplitAfter(s.Text, "\n")
		batches, _ := Split(s.Text)
		var fromBatches, fromUnits strings.Builder
		for _, b := range batches {
			if b.HasCode {
				fromBatches.WriteString(b.SQL)
			}
		}
		var order []string
		for _, u := range s.Units {
			if got := strings.Join(lines[u.Line-1:u.EndLine], ""); got != u.SQL {
				t.Errorf("%s: unit %s says lines %d-%d but holds other text", tg.Name(), u.Label(), u.Line, u.EndLine)
			}
			fromUnits.WriteString(u.SQL)
			if u.View != "" && (len(order) == 0 || order[len(order)-1] != u.View) {
				order = append(order, u.View)
			}
			if u.View != "" && strings.Count(u.SQL, "fhirql view ") > 1 {
				t.Errorf("%s: unit %s holds two views' headers", tg.Name(), u.Label())
			}
		}
		if fromUnits.String() != fromBatches.String() {
			t.Errorf("%s: the units are not the batches' text", tg.Name())
		}
		var names []string
		for _, c := range cs {
			names = append(names, sql.ViewName(c.View))
		}
		if fmt.Sprint(order) != fmt.Sprint(names) {
			t.Errorf("%s: views in the units %v, want %v", tg.Name(), order, names)
		}
	}
}

// TestDedicatedUnits: the dedicated script has no GO, yet each staging
// table and each view is a unit of its own, labelled.
func TestDedicatedUnits(t *testing.T) {
	tg := targets()[2]
	s, err := NewScript(sql.DeployParts(tg, examples(t, tg)))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, u := range s.Units {
		labels = append(labels, u.Label())
	}
	got := strings.Join(labels, "\n")
	for _, want := range []string{
		"table [dbo].[fhirql_Patient_ndjson]",
		"table [dbo].[fhirql_Encounter_ndjson]",
		`view "patient_demographics"`,
		`view "encounters"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no unit %s in:\n%s", want, got)
		}
	}
	if s.Units[0].Line != 1 {
		t.Errorf("the first unit starts at line %d: the script's opening comment goes with it", s.Units[0].Line)
	}
}

// fakeExec records the batches and fails the one whose text contains
// failOn with err.
type fakeExec struct {
	ran    []string
	failOn string
	err    error
}

func (f *fakeExec) Exec(_ context.Context, batch string) error {
	f.ran = append(f.ran, batch)
	if f.failOn != "" && strings.Contains(batch, f.failOn) {
		return f.err
	}
	return nil
}

// TestRunErrorMapping: a server error in the middle of a view's unit
// names the view, the statement holding the server's line, and that line
// in the script; nothing after the failed unit runs.
func TestRunErrorMapping(t *testing.T) {
	tg := targets()[0] // serverless with a schema and Parquet copies
	s, err := NewScript(sql.DeployParts(tg, examples(t, tg)))
	if err != nil {
		t.Fatal(err)
	}
	// The CETAS of encounters: its unit starts with the DROP guard, and the
	// server points at the CREATE EXTERNAL TABLE line, the 4th of the unit.
	var target Unit
	idx := -1
	for i, u := range s.Units {
		if u.View == "encounters" && strings.Contains(u.SQL, "CREATE EXTERNAL TABLE") {
			target, idx = u, i
		}
	}
	if idx < 0 {
		t.Fatal("no CETAS unit for encounters")
	}
	lines := strings.Split(target.SQL, "\n")
	k := -1
	for i, l := range lines {
		// CETAS runs as dynamic SQL (a new folder per run): the
		// statement the server reports is the EXEC.
		if strings.HasPrefix(l, "EXEC(@fhirql_cetas)") {
			k = i
			break
		}
	}
	serverErr := mssql.Error{Number: 15151, Message: "Cannot find the external data source", LineNo: int32(k + 1)}
	serverErr.All = []mssql.Error{serverErr}
	ex := &fakeExec{failOn: "CREATE EXTERNAL TABLE [fhir].[encounters_parquet]", err: serverErr}
	var progress bytes.Buffer
	r := &Runner{Exec: ex, Progress: &progress}
	err = r.Run(context.Background(), s)
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T), want *deploy.Error", err, err)
	}
	wantLine := target.Line + k
	if de.Unit.View != "encounters" || de.Line != wantLine || de.StatementLine != wantLine ||
		!strings.HasPrefix(de.Statement, "EXEC(@fhirql_cetas)") {
		t.Errorf("error maps to view %q, line %d, statement %q at %d; want encounters, line %d, the CETAS",
			de.Unit.View, de.Line, de.Statement, de.StatementLine, wantLine)
	}
	msg := err.Error()
	for _, want := range []string{`view "encounters"`, fmt.Sprintf("line %d of the script", wantLine), "EXEC(@fhirql_cetas)", "Cannot find the external data source"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if len(ex.ran) != idx+1 {
		t.Errorf("%d units ran, want %d (up to the failed one)", len(ex.ran), idx+1)
	}
	if n := strings.Count(progress.String(), "\n"); n != idx+1 || strings.Contains(progress.String(), "done") {
		t.Errorf("progress:\n%s\nwant %d lines and no summary", progress.String(), idx+1)
	}

	// A server line inside an earlier statement of the unit names that one.
	serverErr.LineNo, serverErr.All = 1, nil
	ex = &fakeExec{failOn: "CREATE EXTERNAL TABLE [fhir].[encounters_parquet]", err: serverErr}
	err = (&Runner{Exec: ex}).Run(context.Background(), s)
	if !errors.As(err, &de) || de.Line != target.Line || !strings.HasPrefix(de.Statement, "IF OBJECT_ID") {
		t.Errorf("line 1 of the unit: got %v", err)
	}

	// No line from the server (a dropped connection): the unit's first
	// statement.
	ex = &fakeExec{failOn: "CREATE EXTERNAL TABLE [fhir].[encounters_parquet]", err: errors.New("connection reset")}
	err = (&Runner{Exec: ex}).Run(context.Background(), s)
	if !errors.As(err, &de) || de.Line != target.Line || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("no server line: got %v", err)
	}
}

// TestRunAll: every unit runs once, in order, GO n units n times, and the
// summary counts the views.
func TestRunAll(t *testing.T) {
	tg := targets()[3]
	cs := examples(t, tg)
	s, err := NewScript(sql.DeployParts(tg, cs))
	if err != nil {
		t.Fatal(err)
	}
	ex := &fakeExec{}
	var progress bytes.Buffer
	clock := time.Unix(0, 0)
	r := &Runner{Exec: ex, Progress: &progress, Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	if err := r.Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(ex.ran) != len(s.Units) {
		t.Errorf("%d batches ran, want %d", len(ex.ran), len(s.Units))
	}
	want := fmt.Sprintf("fhirql deploy: done: %d view(s), %d unit(s) in 1s\n", len(cs), len(s.Units))
	if !strings.HasSuffix(progress.String(), want) {
		t.Errorf("progress ends:\n%s\nwant %q", progress.String(), want)
	}

	counted, err := NewScript([]sql.ScriptPart{{SQL: "INSERT t VALUES (1);\n"}, {SQL: "GO 3\n"}})
	if err != nil {
		t.Fatal(err)
	}
	ex = &fakeExec{}
	if err := (&Runner{Exec: ex}).Run(context.Background(), counted); err != nil || len(ex.ran) != 3 {
		t.Errorf("GO 3: %d runs, error %v", len(ex.ran), err)
	}
}

// TestDryRun: the dry run is itself a script whose batches are the units.
func TestDryRun(t *testing.T) {
	tg := targets()[2]
	s, err := NewScript(sql.DeployParts(tg, examples(t, tg)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := DryRun(&b, s); err != nil {
		t.Fatal(err)
	}
	all, err := Split(b.String())
	if err != nil {
		t.Fatal(err)
	}
	var again []Batch
	for _, bt := range all {
		if bt.HasCode {
			again = append(again, bt)
		}
	}
	if len(again) != len(s.Units) {
		t.Fatalf("the dry run has %d batches, want %d units", len(again), len(s.Units))
	}
	for i, u := range s.Units {
		if !strings.Contains(again[i].SQL, strings.TrimRight(u.SQL, "\n")) {
			t.Errorf("dry-run batch %d does not hold unit %s", i+1, u.Label())
		}
	}
}

func TestDescribe(t *testing.T) {
	good := []struct{ dsn, want string }{
		{"sqlserver://sa:Secret1!@localhost:1433?database=master", "localhost:1433, database master, user sa"},
		{"sqlserver://ws.sql.azuresynapse.net?database=lake&fedauth=ActiveDirectoryDefault", "ws.sql.azuresynapse.net, database lake, Microsoft Entra ID (ActiveDirectoryDefault)"},
		{"sqlserver://ws-ondemand.sql.azuresynapse.net?database=lake&fedauth=activedirectoryazcli", "ws-ondemand.sql.azuresynapse.net, database lake, Microsoft Entra ID (ActiveDirectoryAzCli)"},
		{"sqlserver://app-id%40tenant:Secret1!@ws.sql.azuresynapse.net?database=lake&fedauth=ActiveDirectoryServicePrincipal",
			"ws.sql.azuresynapse.net, database lake, Microsoft Entra ID (ActiveDirectoryServicePrincipal, app-id@tenant)"},
		{"server=ws.sql.azuresynapse.net;database=lake;fedauth=ActiveDirectoryManagedIdentity", "ws.sql.azuresynapse.net, database lake, Microsoft Entra ID (ActiveDirectoryManagedIdentity)"},
	}
	for _, c := range good {
		got, err := Describe(c.dsn)
		if err != nil {
			t.Errorf("Describe(%q): %v", c.dsn, err)
			continue
		}
		if got != c.want {
			t.Errorf("Describe(%q) = %q, want %q", c.dsn, got, c.want)
		}
		if strings.Contains(got, "Secret") {
			t.Errorf("Describe(%q) shows the password", c.dsn)
		}
	}
	_, err := Describe("sqlserver://ws?fedauth=ActiveDirectoryMagic")
	if err == nil || !strings.Contains(err.Error(), "ActiveDirectoryDefault") {
		t.Errorf("unknown fedauth: %v, want the list of methods", err)
	}
	_, err = Describe("sqlserver://app-id@ws.sql.azuresynapse.net?database=lake&fedauth=ActiveDirectoryServicePrincipal")
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("service principal without a secret: %v, want the driver's word on it", err)
	}
	if _, err := Describe(""); err == nil {
		t.Error("empty DSN accepted")
	}
}
