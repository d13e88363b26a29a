package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Apply applies one export to the state in dir (created when absent) and
// returns what it did; with e nil it only compacts an existing state, as
// a generation of its own. opts are those of runtime.Run (Inputs, Keep,
// OutDir and Rows are set here).
//
// It holds the state's lock (unless the caller does, Config.Lock) and
// runs the phases of an applier in order; any failure before the switch
// removes the new generation and leaves the current one as it was.
func Apply(ctx context.Context, views []*plan.View, dir string, e *Export, cfg Config, opts runtime.Options) (*ApplyStats, error) {
	start := time.Now()
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
	a := &applier{ctx: ctx, views: views, kviews: withKeys(views), dir: dir, absDir: absDir, e: e, cfg: cfg, opts: opts,
		st: &ApplyStats{}, nx: NewIndex(), lap: start}
	if e != nil {
		a.st.Export = e.Name
	}
	defer a.close()
	if err := a.openCurrent(); err != nil {
		return nil, err
	}
	if err := a.readExport(); err != nil {
		return nil, err
	}
	a.phase(0)
	if err := a.build(); err != nil {
		os.RemoveAll(a.genDir)
		return nil, err
	}
	a.st.Elapsed = time.Since(start)
	return a.st, nil
}

// build writes the new generation and switches to it; the caller removes
// the generation's directory when it fails. Linking is timed with the
// index (ApplyStats.Phases[1]).
func (a *applier) build() error {
	if err := a.linkCurrent(); err != nil {
		return err
	}
	if err := a.decideKeys(); err != nil {
		return err
	}
	a.phase(1)
	if err := a.evaluate(); err != nil {
		return err
	}
	a.phase(2)
	if err := a.writeSegments(); err != nil {
		return err
	}
	a.phase(3)
	if err := a.compactIfDue(); err != nil {
		return err
	}
	a.phase(4)
	return a.commit()
}

// applier is one apply: the generation it starts from, the one it
// builds, and what each phase hands the next. Its methods are the
// phases, in the order Apply runs them.
type applier struct {
	ctx           context.Context
	views, kviews []*plan.View // kviews: the views with the key column
	dir, absDir   string
	e             *Export // nil: a compaction alone
	cfg           Config
	opts          runtime.Options
	st            *ApplyStats
	lap           time.Time // the end of the last phase timed

	info   stateInfo // the current generation's, updated into the new one's
	curGen string    // the current generation's directory; "" for a new state

	gen             int // the new generation, and the export's ordinal in the rule
	genName, genDir string

	nx       *Index       // the export's keys
	base     *baseIndex   // the current base index
	oldDelta *indexReader // the current delta index

	// decideKeys' verdicts: the export's lines whose rows are inserted
	// (sorted positions), the names of the keys touched, and the count of
	// keys whose rows are removed.
	winners []uint64
	touched []string
	removed int

	newFiles []string // per view, evaluate's table of the winning lines ("" when none)
}

// phase records the time since the last phase as phase i's.
func (a *applier) phase(i int) {
	now := time.Now()
	a.st.Phases[i] = now.Sub(a.lap)
	a.lap = now
}

// close releases the current generation's indexes.
func (a *applier) close() {
	if a.base != nil {
		a.base.Close()
	}
	if a.oldDelta != nil {
		a.oldDelta.Close()
	}
}

