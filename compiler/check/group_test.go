package check_test

import (
	"testing"

	"github.com/fhirql/fhirql/catalog/r4"
	"github.com/fhirql/fhirql/compiler/check"
	"github.com/fhirql/fhirql/lang/ast"
	"github.com/fhirql/fhirql/lang/parse"
	"github.com/fhirql/fhirql/lang/source"
	"github.com/fhirql/fhirql/lang/viewdef"
)

// TestGroupExpansion: a view that uses groups is, for everything after the
// checker, the view written out by hand: its exported ViewDefinition is
// the same, column for column (nested groups, $this, a collection use, a
// PascalCase prefix, a member with a function and an index).
func TestGroupExpansion(t *testing.T) {
	grouped := `
group Coding of Coding {
  system = system
  code   = code
}

group CC of CodeableConcept {
  coding = coding.first() use Coding
  text   = text
}

group Name of HumanName {
  family = family
  given  = given[0]
  first  = given.where($this != '').first()
}

view v of Patient {
  id            = getResourceKey()
  name          = name.first() use Name
  MaritalStatus = maritalStatus use CC
  forEach contact {
    rel[] = relationship use CC
    c     = $this.name use Name
  }
}
`
	flat := `
view v of Patient {
  id                        = getResourceKey()
  name_family               = name.first().family
  name_given                = name.first().given[0]
  name_first                = name.first().given.where($this != '').first()
  MaritalStatusCodingSystem = maritalStatus.coding.first().system
  MaritalStatusCodingCode   = maritalStatus.coding.first().code
  MaritalStatusText         = maritalStatus.text
  forEach contact {
    rel_coding_system[] = relationship.coding.first().system
    rel_coding_code[]   = relationship.coding.first().code
    rel_text[]          = relationship.text
    c_family            = $this.name.family
    c_given             = $this.name.given[0]
    c_first             = $this.name.given.where($this != '').first()
  }
}
`
	export := func(text string) string {
		t.Helper()
		f, dl := parse.ParseFile(source.NewFileString("v.fview", text))
		if dl.HasErrors() {
			t.Fatal(dl.Err())
		}
		c, dl := check.Check([]*ast.File{f}, r4.Catalog())
		if dl.HasErrors() {
			t.Fatal(dl.Err())
		}
		b, err := viewdef.Write(c.ViewOf(f.Views[0]).AST)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if g, w := export(grouped), export(flat); g != w {
		t.Errorf("expanded view differs from the hand-written one\n--- expanded\n%s\n--- by hand\n%s", g, w)
	}
}
