package scale

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestScale(t *testing.T) {
	opts := Options{Src: "../../examples/data", Copies: 3, Types: []string{"Patient", "Condition", "Encounter", "Observation"}}
	checkScale(t, opts, map[string]int{"Patient": 3, "Condition": 3, "Encounter": 3, "Observation": 3})
}

// TestScaleBySize: each type gets the copies its own size needs, so the
// 13 kB Observation source gets many more copies than Patient (44 kB)
// without Patient growing to match, and Observation copies past Patient's
// refer to Patient copies that exist.
func TestScaleBySize(t *testing.T) {
	opts := Options{Src: "../../examples/data", MB: 0.2, Types: []string{"Patient", "Observation"}}
	checkScale(t, opts, map[string]int{"Patient": 5, "Observation": 16})
}

func checkScale(t *testing.T, opts Options, copies map[string]int) {
	a, b := t.TempDir(), t.TempDir()
	opts.Out = a
	if err := Scale(opts); err != nil {
		t.Fatal(err)
	}
	opts.Out = b
	if err := Scale(opts); err != nil {
		t.Fatal(err)
	}
	patients := map[string]bool{}
	for _, typ := range opts.Types {
		x, _ := os.ReadFile(filepath.Join(a, typ+".ndjson"))
		y, _ := os.ReadFile(filepath.Join(b, typ+".ndjson"))
		if len(x) == 0 || string(x) != string(y) {
			t.Fatalf("%s: output missing or not deterministic", typ)
		}
		src, _ := filepath.Glob(filepath.Join("../../examples/data", typ+".*ndjson"))
		var srcLines int
		for _, p := range src {
			d, _ := os.ReadFile(p)
			srcLines += strings.Count(strings.TrimSpace(string(d)), "\n") + 1
		}
		ids := map[string]bool{}
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(string(x)), "\n") {
			var r struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil || r.ResourceType != typ {
				t.Fatalf("%s: bad line %.80s: %v", typ, line, err)
			}
			if ids[r.ID] {
				t.Fatalf("%s: duplicate id %s", typ, r.ID)
			}
			ids[r.ID] = true
			if typ == "Patient" {
				patients[r.ID] = true
			}
			n++
		}
		if n != copies[typ]*srcLines {
			t.Errorf("%s: %d resources, want %d copies of %d", typ, n, copies[typ], srcLines)
		}
	}
	// Every Patient reference resolves, in copies too.
	ref := regexp.MustCompile(`"reference":"Patient/([^"]+)"`)
	refs := 0
	for _, typ := range opts.Types {
		if typ == "Patient" {
			continue
		}
		f, _ := os.Open(filepath.Join(a, typ+".ndjson"))
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			for _, m := range ref.FindAllStringSubmatch(sc.Text(), -1) {
				refs++
				if !patients[m[1]] {
					t.Fatalf("%s: dangling reference Patient/%s", typ, m[1])
				}
			}
		}
		f.Close()
	}
	if refs < 300 {
		t.Errorf("only %d Patient references checked", refs)
	}
}

func TestNewID(t *testing.T) {
	u := "129c6ac7-8d06-89de-ad63-0204a93e76c3"
	if newID(u, 0) != u {
		t.Error("copy 0 must keep the id")
	}
	if x := newID(u, 1); len(x) != len(u) || x == u || !isUUID.MatchString(x) || x != newID(u, 1) || x == newID(u, 2) {
		t.Errorf("newID(uuid, 1) = %s", x)
	}
	if x := newID("obs-001", 2); x != "obs-001-c2" {
		t.Errorf("newID = %s", x)
	}
}
