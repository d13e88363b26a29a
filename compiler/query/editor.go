package query

import (
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
)

// Editor support: what the language server needs to complete and explain
// names in a .sql file, from its tokens alone (the text being typed is
// rarely a query sqlparser accepts).

// TableNames maps the names a query's FROM items go by — view names and
// their aliases, lower-cased — to the views.
func TableNames(text string, views []*plan.View) map[string]*plan.View {
	byName := map[string]*plan.View{}
	for _, v := range views {
		byName[strings.ToLower(sql.ViewName(v))] = v
	}
	out := map[string]*plan.View{}
	toks := lex(text)
	for i, t := range toks {
		if !isName(t) || i == 0 {
			continue
		}
		prev := toks[i-1].text
		if prev != "from" && prev != "join" && prev != "," {
			continue
		}
		v, ok := byName[strings.ToLower(t.text)]
		if !ok {
			continue
		}
		out[strings.ToLower(t.text)] = v
		j := i + 1
		if j < len(toks) && toks[j].kind == tIdent && toks[j].text == "as" {
			j++
		}
		if j < len(toks) && isName(toks[j]) && !sqlKeywords[toks[j].text] {
			out[strings.ToLower(toks[j].text)] = v
		}
	}
	return out
}

// sqlKeywords are words that end a FROM item rather than alias it.
var sqlKeywords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`where join left right full inner outer cross on group order
		having limit offset union select from as and or not natural straight_join using`) {
		sqlKeywords[w] = true
	}
}

// Word is the name at a position of a query's text.
type Word struct {
	Qualifier string // "p" in p.gender, "" when unqualified
	Text      string // the name, as written (possibly partial when completing)
	Start     int    // byte offset of Text
	End       int
	// AfterTable: the word follows FROM, JOIN or a comma in a FROM list,
	// where a view name is expected.
	AfterTable bool
}

// WordAt finds the name that ends at or contains pos.
func WordAt(text string, pos int) Word {
	if pos > len(text) {
		pos = len(text)
	}
	start := pos
	for start > 0 && isIdentPart(text[start-1]) {
		start--
	}
	end := pos
	for end < len(text) && isIdentPart(text[end]) {
		end++
	}
	w := Word{Text: text[start:end], Start: start, End: end}
	if start > 0 && text[start-1] == '.' {
		q := start - 1
		for q > 0 && isIdentPart(text[q-1]) {
			q--
		}
		w.Qualifier = text[q : start-1]
	}
	toks := lex(text[:start])
	if n := len(toks); n > 0 && w.Qualifier == "" {
		switch toks[n-1].text {
		case "from", "join":
			w.AfterTable = true
		case ",":
			// a comma in a FROM list: the nearest clause keyword is FROM
			for i := n - 1; i >= 0; i-- {
				if toks[i].kind == tIdent && (toks[i].text == "from" || toks[i].text == "select" || toks[i].text == "where" || toks[i].text == "by") {
					w.AfterTable = toks[i].text == "from"
					break
				}
			}
		}
	}
	return w
}

// ColumnPath is the FHIRPath a column's view computes it with, as written
// in the view's source ("" when the view has no source text).
func ColumnPath(v *plan.View, c *plan.Column) string {
	if v.File == nil || c.Expr == nil {
		return ""
	}
	sp := c.Expr.Span()
	if int(sp.End) > len(v.File.Text) || sp.Start >= sp.End {
		return ""
	}
	return v.File.Text[sp.Start:sp.End]
}
