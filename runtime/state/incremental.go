package state

import (
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
	"github.com/fhirql/fhirql/internal/outname"
	"github.com/fhirql/fhirql/runtime"
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

// Apply applies one export to the state in dir (created when absent) and
// returns what it did; with e nil it only compacts an existing state, as
// a generation of its own. opts are those of runtime.Run (Inputs, Keep,
// OutDir and Rows are set here).
func Apply(ctx context.Context, views []*plan.View, dir string, e *Export, cfg Config, opts runtime.Options) (*ApplyStats, error) {
	start := time.Now()
	st := &ApplyStats{}
	if e != nil {
		st.Export = e.Name
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the state directory: %v", err)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if cfg.Lock == nil {
		lk, err := LockDir(dir)
		if err != nil {
			return nil, err
		}
		defer lk.Unlock()
	} else if cfg.Lock.dir != absDir || cfg.Lock.f == nil {
		return nil, fmt.Errorf("state %s: Config.Lock is not held on this directory", dir)
	}
	cur := filepath.Join(dir, "current")
	var info stateInfo
	curGen := ""
	if target, err := os.Readlink(cur); err == nil {
		curGen = filepath.Join(dir, target)
		if info, err = readInfo(dir, curGen); err != nil {
			return nil, err
		}
		if info.Plans != plansHash(views) {
			return nil, fmt.Errorf("state %s was built with other views (%s): its tables would mix two definitions; build a new state directory for these views", dir, strings.Join(info.Views, ", "))
		}
		if cfg.Format != "" && cfg.Format != info.Format {
			return nil, fmt.Errorf("state %s holds %s tables, not %s: leave --format out or build a new state directory", dir, info.Format, cfg.Format)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("state %s: %v", dir, err)
	} else if e == nil {
		return nil, fmt.Errorf("state %s holds no tables yet: apply an export first (--export)", dir)
	} else {
		info = stateInfo{Layout: layoutVersion, Format: cfg.Format, Plans: plansHash(views)}
		if info.Format == "" {
			info.Format = "csv"
		}
		for _, v := range views {
			info.Views = append(info.Views, v.Name)
		}
		info.Tables = outname.Files(info.Views, "", "index.bin", "index.dir", "delta.bin", "state.json", "duckdb.sql")
		info.Segments = make([][]int, len(views))
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
	nx := NewIndex()
	var base *baseIndex
	var oldDelta *indexReader
	if curGen != "" {
		// The touched list names the keys (a new state has none).
		nx.names = map[Key]string{}
		if base, err = openBase(filepath.Join(curGen, "index.bin"), filepath.Join(curGen, "index.dir")); err != nil {
			return nil, err
		}
		defer base.Close()
		if oldDelta, err = openIndex(filepath.Join(curGen, "delta.bin")); err != nil {
			return nil, err
		}
		defer oldDelta.Close()
		// The delta's texts extend the base's: versionIds met since.
		for i, t := range oldDelta.texts {
			nx.texts = append(nx.texts, t)
			nx.textIdx[t] = uint32(i)
		}
	}
	if e != nil {
		e.at = e.TransactionTime
		if e.at.IsZero() && info.LastTime != "" {
			e.at, _ = time.Parse(time.RFC3339Nano, info.LastTime)
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
	}
	st.Versions, st.Deletions = nx.Versions, nx.Deletions
	phase(0)

	// The new generation: the current one's immutable files linked in.
	for _, stale := range staleGenerations(dir, curGen) {
		os.RemoveAll(stale)
	}
	genName := fmt.Sprintf("gen-%06d", gen)
	genDir := filepath.Join(dir, genName)
	os.RemoveAll(genDir)
	rowsDir := filepath.Join(genDir, ".rows")
	if err := os.MkdirAll(rowsDir, 0o755); err != nil {
		return nil, err
	}
	fail := func(err error) (*ApplyStats, error) {
		os.RemoveAll(genDir)
		return nil, err
	}
	for _, t := range info.Tables {
		if err := os.MkdirAll(filepath.Join(genDir, t), 0o755); err != nil {
			return fail(err)
		}
	}
	if curGen != "" {
		links := []string{"index.bin", "index.dir"}
		for _, g := range info.Touched {
			links = append(links, touchedName(g))
		}
		for i, segs := range info.Segments {
			for _, g := range segs {
				links = append(links, filepath.Join(info.Tables[i], segmentName(g, info.Format)))
			}
		}
		for _, l := range links {
			if err := linkFile(filepath.Join(curGen, l), filepath.Join(genDir, l)); err != nil {
				return fail(err)
			}
		}
	}

	// Decide each key the export names from its record (in the delta
	// index, else in the base, else none): whether its rows go, and which
	// line brings its new rows (winners). Keys whose rows change are
	// touched in this generation.
	var winners []uint64
	var touched []string
	removed := 0
	decide := func(o *record, ch *record) record {
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
		rows := false
		if oldPresent && (!newPresent || fromNew) {
			removed++
			rows = true
		}
		if newPresent && fromNew {
			winners = append(winners, v.pos)
			rows = true
		}
		// A resource without an id has no name: its rows are never
		// removed, and its key (its line's position) names no rows.
		if name, ok := nx.names[ch.k]; rows && ok {
			touched = append(touched, name)
		}
		v.pos = 0
		return record{k: ch.k, v: v, d: d, hasV: hadV, hasD: hadD}
	}
	changes := nx.changes()
	nx.m, nx.dels = nil, nil
	if curGen == "" {
		// A new state: the export's keys are the base.
		iw, err := createIndex(filepath.Join(genDir, "index.bin"), nx.texts, filepath.Join(genDir, "index.dir"), int64(len(changes)))
		if err != nil {
			return fail(err)
		}
		err = mergeIndex(iw, nil, sliceChanges(changes), func(_, ch *record) (record, bool, error) { return decide(nil, ch), true, nil })
		if cerr := iw.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(err)
		}
		info.Base, info.BaseKeys = gen, iw.n
		touched = nil
	}
	// The delta index: the old one with the export's changes merged in;
	// a key it lacks is looked up in the base, and joins the delta only
	// when its record changes.
	iw, err := createIndex(filepath.Join(genDir, "delta.bin"), nx.texts, "", 0)
	if err != nil {
		return fail(err)
	}
	if curGen != "" {
		var enc1, enc2 [recSize]byte
		err = mergeIndex(iw, oldDelta, sliceChanges(changes), func(o, ch *record) (record, bool, error) {
			if o != nil {
				return decide(o, ch), true, nil
			}
			var br record
			ok, err := base.find(ch.k, &br)
			if err != nil || !ok {
				return decide(nil, ch), err == nil, err
			}
			r := decide(&br, ch)
			r.encode(enc1[:])
			br.encode(enc2[:])
			return r, enc1 != enc2, nil
		})
	}
	if cerr := iw.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	info.DeltaKeys = iw.n
	changes = nil
	st.Changed, st.Inserted = removed, len(winners)
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
	phase(2)
	st.RowsNew = make([]int64, len(views))
	for i, v := range kviews {
		seg := filepath.Join(genDir, info.Tables[i], segmentName(gen, info.Format))
		var n int64
		if newFiles[i] != "" {
			if n, err = countRecords(newFiles[i], info.Format); err != nil {
				return fail(err)
			}
		}
		switch {
		case n > 0 || (curGen == "" && newFiles[i] != ""):
			err = os.Rename(newFiles[i], seg)
		case curGen == "":
			// A new state whose export brings no rows: an empty base, so
			// that the table is readable.
			err = writeSynced(seg, emptyTable(v, info.Format))
		default:
			continue
		}
		if err != nil {
			return fail(err)
		}
		info.Segments[i] = append(info.Segments[i], gen)
		st.RowsNew[i] = n
	}
	os.RemoveAll(rowsDir)
	if len(touched) > 0 {
		slices.Sort(touched)
		var b bytes.Buffer
		b.WriteString(KeyColumn + ",generation\n")
		g := strconv.Itoa(gen)
		for _, k := range touched {
			b.WriteString(k)
			b.WriteByte(',')
			b.WriteString(g)
			b.WriteByte('\n')
		}
		if err := writeSynced(filepath.Join(genDir, touchedName(gen)), b.Bytes()); err != nil {
			return fail(err)
		}
		info.Touched = append(info.Touched, gen)
	}
	phase(3)
	at := cfg.CompactAt
	if at == 0 {
		at = DefaultCompactAt
	}
	if curGen != "" && (e == nil || cfg.Compact || (at >= 0 && float64(info.DeltaKeys) > at*float64(info.BaseKeys))) {
		live, err := compact(genDir, gen, &info, kviews, &st.CompactPhases)
		if err != nil {
			return fail(fmt.Errorf("compacting: %v", err))
		}
		st.Compacted, st.LiveRows = true, live
	}
	phase(4)
	st.BaseKeys, st.DeltaKeys = info.BaseKeys, info.DeltaKeys
	info.Generation = gen
	if e != nil {
		info.Exports = append(info.Exports, e.Name)
		if !e.at.IsZero() {
			info.LastTime = e.at.Format(time.RFC3339Nano)
		}
	}
	info.Updated = time.Now().UTC().Format(time.RFC3339)
	if err := writeSynced(filepath.Join(genDir, "duckdb.sql"), duckdbSQL(filepath.Join(absDir, genName), &info, kviews)); err != nil {
		return fail(err)
	}
	data, _ := json.MarshalIndent(info, "", "  ")
	if err := writeSynced(filepath.Join(genDir, "state.json"), data); err != nil {
		return fail(err)
	}
	for _, t := range info.Tables {
		syncDir(filepath.Join(genDir, t))
	}
	syncDir(genDir)
	if beforeSwitch != nil {
		if err := beforeSwitch(); err != nil {
			return fail(err)
		}
	}
	// The switch: a new link renamed over the old one.
	tmpLink := filepath.Join(dir, ".current-"+strconv.Itoa(os.Getpid()))
	os.Remove(tmpLink)
	if err := os.Symlink(genName, tmpLink); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpLink, cur); err != nil {
		os.Remove(tmpLink)
		return fail(err)
	}
	syncDir(dir)
	if curGen != "" {
		// Its files live on as the new generation's links.
		os.RemoveAll(curGen)
	}
	st.Elapsed = time.Since(start)
	return st, nil
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
