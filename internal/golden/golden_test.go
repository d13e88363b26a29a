package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// recorder collects Errorf calls instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txtar")
	src := "comment\n-- in --\nx\n-- out --\nold\n-- stale --\ns\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ar := Read(t, path)
	want := []txtar.File{File("in", "x\n"), File("out", "new"), File("extra", "e\n")}
	r := &recorder{TB: t}
	Check(r, path, ar, want)
	joined := strings.Join(r.errs, "|")
	for _, s := range []string{"differs", "is missing", "not produced"} {
		if !strings.Contains(joined, s) {
			t.Errorf("no %q error in %q", s, joined)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != src {
		t.Errorf("file rewritten without -update:\n%s", b)
	}
	*update = true
	defer func() { *update = false }()
	r = &recorder{TB: t}
	Check(r, path, Read(t, path), want)
	if len(r.errs) != 0 {
		t.Errorf("errors with -update: %v", r.errs)
	}
	b, _ := os.ReadFile(path)
	if got := string(b); got != "comment\n-- in --\nx\n-- out --\nnew\n-- extra --\ne\n" {
		t.Errorf("rewritten archive:\n%s", got)
	}
	*update = false
	r = &recorder{TB: t}
	Check(r, path, Read(t, path), want)
	if len(r.errs) != 0 {
		t.Errorf("errors after the update: %v", r.errs)
	}
}
