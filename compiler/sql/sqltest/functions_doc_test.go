package sqltest

import (
	"os"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/compiler/funcs"
	"github.com/fhirql/fhirql/compiler/sql"
)

// TestFunctionsDoc keeps docs/functions.md, the users' list of functions
// and where each runs, equal to the function table (compiler/funcs) and
// the SQL targets' rejections (sql.Unsupported). Run with -update after
// changing either, and review the diff.
func TestFunctionsDoc(t *testing.T) {
	const path = "../../../docs/functions.md"
	var b strings.Builder
	b.WriteString(`# FHIRPath functions

Every function fhirql knows, as the checker, the language server, the runtime (` + "`fhirql run`" + `) and
the SQL targets (` + "`fhirql build`" + `: serverless, dedicated, sqlserver, duckdb) see it. The runtime
implements all of them. The SQL targets share one translation, so a function is on all of them or
on none; where none, ` + "`fhirql build`" + ` reports FQL3101 at the call with the reason given here.
` + "`distinct()`, `isDistinct()`, `union()` and `|`" + ` run in SQL on primitive items (strings, codes,
numbers, booleans, dates and times), not on objects such as a Coding, which ` + "`fhirql build`" + ` says.
**suite** marks the functions the SQL on FHIR v2 specification requires of every implementation.

Generated from compiler/funcs and compiler/sql by ` + "`go test ./compiler/sql/sqltest -run TestFunctionsDoc -update`" + `.

| function | what it does | SQL targets |
|---|---|---|
`)
	for _, f := range funcs.All() {
		sig := "`" + strings.ReplaceAll(f.Signature, "|", `\|`) + "`"
		if f.Suite {
			sig += " **suite**"
		}
		where := "yes"
		if why, no := sql.Unsupported[f.Name]; no {
			where = "no: " + why
		}
		doc := strings.ReplaceAll(f.Doc, "|", `\|`)
		b.WriteString("| " + sig + " | " + doc + " | " + strings.ReplaceAll(where, "|", `\|`) + " |\n")
	}
	got := b.String()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Errorf("%s is out of date (go test ./compiler/sql/sqltest -run TestFunctionsDoc -update, then review the diff): %v", path, err)
	}
}
