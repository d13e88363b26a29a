package state

import (
	"math"
	"strconv"
	"strings"
)

// noTime marks a version or deletion without a time of its own and
// without its export's transactionTime: it sorts before every time.
const noTime = math.MinInt64

// fact is what the index keeps of one version or deletion of a resource:
// 32 bytes, never the resource.
type fact struct {
	t   int64  // meta.lastUpdated (or its fallback), Unix nanoseconds; noTime
	v   uint64 // versionId: 0 none, 1+n for a number n, textFlag|i for text i
	pos uint64 // input<<offsetBits | byte offset of the line (versions)
	e   int32  // the export's place on the command line
	del bool   // a deletion
	own bool   // t is the fact's own time (meta.lastUpdated, response.lastModified)
}

const (
	textFlag   = 1 << 63
	offsetBits = 40 // 1 TiB per file, 16 M files
)

// newer reports whether version a comes after version b in the order of
// docs/versions.md: time (meta.lastUpdated, else the export's
// transactionTime), then versionId, then the export's place on the command
// line, then the later line. The order is total, so the latest version
// does not depend on the order in which files are read; deletions are
// kept apart and weighed against it by beats.
func (x *Index) newer(a, b *fact) bool {
	if a.t != b.t {
		return a.t > b.t
	}
	if c := x.cmpVersion(a.v, b.v); c != 0 {
		return c > 0
	}
	if a.e != b.e {
		return a.e > b.e
	}
	return a.pos > b.pos
}

// newerDeletion orders the deletions of one id: time, then export.
func newerDeletion(a, b *fact) bool {
	if a.t != b.t {
		return a.t > b.t
	}
	return a.e > b.e
}

// beats reports whether the latest version v survives the latest deletion
// d of its id: when both carry their own times they decide; otherwise a
// version in the deletion's own export was re-created after it (an
// export's output holds resources as they are at its transactionTime);
// otherwise the later time (with the transactionTime fallbacks), then
// the later export, wins, and a version wins a full tie.
func beats(v, d *fact) bool {
	if v.own && d.own {
		return v.t >= d.t
	}
	if v.e == d.e {
		return true
	}
	if v.t != d.t {
		return v.t > d.t
	}
	return v.e >= d.e
}

// cmpVersion orders versionIds: none first, then numbers by value, then
// text by bytes (a server uses one kind; mixing them is ordered, not
// meaningful).
func (x *Index) cmpVersion(a, b uint64) int {
	if a == b {
		return 0
	}
	at, bt := a&textFlag != 0, b&textFlag != 0
	switch {
	case at && bt:
		return strings.Compare(x.texts[a&^textFlag], x.texts[b&^textFlag])
	case at:
		return 1
	case bt:
		return -1
	case a < b:
		return -1
	}
	return 1
}

// version encodes a versionId.
func (x *Index) version(s string) uint64 {
	if s == "" {
		return 0
	}
	if len(s) <= 18 && s[0] != '+' && s[0] != '-' {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return 1 + n
		}
	}
	i, ok := x.textIdx[s]
	if !ok {
		i = uint32(len(x.texts))
		s = strings.Clone(s)
		x.texts = append(x.texts, s)
		x.textIdx[s] = i
	}
	return textFlag | uint64(i)
}
