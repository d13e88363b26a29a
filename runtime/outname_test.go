package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fhirql/fhirql/runtime"
)

// TestRunOutStaysInside: whatever a view's name holds, `run --out` writes
// only inside the output directory. The readers reject such names, but a
// plan can come from elsewhere (an API user), so the runtime does not rely
// on them.
func TestRunOutStaysInside(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "a", "b", "c", "d", "out")
	in := writeFile(t, root, "p.ndjson", lines(patient(1)))
	views := loadViews(t, patientView, conditionView)
	views[0].Name = "../../../../victim"
	views[1].Name = "/etc/x"
	sum, err := runtime.Run(context.Background(), views, runtime.Options{Inputs: []string{in}, OutDir: out, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sum.Views {
		if filepath.Dir(v.Path) != out {
			t.Errorf("view %q written to %s, outside %s", v.Name, v.Path, out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "a", "victim.csv")); err == nil {
		t.Errorf("victim.csv written four levels up")
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[0] != "_.._.._.._victim.csv" || names[1] != "_etc_x.csv" {
		t.Errorf("files in out: %q", names)
	}
}
