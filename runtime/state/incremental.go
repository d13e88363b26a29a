package state

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime"
)

// A state directory keeps tables current across `_since` exports:
//
//	DIR/current        a symbolic link to the current generation
//	DIR/gen-000042/    one generation: the views' tables (<view>.csv or
//	                   .ndjson, each row ending with _resource_key),
//	                   index.bin (the key index) and state.json
//
// Applying an export writes a whole new generation next to the current
// one and then renames a new link over DIR/current, which is atomic: a
// crash before the rename leaves the previous generation current and
// intact (the unfinished one is removed by the next apply), a crash after
// it leaves the new one. Readers open DIR/current/<view>.<ext>.

// stateInfo is state.json.
type stateInfo struct {
	Generation int      `json:"generation"`
	Format     string   `json:"format"`
	Views      []string `json:"views"`
	Plans      string   `json:"plans"` // sha256 of the views' plans
	Files      []string `json:"files"` // per view, the table's file name
	Exports    []string `json:"exports"`
	// LastTime is the stand-in time of the last export applied, for a
	// next export without a manifest.
	LastTime string `json:"lastTime,omitempty"`
	Updated  string `json:"updated"`
}

// ApplyStats reports one applied export.
type ApplyStats struct {
	Generation int
	Export     string
	Versions   int64 // resource lines in the export
	Deletions  int64 // deletion entries in the export
	Changed    int   // ids whose rows were removed (updated or deleted)
	Inserted   int   // ids whose rows were (re)inserted
	RowsKept   []int64
	RowsNew    []int64
	Elapsed    time.Duration
	// Phases: the export's first pass (keys), merging it into the index
	// file, evaluating its winning lines, rewriting the tables.
	Phases [4]time.Duration
}

// Write prints the stats for a person.
func (s *ApplyStats) Write(w io.Writer) {
	var kept, added int64
	for i := range s.RowsKept {
		kept += s.RowsKept[i]
		added += s.RowsNew[i]
	}
	fmt.Fprintf(w, "state generation %d: applied %s (%d version(s), %d deletion(s)) in %s: rows of %d id(s) removed, %d id(s) inserted; %d row(s) kept, %d new\n",
		s.Generation, s.Export, s.Versions, s.Deletions, s.Elapsed.Round(time.Millisecond), s.Changed, s.Inserted, kept, added)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Fprintf(w, "  export keys %s, index merge %s, evaluation %s, table rewrite %s\n", r(s.Phases[0]), r(s.Phases[1]), r(s.Phases[2]), r(s.Phases[3]))
}