// openCurrent reads the current generation's state.json, refuses a state
// of other views or another format (its tables would mix two
// definitions), and opens its indexes; with no current generation it
// starts a new state, unless there is only a compaction to do.
func (a *applier) openCurrent() error {
	dir, cfg := a.dir, a.cfg
	cur := filepath.Join(dir, "current")
	target, err := os.Readlink(cur)
	switch {
	case err == nil:
		a.curGen = filepath.Join(dir, target)
		if a.info, err = readInfo(dir, a.curGen); err != nil {
			return err
		}
		if a.info.Plans != plansHash(a.views) {
			return fmt.Errorf("state %s was built with other views (%s): its tables would mix two definitions; build a new state directory for these views", dir, strings.Join(a.info.Views, ", "))
		}
		if cfg.Format != "" && cfg.Format != a.info.Format {
			return fmt.Errorf("state %s holds %s tables, not %s: leave --format out or build a new state directory", dir, a.info.Format, cfg.Format)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("state %s: %v", dir, err)
	case a.e == nil:
		return fmt.Errorf("state %s holds no tables yet: apply an export first (--export)", dir)
	default:
		a.info = stateInfo{Layout: layoutVersion, Format: cfg.Format, Plans: plansHash(a.views)}
		if a.info.Format == "" {
			a.info.Format = "csv"
		}
		for _, v := range a.views {
			a.info.Views = append(a.info.Views, v.Name)
		}
		a.info.Tables = outname.Files(a.info.Views, "", "index.bin", "index.dir", "delta.bin", "state.json", "duckdb.sql")
		a.info.Segments = make([][]int, len(a.views))
	}
	if a.info.Format != "csv" && a.info.Format != "ndjson" {
		return fmt.Errorf("a state keeps csv or ndjson tables (their rows can be rewritten by key), not %s", a.info.Format)
	}
	a.gen = a.info.Generation + 1
	a.st.Generation = a.gen
	a.genName = fmt.Sprintf("gen-%06d", a.gen)
	if a.curGen == "" {
		return nil
	}
	// The touched list names the keys (a new state has none, and does
	// not keep the names).
	a.nx.names = map[Key]string{}
	if a.base, err = openBase(filepath.Join(a.curGen, "index.bin"), filepath.Join(a.curGen, "index.dir")); err != nil {
		return err
	}
	if a.oldDelta, err = openIndex(filepath.Join(a.curGen, "delta.bin")); err != nil {
		return err
	}
	// The delta's texts extend the base's: versionIds met since.
	for i, t := range a.oldDelta.texts {
		a.nx.texts = append(a.nx.texts, t)
		a.nx.textIdx[t] = uint32(i)
	}
	return nil
}

// readExport reads the export's keys (its deletion lists, then its
// resource files' first pass) into the index: the whole of the apply's
// memory, bounded by the export, never by the state.
func (a *applier) readExport() error {
	e := a.e
	if e != nil {
		// The export's ordinal in the rule is its generation: exports are
		// applied in the order given.
		ex := int32(a.gen)
		e.at = e.TransactionTime
		if e.at.IsZero() && a.info.LastTime != "" {
			e.at, _ = time.Parse(time.RFC3339Nano, a.info.LastTime)
		}
		for _, f := range e.Deleted {
			if err := a.nx.readDeleted(f, ex, e); err != nil {
				return err
			}
		}
		maxLine := a.opts.MaxLineBytes
		if maxLine <= 0 {
			maxLine = runtime.DefaultMaxLineBytes
		}
		if len(e.Output) > 0 {
			exIdx := make([]int32, len(e.Output))
			exports := make([]*Export, a.gen+1)
			exports[a.gen] = e
			for i := range exIdx {
				exIdx[i] = ex
			}
			if err := a.nx.scanOutputs(a.ctx, e.Output, exIdx, exports, a.opts.MaxErrors, maxLine); err != nil {
				return err
			}
		}
	}
	a.st.Versions, a.st.Deletions = a.nx.Versions, a.nx.Deletions
	return nil
}

// linkCurrent creates the new generation's directory next to the current
// one (removing what a crashed apply left) and hard-links the current
// generation's immutable files into it: the base index, the touched
// lists and the segments, shared, never copied or written to, so that
// the current generation stays intact whatever happens to the new one.
func (a *applier) linkCurrent() error {
	for _, stale := range staleGenerations(a.dir, a.curGen) {
		os.RemoveAll(stale)
	}
	a.genDir = filepath.Join(a.dir, a.genName)
	os.RemoveAll(a.genDir)
	if err := os.MkdirAll(a.rowsDir(), 0o755); err != nil {
		return err
	}
	info := &a.info
	for _, t := range info.Tables {
		if err := os.MkdirAll(filepath.Join(a.genDir, t), 0o755); err != nil {
			return err
		}
	}
	if a.curGen == "" {
		return nil
	}
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
		if err := linkFile(filepath.Join(a.curGen, l), filepath.Join(a.genDir, l)); err != nil {
			return err
		}
	}
	return nil
}

// rowsDir is where evaluate writes the winning lines' tables before
// they become segments.
func (a *applier) rowsDir() string { return filepath.Join(a.genDir, ".rows") }

