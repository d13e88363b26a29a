package ndjson

import "io"

// OpenerInput is a source that is not a local file, such as a blob in
// the data lake (storage): open is called when the reader reaches it and
// streams its bytes, which are decompressed when they start with the gzip
// magic number like a file's. name is what messages call it.
func OpenerInput(name string, open func() (io.ReadCloser, error)) Input {
	return Input{Name: name, opener: open}
}

// IsNDJSONName reports whether a file name is one a directory of inputs
// contributes (*.ndjson, *.jsonl and their .gz forms); remote listings
// use the same rule as local directories.
func IsNDJSONName(name string) bool { return isNDJSONName(name) }
