package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
)

// A state directory keeps tables current across `_since` exports
// (docs/versions.md):
//
//	DIR/current                 a symbolic link to the current generation
//	DIR/gen-000042/
//	  <view>/part-000031.csv    the base segment: the view's rows at the last compaction
//	  <view>/part-000040.csv    a delta segment: the rows generation 40 inserted
//	  touched-000040.csv        the keys generation 40 changed (_resource_key,generation)
//	  index.bin, index.dir      the base key index and its radix directory
//	  delta.bin                 the key index records changed since the base
//	  duckdb.sql                DuckDB views reading the live rows
//	  state.json
//
// Segments, touched lists and the base index are written once and
// hard-linked into each later generation, never rewritten: a row of
// segment s is live unless a touched list of a generation after s names
// its key. An apply therefore writes its own segment, touched list and
// the delta index, and links the rest: its cost follows the export (and
// the changes since the base), not the state. When the keys changed
// since the base reach a share of it (Config.CompactAt), a compaction
// rewrites the base as the live rows and empties the deltas.
//
// A new generation is complete and synced before a new link is renamed
// over DIR/current, which is atomic: a crash before the rename leaves the
// previous generation current and intact (the unfinished one is removed
// by the next apply), a crash after it leaves the new one.
//
// One apply at a time: each holds an exclusive lock on DIR/.lock
// (lock.go), so that two never build the same next generation.

// layoutVersion is state.json's layout: 2 is segments and touched lists
// (1, one rewritten file per table, had no layout field).
const layoutVersion = 2

// stateInfo is state.json.
type stateInfo struct {
	Layout     int      `json:"layout"`
	Generation int      `json:"generation"`
	Format     string   `json:"format"`
	Views      []string `json:"views"`
	Plans      string   `json:"plans"`  // sha256 of the views' plans
	Tables     []string `json:"tables"` // per view, the folder of its segments
	// Base is the generation of the base segments and index.bin (the
	// first, or the last compaction); BaseKeys and DeltaKeys count the
	// records of index.bin and delta.bin.
	Base      int   `json:"base"`
	BaseKeys  int64 `json:"baseKeys"`
	DeltaKeys int64 `json:"deltaKeys"`
	// Segments lists per view the generations of its segments, base
	// first; Touched the generations since the base with a touched list.
	Segments [][]int  `json:"segments"`
	Touched  []int    `json:"touched"`
	Exports  []string `json:"exports"`
	// LastTime is the stand-in time of the last export applied, for a
	// next export without a manifest.
	LastTime string `json:"lastTime,omitempty"`
	Updated  string `json:"updated"`
}

// Config says how Apply keeps a state's files.
type Config struct {
	// Format of a new state's tables, "csv" (the default) or "ndjson";
	// "" keeps an existing state's, another one is refused.
	Format string
	// CompactAt is the share of the base's keys that the keys changed
	// since the base may reach: an apply that leaves more compacts. 0
	// means DefaultCompactAt, a negative share never.
	CompactAt float64
	// Compact compacts after this apply whatever the share.
	Compact bool
	// Lock is the state's lock, held by the caller across several
	// applies (LockDir); nil: Apply takes it for its own duration.
	Lock *Lock
}

// DefaultCompactAt is the default Config.CompactAt: a compaction, which
// costs about one copy of the state's files, once the keys changed since
// the base exceed 10 % of it. Readers then skip at most about one dead row
// in ten, the touched lists and the delta index stay below a tenth of
// the base, and with exports of 1 % of the state a compaction comes every
// ten or so applies (bench/README.md has the figures).
const DefaultCompactAt = 0.10

// ApplyStats reports one applied export.
type ApplyStats struct {
	Generation int
	Export     string
	Versions   int64 // resource lines in the export
	Deletions  int64 // deletion entries in the export
	Changed    int   // ids whose rows were removed (updated or deleted)
	Inserted   int   // ids whose rows were (re)inserted
	RowsNew    []int64
	// BaseKeys and DeltaKeys count the base index's keys and those changed
	// since the base, after the apply (DeltaKeys is 0 after a compaction).
	BaseKeys, DeltaKeys int64
	// Compacted reports a compaction; LiveRows the rows it kept per view.
	Compacted bool
	LiveRows  []int64
	// CompactPhases: rewriting the tables, then the index.
	CompactPhases [2]time.Duration
	Elapsed       time.Duration
	// Phases: the export's first pass (keys), the index lookups and the
	// delta index, evaluating the winning lines, writing the segments and
	// the touched list, compacting.
	Phases [5]time.Duration
}

