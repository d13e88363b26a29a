//go:build !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm)

package ndjson

import "encoding/binary"

// load64 returns the eight bytes b[i:i+8] as a little-endian word (see
// load_le.go); on big-endian machines, with the byte swap that needs.
func load64(b []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(b[i:])
}