// decideKeys decides each key the export names from its record (in the
// delta index, else in the base, else none), and writes the new
// generation's indexes with the merged records: a new state's base index
// (the export's keys), and the delta index, the old one with the
// export's changes merged in. A key the delta lacks is looked up in the
// base with one small read, and joins the delta only when its record
// changes, so that the delta follows the changes since the base.
func (a *applier) decideKeys() error {
	changes := a.nx.changes()
	a.nx.m, a.nx.dels = nil, nil
	if a.curGen == "" {
		// A new state: the export's keys are the base, and there is
		// nothing earlier for a touched list to hide.
		iw, err := createIndex(filepath.Join(a.genDir, "index.bin"), a.nx.texts, filepath.Join(a.genDir, "index.dir"), int64(len(changes)))
		if err != nil {
			return err
		}
		err = mergeIndex(iw, nil, sliceChanges(changes), func(_, ch *record) (record, bool, error) { return a.decide(nil, ch), true, nil })
		if cerr := iw.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		a.info.Base, a.info.BaseKeys = a.gen, iw.n
		a.touched = nil
	}
	iw, err := createIndex(filepath.Join(a.genDir, "delta.bin"), a.nx.texts, "", 0)
	if err != nil {
		return err
	}
	if a.curGen != "" {
		var enc1, enc2 [recSize]byte
		err = mergeIndex(iw, a.oldDelta, sliceChanges(changes), func(o, ch *record) (record, bool, error) {
			if o != nil {
				return a.decide(o, ch), true, nil
			}
			var br record
			ok, err := a.base.find(ch.k, &br)
			if err != nil || !ok {
				return a.decide(nil, ch), err == nil, err
			}
			r := a.decide(&br, ch)
			r.encode(enc1[:])
			br.encode(enc2[:])
			return r, enc1 != enc2, nil
		})
	}
	if cerr := iw.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	a.info.DeltaKeys = iw.n
	a.st.Changed, a.st.Inserted = a.removed, len(a.winners)
	slices.Sort(a.winners)
	return nil
}

// decide merges the export's record ch of a key into its old record o
// (nil: none) by the rule of docs/versions.md, and notes the verdict:
// whether the key's old rows go (an update, a deletion), whether a line
// of the export brings its new rows (a winner), and, when either, that
// the key is touched in this generation.
func (a *applier) decide(o *record, ch *record) record {
	var ov, od fact
	hadV, hadD := false, false
	if o != nil {
		ov, od, hadV, hadD = o.v, o.d, o.hasV, o.hasD
	}
	oldPresent := hadV && (!hadD || beats(&ov, &od))
	v, d := ov, od
	fromNew := false
	if ch.hasV && (!hadV || a.nx.newer(&ch.v, &ov)) {
		v, fromNew, hadV = ch.v, true, true
	}
	if ch.hasD && (!hadD || newerDeletion(&ch.d, &od)) {
		d, hadD = ch.d, true
	}
	newPresent := hadV && (!hadD || beats(&v, &d))
	rows := false
	if oldPresent && (!newPresent || fromNew) {
		a.removed++
		rows = true
	}
	if newPresent && fromNew {
		a.winners = append(a.winners, v.pos)
		rows = true
	}
	// A resource without an id has no name: its rows are never
	// removed, and its key (its line's position) names no rows.
	if name, ok := a.nx.names[ch.k]; rows && ok {
		a.touched = append(a.touched, name)
	}
	v.pos = 0
	return record{k: ch.k, v: v, d: d, hasV: hadV, hasD: hadD}
}

// evaluate runs the views on the winning lines only (the export's files
// read a second time, every other line skipped): the apply's evaluation
// follows the changes, not the export, and never the state.
func (a *applier) evaluate() error {
	a.newFiles = make([]string, len(a.views))
	if len(a.winners) == 0 {
		return nil
	}
	opts := a.opts
	p := &Plan{winners: a.winners}
	opts.Inputs, opts.Stdin, opts.Keep, opts.OutDir, opts.Rows, opts.Format = a.e.Output, nil, p.Keep, a.rowsDir(), nil, a.info.Format
	opts.MaxErrors -= int(a.nx.Skipped)
	sum, err := runtime.Run(a.ctx, a.kviews, opts)
	if err != nil {
		return err
	}
	for i := range a.views {
		a.newFiles[i] = sum.Views[i].Path
	}
	return nil
}

