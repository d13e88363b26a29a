package outname

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBaseNeverEscapes(t *testing.T) {
	for _, name := range []string{"../../../../victim", "a/b", `a\b`, "..", ".", "", ".hidden", "C:x", "/etc/passwd", "a]b", "ü"} {
		b := Base(name)
		if b == "" || strings.ContainsAny(b, `/\:`) || strings.HasPrefix(b, ".") {
			t.Errorf("Base(%q) = %q: not a plain file name", name, b)
		}
		dir := "/out"
		if p := filepath.Join(dir, b+".csv"); filepath.Dir(p) != dir {
			t.Errorf("Base(%q) = %q escapes %s (%s)", name, b, dir, p)
		}
	}
	if got := Base("patient_demographics"); got != "patient_demographics" {
		t.Errorf("a safe name changed: %q", got)
	}
}

func TestFilesDistinct(t *testing.T) {
	got := Files([]string{"a/b", "a_b", "A_B", "deploy", "v"}, ".sql", "deploy.sql", "manifest.json")
	want := []string{"a_b.sql", "a_b_2.sql", "A_B_3.sql", "deploy_2.sql", "v.sql"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Files = %q, want %q", got, want)
	}
}
