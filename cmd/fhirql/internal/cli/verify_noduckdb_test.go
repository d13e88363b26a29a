//go:build !cgo

package cli

import (
	"strings"
	"testing"
)

func TestVerifyDuckDBWithoutCgo(t *testing.T) {
	view, data := verifyFixture(t)
	code, _, errs := runFhirql("verify", view, "--input", data)
	if code != ExitErrors || !strings.Contains(errs, "built without cgo") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
}
