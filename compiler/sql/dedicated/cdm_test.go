package dedicated_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler"
	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/compiler/sql/dedicated"
	"github.com/fhirql/fhirql/lang/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestLoadCDM pins the script that loads a CDM folder (go test -update
// rewrites testdata/load_cdm.sql; review the diff) and checks what must
// hold whatever the spelling: one COPY INTO per view, run as dynamic SQL
// from @cdm_root, and the final table typed as fhirql build types it.
func TestLoadCDM(t *testing.T) {
	src := `view p of Patient {
  id        = getResourceKey()
  active    = active
  birth     = birthDate
  given[]   = name.given
  n         = name.count()
}
view q of Patient {
  id = getResourceKey()
  forEach name { family = family }
}
`
	ns, dl := compiler.CompileFiles(".", []*source.File{source.NewFile("p.fview", []byte(src))}, r4.Catalog())
	if dl.HasErrors() {
		t.Fatal(dl)
	}
	ns.Views[1].Name = "it's" // as a ViewDefinition JSON name may be
	tg := dedicated.New(dedicated.Options{})
	var tables []dedicated.CDMTable
	for _, v := range ns.Views {
		c, dl := sql.Emit(v, tg)
		if c == nil {
			t.Fatal(dl)
		}
		tables = append(tables, dedicated.CDMTable{Compiled: c, Partition: "data/Local" + v.Name + "/partition-data.csv"})
	}
	got := tg.LoadCDM(tables)
	for _, want := range []string{
		"DECLARE @cdm_root NVARCHAR(4000) = N'https://ACCOUNT.dfs.core.windows.net/CONTAINER/FOLDER';",
		`SET @copy = N'COPY INTO [dbo].[fhirql_cdm_p] ([id] 1, [active] 2, [birth] 3, [given] 4, [n] 5)`,
		`FROM ''' + REPLACE(@cdm_root, N'''', N'''''') + N'/data/Localp/partition-data.csv''`,
		`FROM ''' + REPLACE(@cdm_root, N'''', N'''''') + N'/data/Localit''''s/partition-data.csv''`,
		"FIRSTROW = 2",
		"ROWTERMINATOR = ''0x0d0a''",
		"CASE [s].[active] WHEN N'true' THEN CAST(1 AS BIT) WHEN N'false' THEN CAST(0 AS BIT) END AS [active]",
		"TRY_CONVERT(INT, [s].[n]) AS [n]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %s", want)
		}
	}
	if n := strings.Count(got, "EXEC (@copy);"); n != 2 {
		t.Errorf("%d COPY INTO for 2 views", n)
	}
	path := filepath.Join("testdata", "load_cdm.sql")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("%s differs (go test -update rewrites it; review the diff):\n%s", path, got)
	}
}