func plansHash(views []*plan.View) string {
	h := sha256.New()
	for _, v := range views {
		io.WriteString(h, plan.Dump(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Apply applies one export to the state in dir (created when absent) and
// returns what it did. format is "csv" or "ndjson" ("" keeps the state's,
// csv for a new one). opts are those of runtime.Run (Inputs, Keep,
// OutDir and Rows are set here).
func Apply(ctx context.Context, views []*plan.View, dir string, e *Export, format string, opts runtime.Options) (*ApplyStats, error) {
	start := time.Now()
	st := &ApplyStats{Export: e.Name}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the state directory: %v", err)
	}
	cur := filepath.Join(dir, "current")
	var info stateInfo
	var old *indexReader
	curGen := ""
	if target, err := os.Readlink(cur); err == nil {
		curGen = filepath.Join(dir, target)
		data, err := os.ReadFile(filepath.Join(curGen, "state.json"))
		if err != nil {
			return nil, fmt.Errorf("state %s: %v: the state is damaged; rebuild it from the exports", dir, err)
		}
		if err := json.Unmarshal(data, &info); err != nil {
			return nil, fmt.Errorf("state %s: state.json: %v: the state is damaged; rebuild it from the exports", dir, err)
		}
		if info.Plans != plansHash(views) {
			return nil, fmt.Errorf("state %s was built with other views (%s): its tables would mix two definitions; build a new state directory for these views", dir, strings.Join(info.Views, ", "))
		}
		if format != "" && format != info.Format {
			return nil, fmt.Errorf("state %s holds %s tables, not %s: leave --format out or build a new state directory", dir, info.Format, format)
		}
		if old, err = openIndex(filepath.Join(curGen, "index.bin")); err != nil {
			return nil, err
		}
		defer old.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("state %s: %v", dir, err)
	} else {
		if format == "" {
			format = "csv"
		}
		info = stateInfo{Format: format, Plans: plansHash(views)}
		for _, v := range views {
			info.Views = append(info.Views, v.Name)
		}
	}
	if info.Format != "csv" && info.Format != "ndjson" {
		return nil, fmt.Errorf("a state keeps csv or ndjson tables (their rows can be rewritten by key), not %s", info.Format)
	}
	lap := start
	phase := func(i int) {
		now := time.Now()
		st.Phases[i] = now.Sub(lap)
		lap = now
	}
	gen := info.Generation + 1
	st.Generation = gen
	// The export's ordinal in the rule is its generation: exports are
	// applied in the order given.
	ex := int32(gen)
	e.at = e.TransactionTime
	if e.at.IsZero() && info.LastTime != "" {
		e.at, _ = time.Parse(time.RFC3339Nano, info.LastTime)
	}
	nx := NewIndex()
	if old != nil {
		for i, t := range old.texts {
			nx.texts = append(nx.texts, t)
			nx.textIdx[t] = uint32(i)
		}
	}
	for _, f := range e.Deleted {
		if err := nx.readDeleted(f, ex, e); err != nil {
			return nil, err
		}
	}
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = runtime.DefaultMaxLineBytes
	}
	if len(e.Output) > 0 {
		exIdx := make([]int32, len(e.Output))
		exports := make([]*Export, gen+1)
		exports[gen] = e
		for i := range exIdx {
			exIdx[i] = ex
		}
		if err := nx.scanOutputs(ctx, e.Output, exIdx, exports, opts.MaxErrors, maxLine); err != nil {
			return nil, err
		}
	}
	st.Versions, st.Deletions = nx.Versions, nx.Deletions
	phase(0)

	// The new generation.
	for _, stale := range staleGenerations(dir, curGen) {
		os.RemoveAll(stale)
	}
	genDir := filepath.Join(dir, fmt.Sprintf("gen-%06d", gen))
	os.RemoveAll(genDir)
	rowsDir := filepath.Join(genDir, ".rows")
	if err := os.MkdirAll(rowsDir, 0o755); err != nil {
		return nil, err
	}
	fail := func(err error) (*ApplyStats, error) {
		os.RemoveAll(genDir)
		return nil, err
	}

	// Merge the keys the export touches into the index, in one pass over
	// the current index file, deciding per key whether its rows go
	// (remove) and which line brings its new rows (winners).
	remove := map[Key]struct{}{}
	var winners []uint64
	merge := func(o *record, ch *record) record {
		var ov, od fact
		hadV, hadD := false, false
		if o != nil {
			ov, od, hadV, hadD = o.v, o.d, o.hasV, o.hasD
		}
		oldPresent := hadV && (!hadD || beats(&ov, &od))
		v, d := ov, od
		fromNew := false
		if ch.hasV && (!hadV || nx.newer(&ch.v, &ov)) {
			v, fromNew, hadV = ch.v, true, true
		}
		if ch.hasD && (!hadD || newerDeletion(&ch.d, &od)) {
			d, hadD = ch.d, true
		}
		newPresent := hadV && (!hadD || beats(&v, &d))
		if oldPresent && (!newPresent || fromNew) {
			remove[ch.k] = struct{}{}
		}
		if newPresent && fromNew {
			winners = append(winners, v.pos)
		}
		v.pos = 0
		return record{k: ch.k, v: v, d: d, hasV: hadV, hasD: hadD}
	}
	changes := nx.changes()
	nx.m, nx.dels = nil, nil
	if _, err := mergeIndex(filepath.Join(genDir, "index.bin"), nx.texts, old, changes, merge); err != nil {
		return fail(err)
	}
	changes = nil
	st.Changed, st.Inserted = len(remove), len(winners)
	slices.Sort(winners)
	phase(1)

	kviews := withKeys(views)
	newFiles := make([]string, len(views))
	if len(winners) > 0 {
		p := &Plan{winners: winners}
		opts.Inputs, opts.Stdin, opts.Keep, opts.OutDir, opts.Rows, opts.Format = e.Output, nil, p.Keep, rowsDir, nil, info.Format
		opts.MaxErrors -= int(nx.Skipped)
		sum, err := runtime.Run(ctx, kviews, opts)
		if err != nil {
			return fail(err)
		}
		for i := range views {
			newFiles[i] = sum.Views[i].Path
		}
	}
	if info.Files == nil {
		for i, v := range views {
			name := filepath.Base(newFiles[i])
			if name == "." || name == "" {
				name = safeName(v.Name) + "." + info.Format
			}
			info.Files = append(info.Files, name)
		}
	}
	phase(2)
	st.RowsKept = make([]int64, len(views))
	st.RowsNew = make([]int64, len(views))
	for i, v := range kviews {
		oldPath := ""
		if curGen != "" {
			oldPath = filepath.Join(curGen, info.Files[i])
		}
		kept, added, err := mergeTable(filepath.Join(genDir, info.Files[i]), oldPath, newFiles[i], info.Format, v, remove)
		if err != nil {
			return fail(fmt.Errorf("rewriting the table of view %s: %v", v.Name, err))
		}
		st.RowsKept[i], st.RowsNew[i] = kept, added
	}
	os.RemoveAll(rowsDir)
	phase(3)
	info.Generation = gen
	info.Exports = append(info.Exports, e.Name)
	if !e.at.IsZero() {
		info.LastTime = e.at.Format(time.RFC3339Nano)
	}
	info.Updated = time.Now().UTC().Format(time.RFC3339)
	data, _ := json.MarshalIndent(info, "", "  ")
	if err := writeSynced(filepath.Join(genDir, "state.json"), data); err != nil {
		return fail(err)
	}
	if beforeSwitch != nil {
		if err := beforeSwitch(); err != nil {
			return fail(err)
		}
	}
	// The switch: a new link renamed over the old one.
	tmpLink := filepath.Join(dir, ".current-"+strconv.Itoa(os.Getpid()))
	os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(genDir), tmpLink); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpLink, cur); err != nil {
		os.Remove(tmpLink)
		return fail(err)
	}
	syncDir(dir)
	if curGen != "" {
		os.RemoveAll(curGen)
	}
	st.Elapsed = time.Since(start)
	return st, nil
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

// mergeTable writes path: the rows of oldPath whose key is not in remove,
// then the rows of newPath. Rows are copied as bytes, never decoded: a
// row's key is its last field (CSV) or its last member (NDJSON), and a
// CSV header is written once. Runs of kept rows are written in one piece.
func mergeTable(path, oldPath, newPath, format string, v *plan.View, remove map[Key]struct{}) (kept, added int64, err error) {
	if oldPath == "" && newPath != "" {
		// A new state: the evaluated rows are the table.
		n, err := countRecords(newPath, format)
		if err != nil {
			return 0, 0, err
		}
		return 0, n, os.Rename(newPath, path)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	header := format == "csv"
	wroteHeader := false
	copyRows := func(src string, filter bool) (int64, error) {
		if src == "" {
			return 0, nil
		}
		in, err := os.Open(src)
		if err != nil {
			return 0, err
		}
		defer in.Close()
		var n int64
		first := header
		err = eachRecords(in, format, func(block []byte, recs [][2]int) error {
			runStart, runEnd := -1, -1
			flush := func() {
				if runStart >= 0 {
					w.Write(block[runStart:runEnd])
					runStart = -1
				}
			}
			for _, r := range recs {
				rec := block[r[0]:r[1]]
				if first {
					first = false
					if !wroteHeader {
						w.Write(rec)
						wroteHeader = true
					}
					continue
				}
				if filter && len(remove) > 0 {
					typ, id, ok := recordKey(rec, format)
					if !ok {
						return fmt.Errorf("%s: a row without its %s value: the state is damaged; rebuild it from the exports", src, KeyColumn)
					}
					if _, drop := remove[keyOf(typ, id)]; drop {
						flush()
						continue
					}
				}
				if runStart < 0 {
					runStart = r[0]
				}
				runEnd = r[1]
				n++
			}
			flush()
			return nil
		})
		return n, err
	}
	if kept, err = copyRows(oldPath, true); err != nil {
		f.Close()
		return
	}
	if added, err = copyRows(newPath, false); err != nil {
		f.Close()
		return
	}
	if header && !wroteHeader {
		// No rows yet: the header alone, so that the table is readable.
		var hb bytes.Buffer
		for i, c := range v.Columns {
			if i > 0 {
				hb.WriteByte(',')
			}
			hb.WriteString(csvField(c.Name))
		}
		hb.WriteString("\r\n")
		w.Write(hb.Bytes())
	}
	if err = w.Flush(); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return
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
