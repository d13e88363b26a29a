// Package testsvc gives tests the real services fhirql talks to, from the
// project's shared tools (../shared/tools beside the repository): Azurite,
// Microsoft's Azure Storage emulator, and the SMART Bulk Data reference
// server. .ci/run starts both once and exports their addresses
// (FHIRQL_TEST_AZURITE, FHIRQL_TEST_BULKSERVER); otherwise a test starts
// its own instance on a free port and stops it when it ends. Where the
// tools or node are missing the test is skipped with that reason written
// out, never silently.
package testsvc

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Azurite returns the connection string of a running Azurite blob
// service (account devstoreaccount1, path-style endpoint on 127.0.0.1).
func Azurite(t testing.TB) string {
	t.Helper()
	if cs := os.Getenv("FHIRQL_TEST_AZURITE"); cs != "" {
		return cs
	}
	out := start(t, "azurite", nil)
	return out["CONNECTION_STRING"]
}

// BulkServer returns the FHIR base URL (http://127.0.0.1:PORT/fhir) of a
// running SMART Bulk Data reference server, started without its rate
// limit (60 requests a minute per client would block a test suite).
func BulkServer(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("FHIRQL_TEST_BULKSERVER"); b != "" {
		return b
	}
	out := start(t, "bulkserver", []string{"RATE_LIMIT=100000"})
	return out["BASE_URL"]
}

// start runs shared/tools/NAME/start.sh on a free port and registers its
// stop.sh; it returns the KEY=VALUE lines start.sh prints.
func start(t testing.TB, name string, env []string) map[string]string {
	t.Helper()
	tools := sharedTools()
	if tools == "" {
		t.Skipf("needs the %s service: ../shared/tools is not beside the repository (set FHIRQL_SHARED, or FHIRQL_TEST_%s to a running one)", name, strings.ToUpper(name))
	}
	script := filepath.Join(tools, name, "start.sh")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("needs the %s service: %s is missing", name, script)
	}
	for _, bin := range []string{"node", "npm", "curl", "bash"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs the %s service, which needs %s on PATH", name, bin)
		}
	}
	port := strconv.Itoa(freePort(t))
	// Test binaries of several packages run at once; the first install
	// of a tool must not run twice into the same directory.
	unlock := lock(t, filepath.Join(os.TempDir(), "fhirql-testsvc-"+name+".lock"))
	defer unlock()
	cmd := exec.Command("bash", script, port)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s start.sh %s failed: %v\n%s", name, port, err, stderr.String())
	}
	t.Cleanup(func() {
		stop := exec.Command("bash", filepath.Join(tools, name, "stop.sh"), port)
		stop.Env = append(os.Environ(), env...)
		if out, err := stop.CombinedOutput(); err != nil {
			t.Logf("%s stop.sh %s: %v\n%s", name, port, err, out)
		}
	})
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vals[k] = v
		}
	}
	return vals
}

// sharedTools finds shared/tools: $FHIRQL_SHARED/tools, or ../shared/tools
// beside the repository root (the directory holding go.mod).
func sharedTools() string {
	if s := os.Getenv("FHIRQL_SHARED"); s != "" {
		return filepath.Join(s, "tools")
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			t := filepath.Join(filepath.Dir(dir), "shared", "tools")
			if st, err := os.Stat(t); err == nil && st.IsDir() {
				return t
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// lock takes a lock file (created exclusively; one older than the
// longest install is taken as left by a killed test) and returns its
// release.
func lock(t testing.TB, path string) func() {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }
		}
		if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > 10*time.Minute {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 minutes for %s", path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