// Write prints the stats for a person.
func (s *ApplyStats) Write(w io.Writer) {
	var added, live int64
	for _, n := range s.RowsNew {
		added += n
	}
	for _, n := range s.LiveRows {
		live += n
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	if s.Export == "" {
		fmt.Fprintf(w, "state generation %d: compacted in %s (tables %s, index %s): %d live row(s) rewritten as the base, %d key(s)\n", s.Generation, r(s.Elapsed), r(s.CompactPhases[0]), r(s.CompactPhases[1]), live, s.BaseKeys)
		return
	}
	fmt.Fprintf(w, "state generation %d: applied %s (%d version(s), %d deletion(s)) in %s: rows of %d id(s) removed, %d id(s) inserted, %d new row(s); %d key(s) changed since the base of %d\n",
		s.Generation, s.Export, s.Versions, s.Deletions, r(s.Elapsed), s.Changed, s.Inserted, added, s.DeltaKeys, s.BaseKeys)
	fmt.Fprintf(w, "  export keys %s, index %s, evaluation %s, segments %s", r(s.Phases[0]), r(s.Phases[1]), r(s.Phases[2]), r(s.Phases[3]))
	if s.Compacted {
		fmt.Fprintf(w, ", compaction %s (tables %s, index %s; %d live row(s) rewritten as the base)", r(s.Phases[4]), r(s.CompactPhases[0]), r(s.CompactPhases[1]), live)
	}
	fmt.Fprintln(w)
}

func plansHash(views []*plan.View) string {
	h := sha256.New()
	for _, v := range views {
		io.WriteString(h, plan.Dump(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func segmentName(gen int, format string) string {
	return fmt.Sprintf("part-%06d.%s", gen, format)
}

func touchedName(gen int) string { return fmt.Sprintf("touched-%06d.csv", gen) }

// readInfo reads a generation's state.json.
func readInfo(dir, genDir string) (stateInfo, error) {
	var info stateInfo
	data, err := os.ReadFile(filepath.Join(genDir, "state.json"))
	if err != nil {
		return info, fmt.Errorf("state %s: %v: the state is damaged; rebuild it from the exports", dir, err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("state %s: state.json: %v: the state is damaged; rebuild it from the exports", dir, err)
	}
	if info.Layout != layoutVersion {
		return info, fmt.Errorf("state %s was written by another version of fhirql (layout %d, not %d): build a new state directory from the exports", dir, info.Layout, layoutVersion)
	}
	return info, nil
}

// linkFile links src at dst: the file is shared, never copied. Where the
// file system has no hard links, it is copied.
func linkFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// emptyTable is a table without rows: a CSV header, or nothing.
func emptyTable(v *plan.View, format string) []byte {
	if format != "csv" {
		return nil
	}
	var hb bytes.Buffer
	for i, c := range v.Columns {
		if i > 0 {
			hb.WriteByte(',')
		}
		hb.WriteString(csvField(c.Name))
	}
	hb.WriteString("\r\n")
	return hb.Bytes()
}

// beforeSwitch, when set (by tests), runs when the new generation is
// complete and the switch is next: a crash stand-in.
var beforeSwitch func() error

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// staleGenerations lists generation directories other than the current
// one: left by an apply that crashed before its switch.
func staleGenerations(dir, cur string) []string {
	ms, _ := filepath.Glob(filepath.Join(dir, "gen-*"))
	var out []string
	for _, m := range ms {
		if m != cur {
			out = append(out, m)
		}
	}
	return out
}

func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// countRecords counts the rows of a table file (a CSV header excluded).
func countRecords(path, format string) (int64, error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	var n int64
	err = eachRecords(in, format, func(_ []byte, recs [][2]int) error {
		n += int64(len(recs))
		return nil
	})
	if format == "csv" && n > 0 {
		n--
	}
	return n, err
}

// eachRecords reads r in large blocks and calls fn with each block and the
// spans of the whole records in it: lines (NDJSON) or CSV records, whose
// quoted fields may hold newlines. A record is never split across calls.
func eachRecords(r io.Reader, format string, fn func(block []byte, recs [][2]int) error) error {
	buf := make([]byte, 0, 8<<20)
	var recs [][2]int
	eof := false
	for !eof {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), 2*cap(buf))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			eof = true
		} else if err != nil {
			return err
		}
		recs = recs[:0]
		start, quotes := 0, 0
		for i := 0; i < len(buf); {
			j := bytes.IndexByte(buf[i:], '\n')
			if j < 0 {
				break
			}
			if format == "csv" {
				quotes += bytes.Count(buf[i:i+j], []byte{'"'})
			}
			i += j + 1
			if quotes%2 == 0 {
				recs = append(recs, [2]int{start, i})
				start, quotes = i, 0
			}
		}
		if eof && start < len(buf) {
			recs = append(recs, [2]int{start, len(buf)})
			start = len(buf)
		}
		if len(recs) > 0 {
			if err := fn(buf, recs); err != nil {
				return err
			}
		}
		rest := copy(buf, buf[start:])
		buf = buf[:rest]
	}
	return nil
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

var ndjsonKeyMarker = []byte(`"` + KeyColumn + `":"`)

// recordKey reads the key a row ends with.
func recordKey(rec []byte, format string) (typ, id []byte, ok bool) {
	rec = bytes.TrimRight(rec, "\r\n")
	var key []byte
	if format == "csv" {
		i := bytes.LastIndexByte(rec, ',')
		if i < 0 {
			return nil, nil, false
		}
		key = bytes.Trim(rec[i+1:], `"`)
	} else {
		marker := ndjsonKeyMarker
		i := bytes.LastIndex(rec, marker)
		if i < 0 {
			return nil, nil, false
		}
		key = rec[i+len(marker):]
		j := bytes.IndexByte(key, '"')
		if j < 0 {
			return nil, nil, false
		}
		key = key[:j]
	}
	t, i, found := bytes.Cut(key, []byte{'/'})
	// A resource without an id has the key "Type/": its rows are never
	// removed (it can be neither updated nor deleted).
	return t, i, found && len(t) > 0
}
