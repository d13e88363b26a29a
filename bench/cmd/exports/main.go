// Command exports writes a benchmark series of two Bulk Data exports of
// Patients for runtime/state (docs/versions.md, bench/README.md): a full
// export of -n ids, and a `_since` export that updates -changed of them
// and deletes a tenth as many. Output is a function of the flags only.
//
//	go run ./bench/cmd/exports -out bench/corpus-exports -n 10000000 -changed 0.01
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "bench/corpus-exports", "directory for base/ and since/")
	n := flag.Int("n", 1000000, "Patient ids in the full export")
	changed := flag.Float64("changed", 0.01, "share of ids the _since export updates (a tenth as many are deleted)")
	flag.Parse()
	if err := write(*out, *n, *changed); err != nil {
		log.Fatal(err)
	}
}

func patient(w *bufio.Writer, i, ver int, day int) {
	fmt.Fprintf(w, `{"resourceType":"Patient","id":"pat-%08d","meta":{"versionId":"%d","lastUpdated":"2026-01-%02dT10:00:00Z"},"active":true,"gender":"%s","birthDate":"19%02d-%02d-%02d","name":[{"use":"official","family":"Family%d","given":["Given%d","Middle"]}],"address":[{"city":"City%d","postalCode":"%05d","country":"US"}]}`+"\n",
		i, ver, day, []string{"female", "male", "other"}[i%3], 30+i%70, 1+i%12, 1+i%28, i%5000, i%977, i%300, i%100000)
}

func write(out string, n int, changed float64) error {
	files := map[string]func(*bufio.Writer){}
	files["base/Patient.ndjson"] = func(w *bufio.Writer) {
		for i := 0; i < n; i++ {
			patient(w, i, 1, 1)
		}
	}
	files["base/manifest.json"] = func(w *bufio.Writer) {
		w.WriteString(`{"transactionTime":"2026-01-02T00:00:00Z","request":"$export","output":[{"type":"Patient","url":"Patient.ndjson"}],"deleted":[]}` + "\n")
	}
	step := int(1 / changed)
	files["since/Patient.ndjson"] = func(w *bufio.Writer) {
		for i := 0; i < n; i += step {
			patient(w, i, 2, 5)
		}
	}
	files["since/deleted/Bundle.ndjson"] = func(w *bufio.Writer) {
		k := 0
		for i := step / 2; i < n; i += 10 * step {
			if k%100 == 0 {
				if k > 0 {
					w.WriteString("]}\n")
				}
				w.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
			} else {
				w.WriteString(",")
			}
			fmt.Fprintf(w, `{"request":{"method":"DELETE","url":"Patient/pat-%08d"}}`, i)
			k++
		}
		if k > 0 {
			w.WriteString("]}\n")
		}
	}
	files["since/manifest.json"] = func(w *bufio.Writer) {
		w.WriteString(`{"transactionTime":"2026-01-06T00:00:00Z","request":"$export?_since=2026-01-02T00:00:00Z","output":[{"type":"Patient","url":"Patient.ndjson"}],"deleted":[{"type":"Bundle","url":"deleted/Bundle.ndjson"}]}` + "\n")
	}
	for name, fill := range files {
		p := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
