package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirql/fhirql/internal/testsvc"
	"github.com/fhirql/fhirql/storage"
	"github.com/fhirql/fhirql/storage/azure"
)

func fhirql(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(args, strings.NewReader(""), &out, &errb); code != ExitOK {
		t.Fatalf("fhirql %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), errb.String()
}

// TestExportThenRun is the seed's flow against real parts: fhirql export
// from the SMART reference Bulk Data server into a local directory and
// into Azurite (the storage emulator), fhirql run over both into local
// and blob outputs; every result is the same bytes.
func TestExportThenRun(t *testing.T) {
	base := testsvc.BulkServer(t)
	cs := testsvc.Azurite(t)
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", cs)
	endpoint := ""
	for _, kv := range strings.Split(cs, ";") {
		if v, ok := strings.CutPrefix(kv, "BlobEndpoint="); ok {
			endpoint = strings.TrimSuffix(v, "/")
		}
	}
	if err := azure.CreateContainer(context.Background(), azure.FromEnv(""), endpoint+"/lake/"); err != nil {
		t.Fatal(err)
	}
	prefix := "t" + strings.ReplaceAll(t.TempDir()[5:], "/", "-") // unique per run
	lake := endpoint + "/lake/" + prefix
	examples := mustAbs("../../../../examples")
	types := "Patient,Condition,Encounter,Observation"

	// Local: export, then run.
	local := t.TempDir()
	folder, summary := fhirql(t, "export", base, "--type", types, "--out", local)
	folder = strings.TrimSpace(folder)
	if !strings.HasPrefix(folder, local) || !strings.HasSuffix(folder, "output") || !strings.Contains(summary, "Patient                         100") {
		t.Errorf("export printed %q and\n%s", folder, summary)
	}
	fhirql(t, "run", examples, "--input", folder, "--out", filepath.Join(local, "views"), "--quiet")

	// Lake: export into a blob container, run from it into it, and read
	// the input once more through its abfss:// name.
	lakeFolder, _ := fhirql(t, "export", base, "--type", types, "--out", lake+"/fhir", "--quiet")
	lakeFolder = strings.TrimSpace(lakeFolder)
	if !strings.HasPrefix(lakeFolder, lake+"/fhir/") {
		t.Fatalf("export to the lake printed %q", lakeFolder)
	}
	fhirql(t, "run", examples, "--input", lakeFolder, "--out", lake+"/views", "--quiet")
	rel := strings.TrimPrefix(lakeFolder, endpoint+"/lake/")
	abfss := "abfss://lake@devstoreaccount1.dfs.core.windows.net/" + rel
	rows, _ := fhirql(t, "run", filepath.Join(examples, "patient_demographics.fview"), "--input", abfss, "--quiet")
	if n := strings.Count(rows, "\n"); n != 100 {
		t.Errorf("run over %s gave %d rows, want 100", abfss, n)
	}

	st, loc, err := storage.Resolve(context.Background(), lake+"/views/", azure.Opener(azure.FromEnv("")))
	if err != nil {
		t.Fatal(err)
	}
	views, _ := filepath.Glob(filepath.Join(local, "views", "*.csv"))
	if len(views) < 5 {
		t.Fatalf("local run wrote %v", views)
	}
	for _, v := range views {
		want, _ := os.ReadFile(v)
		rc, err := st.Open(context.Background(), loc.Path+filepath.Base(v))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(v), err)
			continue
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs between the local run and the lake run (%d and %d bytes)", filepath.Base(v), len(want), len(got))
		}
	}

	// Parquet, which writes in small pieces, into the lake.
	fhirql(t, "run", filepath.Join(examples, "encounters.fview"), "--input", lakeFolder, "--format", "parquet", "--out", lake+"/parquet", "--quiet")
	rc, err := st.Open(context.Background(), prefix+"/parquet/encounters.parquet")
	if err != nil {
		t.Fatal(err)
	}
	pq, _ := io.ReadAll(rc)
	rc.Close()
	if len(pq) < 8 || string(pq[:4]) != "PAR1" || string(pq[len(pq)-4:]) != "PAR1" {
		t.Errorf("encounters.parquet in the lake is not a Parquet file (%d bytes)", len(pq))
	}

	// --since last continues from the lake's state.
	_, summary = fhirql(t, "export", base, "--type", "Condition", "--since", "last", "--out", lake+"/fhir")
	if !strings.Contains(summary, "(since 20") {
		t.Errorf("--since last: %s", summary)
	}
}
