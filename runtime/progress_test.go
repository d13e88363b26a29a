package runtime

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fhirql/fhirql/compiler/plan"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// slowReader hands out its lines slowly so that a run lasts a few
// progress intervals.
type slowReader struct{ lines []string }

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.lines) == 0 {
		return 0, os.ErrClosed
	}
	time.Sleep(15 * time.Millisecond)
	n := copy(p, s.lines[0])
	s.lines = s.lines[1:]
	return n, nil
}

func TestProgress(t *testing.T) {
	old := progressEvery
	progressEvery = 10 * time.Millisecond
	defer func() { progressEvery = old }()
	var lines []string
	for i := 0; i < 10; i++ {
		lines = append(lines, `{"resourceType":"Patient","id":"p"}`+"\n")
	}
	v := &plan.View{Name: "v", Resource: "Patient", Root: &plan.Select{}}
	var progress lockedBuffer
	dir := t.TempDir()
	_, err := Run(context.Background(), []*plan.View{v}, Options{Inputs: []string{"-"}, Stdin: &eofReader{&slowReader{lines}},
		OutDir: filepath.Join(dir, "out"), Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	out := progress.b.String()
	if !strings.Contains(out, "\rread ") || !strings.Contains(out, "rows written") || !strings.Contains(out, "MB/s") {
		t.Errorf("progress output %q", out)
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("the progress line is not cleared at the end: %q", out)
	}
}

// eofReader turns the slow reader's end into io.EOF.
type eofReader struct{ r *slowReader }

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		return 0, io.EOF
	}
	return n, nil
}