// writeSegments makes each view's new rows its segment of this
// generation (a rename; no file when there are none, but a new state's
// tables always get a base, even empty, so that they are readable), and
// writes the touched list: what hides earlier rows of these keys.
func (a *applier) writeSegments() error {
	info, gen := &a.info, a.gen
	a.st.RowsNew = make([]int64, len(a.views))
	for i, v := range a.kviews {
		seg := filepath.Join(a.genDir, info.Tables[i], segmentName(gen, info.Format))
		var n int64
		var err error
		if a.newFiles[i] != "" {
			if n, err = countRecords(a.newFiles[i], info.Format); err != nil {
				return err
			}
		}
		switch {
		case n > 0 || (a.curGen == "" && a.newFiles[i] != ""):
			err = os.Rename(a.newFiles[i], seg)
		case a.curGen == "":
			// A new state whose export brings no rows: an empty base, so
			// that the table is readable.
			err = writeSynced(seg, emptyTable(v, info.Format))
		default:
			continue
		}
		if err != nil {
			return err
		}
		info.Segments[i] = append(info.Segments[i], gen)
		a.st.RowsNew[i] = n
	}
	os.RemoveAll(a.rowsDir())
	if len(a.touched) == 0 {
		return nil
	}
	slices.Sort(a.touched)
	var b bytes.Buffer
	b.WriteString(KeyColumn + ",generation\n")
	g := strconv.Itoa(gen)
	for _, k := range a.touched {
		b.WriteString(k)
		b.WriteByte(',')
		b.WriteString(g)
		b.WriteByte('\n')
	}
	if err := writeSynced(filepath.Join(a.genDir, touchedName(gen)), b.Bytes()); err != nil {
		return err
	}
	info.Touched = append(info.Touched, gen)
	return nil
}

// compactIfDue compacts the new generation when asked (a compaction
// alone, Config.Compact) or when the keys changed since the base exceed
// Config.CompactAt of it: the price of applies that leave the base alone
// is paid here, once in a while, and keeps readers' dead rows bounded.
func (a *applier) compactIfDue() error {
	at := a.cfg.CompactAt
	if at == 0 {
		at = DefaultCompactAt
	}
	info := &a.info
	if a.curGen == "" || !(a.e == nil || a.cfg.Compact || (at >= 0 && float64(info.DeltaKeys) > at*float64(info.BaseKeys))) {
		return nil
	}
	live, err := compact(a.genDir, a.gen, info, a.kviews, &a.st.CompactPhases)
	if err != nil {
		return fmt.Errorf("compacting: %v", err)
	}
	a.st.Compacted, a.st.LiveRows = true, live
	return nil
}

// commit writes the new generation's duckdb.sql and state.json, syncs
// it, and switches DIR/current to it by renaming a new link over the old
// one: the one atomic step of an apply, before which the current
// generation is untouched and after which the new one is complete. The
// old generation's directory goes last: its files live on as the new
// one's links.
func (a *applier) commit() error {
	info, e := &a.info, a.e
	a.st.BaseKeys, a.st.DeltaKeys = info.BaseKeys, info.DeltaKeys
	info.Generation = a.gen
	if e != nil {
		info.Exports = append(info.Exports, e.Name)
		if !e.at.IsZero() {
			info.LastTime = e.at.Format(time.RFC3339Nano)
		}
	}
	info.Updated = time.Now().UTC().Format(time.RFC3339)
	if err := writeSynced(filepath.Join(a.genDir, "duckdb.sql"), duckdbSQL(filepath.Join(a.absDir, a.genName), info, a.kviews)); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(info, "", "  ")
	if err := writeSynced(filepath.Join(a.genDir, "state.json"), data); err != nil {
		return err
	}
	for _, t := range info.Tables {
		syncDir(filepath.Join(a.genDir, t))
	}
	syncDir(a.genDir)
	if beforeSwitch != nil {
		if err := beforeSwitch(); err != nil {
			return err
		}
	}
	tmpLink := filepath.Join(a.dir, ".current-"+strconv.Itoa(os.Getpid()))
	os.Remove(tmpLink)
	if err := os.Symlink(a.genName, tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, filepath.Join(a.dir, "current")); err != nil {
		os.Remove(tmpLink)
		return err
	}
	syncDir(a.dir)
	if a.curGen != "" {
		os.RemoveAll(a.curGen)
	}
	return nil
}
