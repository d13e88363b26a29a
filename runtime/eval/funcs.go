package eval

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/runtime/value"
)

// builder compiles one call of a declared function (compiler/funcs). Every
// declared function has one; TestEveryFunctionImplemented keeps it so.
type builder func(c *compiler, x *plan.Call) evalFn

var builders map[string]builder

func init() {
	builders = map[string]builder{
		"empty":              bEmpty,
		"exists":             bExists,
		"all":                bAll,
		"allTrue":            bBoolAgg(true, true),
		"anyTrue":            bBoolAgg(false, true),
		"allFalse":           bBoolAgg(true, false),
		"anyFalse":           bBoolAgg(false, false),
		"where":              bWhere,
		"select":             bSelect,
		"ofType":             bOfType,
		"single":             bSingle,
		"first":              bSlice(func(n int) (int, int) { return 0, min(n, 1) }),
		"last":               bSlice(func(n int) (int, int) { return max(n-1, 0), n }),
		"tail":               bSlice(func(n int) (int, int) { return min(n, 1), n }),
		"skip":               bSkipTake(true),
		"take":               bSkipTake(false),
		"distinct":           bDistinct,
		"isDistinct":         bIsDistinct,
		"count":              bCount,
		"union":              bUnion,
		"combine":            bCombine,
		"iif":                bIif,
		"not":                bNot,
		"toString":           bConvert(toStringConv, false),
		"toInteger":          bConvert(toIntegerConv, false),
		"toDecimal":          bConvert(toDecimalConv, false),
		"toBoolean":          bConvert(toBooleanConv, false),
		"toDate":             bConvert(toDateConv, false),
		"toDateTime":         bConvert(toDateTimeConv, false),
		"toTime":             bConvert(toTimeConv, false),
		"toQuantity":         bToQuantity,
		"convertsToString":   bConvert(toStringConv, true),
		"convertsToInteger":  bConvert(toIntegerConv, true),
		"convertsToDecimal":  bConvert(toDecimalConv, true),
		"convertsToBoolean":  bConvert(toBooleanConv, true),
		"convertsToDate":     bConvert(toDateConv, true),
		"convertsToDateTime": bConvert(toDateTimeConv, true),
		"convertsToTime":     bConvert(toTimeConv, true),
		"convertsToQuantity": bConvert(toQuantityConv, true),
		"join":               bJoin,
		"startsWith":         bStr1(func(s, a string) item { return boolItem(strings.HasPrefix(s, a)) }),
		"endsWith":           bStr1(func(s, a string) item { return boolItem(strings.HasSuffix(s, a)) }),
		"contains":           bStr1(func(s, a string) item { return boolItem(strings.Contains(s, a)) }),
		"indexOf":            bStr1(func(s, a string) item { return intItem(int64(runeIndex(s, a))) }),
		"substring":          bSubstring,
		"upper":              bStr0(func(s string) item { return strItem(strings.ToUpper(s)) }),
		"lower":              bStr0(func(s string) item { return strItem(strings.ToLower(s)) }),
		"replace":            bReplace,
		"matches":            bMatches,
		"replaceMatches":     bReplaceMatches,
		"length":             bStr0(func(s string) item { return intItem(int64(utf8.RuneCountInString(s))) }),
		"trim":               bStr0(func(s string) item { return strItem(strings.Trim(s, fhirpathSpace)) }),
		"split":              bSplit,
		"abs":                bAbs,
		"round":              bRound,
		"now":                bNow,
		"today":              bToday,
		"lowBoundary":        bBoundary(false),
		"highBoundary":       bBoundary(true),
		"extension":          bExtension,
		"getResourceKey":     bResourceKey,
		"getReferenceKey":    bReferenceKey,
		"hasValue":           bHasValue,
		"children":           bChildren,
		"descendants":        bDescendants,
	}
}

// lambda evaluates a lambda argument for item i of in, binding $this and $index.
func (e *env) lambda(f evalFn, in []item, i int) []item {
	saved := e.index
	e.index = i
	r := f(e, in[i:i+1])
	e.index = saved
	return r
}

// recv compiles the receiver of a call.
func (c *compiler) recv(x *plan.Call) evalFn {
	if _, ok := x.X.(*plan.Focus); ok {
		return func(_ *env, focus []item) []item { return focus }
	}
	return c.expr(x.X)
}

// one wraps a function of a single input item: empty input gives empty,
// several items are an error.
func (c *compiler) one(x *plan.Call, f func(e *env, focus []item, it item) (item, bool)) evalFn {
	in := c.recv(x)
	name := x.Func.Name + "()"
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		switch len(r) {
		case 0:
			return nil
		case 1:
		default:
			e.fail(name + ": the input has " + itoa(len(r)) + " values, expected one")
			return nil
		}
		res, ok := f(e, focus, r[0])
		if !ok {
			return nil
		}
		out := append(e.bufs[id][:0], res)
		e.keep(id, out)
		return out
	}
}

// Existence and filtering.

func bEmpty(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	return func(e *env, focus []item) []item { return boolColl(len(in(e, focus)) == 0) }
}

func bExists(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	if len(x.Args) == 0 {
		return func(e *env, focus []item) []item { return boolColl(len(in(e, focus)) > 0) }
	}
	crit := c.expr(x.Args[0])
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		for i := range r {
			if e.bool3(e.lambda(crit, r, i), "exists()") == triTrue {
				return trueColl
			}
			if e.err != "" {
				return nil
			}
		}
		return falseColl
	}
}

func bAll(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	crit := c.expr(x.Args[0])
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		for i := range r {
			if e.bool3(e.lambda(crit, r, i), "all()") != triTrue {
				return falseColl
			}
		}
		return trueColl
	}
}

// bBoolAgg builds allTrue (every, want true), anyTrue, allFalse, anyFalse.
func bBoolAgg(every, want bool) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		in := c.recv(x)
		name := x.Func.Name + "()"
		return func(e *env, focus []item) []item {
			r := in(e, focus)
			for i := range r {
				if r[i].k != kBool {
					e.fail(name + ": the input holds a " + string(typeName(r[i])) + ", expected booleans")
					return nil
				}
				match := (r[i].v.Str == "true") == want
				if every && !match {
					return falseColl
				}
				if !every && match {
					return trueColl
				}
			}
			return boolColl(every)
		}
	}
}

func bWhere(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	crit := c.expr(x.Args[0])
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		out := e.bufs[id][:0]
		for i := range r {
			if e.bool3(e.lambda(crit, r, i), "where()") == triTrue {
				out = append(out, r[i])
			}
		}
		e.keep(id, out)
		return out
	}
}

func bSelect(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	proj := c.expr(x.Args[0])
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		out := e.bufs[id][:0]
		for i := range r {
			out = append(out, e.lambda(proj, r, i)...)
		}
		e.keep(id, out)
		return out
	}
}

func bOfType(c *compiler, x *plan.Call) evalFn {
	t := x.Args[0].(*plan.TypeArg)
	return c.filterType(c.recv(x), t.Namespace, t.Name)
}

// Subsetting.

func bSingle(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		if len(r) > 1 {
			e.fail("single(): the input has " + itoa(len(r)) + " values")
			return nil
		}
		return r
	}
}

func bSlice(bounds func(n int) (int, int)) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		in := c.recv(x)
		return func(e *env, focus []item) []item {
			r := in(e, focus)
			lo, hi := bounds(len(r))
			return r[lo:hi:hi]
		}
	}
}

func bSkipTake(skip bool) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		in := c.recv(x)
		arg := c.expr(x.Args[0])
		name := x.Func.Name + "()"
		return func(e *env, focus []item) []item {
			r := in(e, focus)
			n, ok := e.intArg(arg, focus, name)
			if !ok {
				return nil
			}
			n = max(0, min(n, int64(len(r))))
			if skip {
				return r[n:]
			}
			return r[:n:n]
		}
	}
}

func bDistinct(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		out := unionInto(e.bufs[id][:0], in(e, focus), nil)
		e.keep(id, out)
		return out
	}
}

func bIsDistinct(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		for i := range r {
			for j := i + 1; j < len(r); j++ {
				if eqItem(r[i], r[j]) == triTrue {
					return falseColl
				}
			}
		}
		return trueColl
	}
}

func bCount(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	return func(e *env, focus []item) []item { return intColl(int64(len(in(e, focus)))) }
}

// Combining. The argument is evaluated against the same focus as the whole
// call (name.select(use.union(given)) unions the name's use and given).

func bUnion(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	other := c.expr(x.Args[0])
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		out := unionInto(e.bufs[id][:0], in(e, focus), other(e, focus))
		e.keep(id, out)
		return out
	}
}

func bCombine(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	other := c.expr(x.Args[0])
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		a := in(e, focus)
		b := other(e, focus)
		out := append(e.bufs[id][:0], a...)
		out = append(out, b...)
		e.keep(id, out)
		return out
	}
}

func bIif(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	crit := c.expr(x.Args[0])
	yes := c.expr(x.Args[1])
	no := empty
	if len(x.Args) > 2 {
		no = c.expr(x.Args[2])
	}
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		if len(r) > 1 {
			e.fail("iif(): the input has " + itoa(len(r)) + " values, expected at most one")
			return nil
		}
		if e.bool3(crit(e, r), "iif()") == triTrue {
			return yes(e, focus)
		}
		if e.err != "" {
			return nil
		}
		return no(e, focus)
	}
}

func bNot(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	return func(e *env, focus []item) []item {
		switch e.bool3(in(e, focus), "not()") {
		case triTrue:
			return falseColl
		case triFalse:
			return trueColl
		}
		return nil
	}
}

// Conversions.

type conversion func(it item) (item, bool)

// bConvert builds toX (test false) and convertsToX (test true).
func bConvert(conv conversion, test bool) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		return c.one(x, func(e *env, _ []item, it item) (item, bool) {
			r, ok := conv(it)
			if test {
				return boolItem(ok), true
			}
			if !ok {
				return item{}, false
			}
			return r, true
		})
	}
}

func toStringConv(it item) (item, bool) {
	switch {
	case it.k == kStr && it.v.Kind == value.String:
		return item{v: it.v, t: tidString, k: kStr}, true
	case it.k == kBool:
		return strItem(it.v.Str), true
	}
	s, ok := textOf(it)
	if !ok {
		return item{}, false
	}
	return strItem(s), true
}

func toIntegerConv(it item) (item, bool) {
	switch it.k {
	case kInt:
		return it, true
	case kLong:
		n, ok := parseInt(it.v.Str)
		if !ok || n > 1<<31-1 || n < -1<<31 {
			return item{}, false
		}
		return intItem(n), true
	case kStr:
		s := it.v.Str
		if !isIntegerLexeme(s) {
			return item{}, false
		}
		// FHIRPath's Integer is 32 bits: larger text does not convert.
		n, ok := parseInt(s)
		if !ok || n > 1<<31-1 || n < -1<<31 {
			return item{}, false
		}
		return intItem(n), true
	case kBool:
		if it.v.Str == "true" {
			return intItem(1), true
		}
		return intItem(0), true
	}
	return item{}, false
}

func isDecimalText(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits, dot, frac := 0, false, 0
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if dot {
				frac++
			} else {
				digits++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && (!dot || frac > 0)
}

// decimalLexeme turns decimal text that isDecimalText accepted into a
// JSON number: no '+', no leading zeros ("+007.50" is 7.50). The digits
// after the point are kept: they are the value's precision.
func decimalLexeme(s string) string {
	sign := ""
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign, s = "-", s[1:]
	}
	for len(s) > 1 && s[0] == '0' && s[1] != '.' {
		s = s[1:]
	}
	return sign + s
}

func toDecimalConv(it item) (item, bool) {
	switch it.k {
	case kDec:
		return it, true
	case kInt, kLong:
		return decItem(it.v.Str), true
	case kStr:
		if !isDecimalText(it.v.Str) {
			return item{}, false
		}
		return decItem(decimalLexeme(it.v.Str)), true
	case kBool:
		if it.v.Str == "true" {
			return decItem("1.0"), true
		}
		return decItem("0.0"), true
	}
	return item{}, false
}

func toBooleanConv(it item) (item, bool) {
	switch it.k {
	case kBool:
		return it, true
	case kStr:
		switch strings.ToLower(it.v.Str) {
		case "true", "t", "yes", "y", "1", "1.0":
			return trueItem, true
		case "false", "f", "no", "n", "0", "0.0":
			return falseItem, true
		}
	case kInt, kLong, kDec:
		if c, ok := cmpNum(it.v.Str, "1"); ok && c == 0 {
			return trueItem, true
		}
		if c, ok := cmpNum(it.v.Str, "0"); ok && c == 0 {
			return falseItem, true
		}
	}
	return item{}, false
}

func toDateConv(it item) (item, bool) {
	switch it.k {
	case kDate:
		return it, true
	case kDateTime, kStr:
		d, ok := parseDateTime(it.v.Str)
		if !ok {
			return item{}, false
		}
		return tempItem(kDate, d.format(min(d.prec, pDay))), true
	}
	return item{}, false
}

func toDateTimeConv(it item) (item, bool) {
	switch it.k {
	case kDateTime:
		return it, true
	case kDate, kStr:
		d, ok := parseDateTime(it.v.Str)
		if !ok {
			return item{}, false
		}
		return tempItem(kDateTime, strings.TrimSuffix(it.v.Str, "T")), d.prec > pNone
	}
	return item{}, false
}

func toTimeConv(it item) (item, bool) {
	switch it.k {
	case kTime:
		return it, true
	case kStr:
		if _, ok := parseTime(it.v.Str); !ok {
			return item{}, false
		}
		return tempItem(kTime, trimT(it.v.Str)), true
	}
	return item{}, false
}

func toQuantityConv(it item) (item, bool) {
	switch it.k {
	case kQty:
		if _, ok := quantityOf(it); ok {
			return it, true
		}
	case kInt, kLong, kDec:
		return quantityItem(it.v.Str, "1"), true
	case kBool:
		if it.v.Str == "true" {
			return quantityItem("1.0", "1"), true
		}
		return quantityItem("0.0", "1"), true
	case kStr:
		num, unit, ok := parseQuantityText(it.v.Str)
		if ok {
			return quantityItem(num, unit), true
		}
	}
	return item{}, false
}

// parseQuantityText reads "5", "5 'mg'", "5.0 mg" or "3 days".
func parseQuantityText(s string) (num, unit string, ok bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " '")
	if i < 0 {
		return s, "1", isDecimalText(s)
	}
	num, rest := s[:i], strings.TrimSpace(s[i:])
	if !isDecimalText(num) {
		return "", "", false
	}
	switch {
	case len(rest) >= 2 && rest[0] == '\'' && rest[len(rest)-1] == '\'':
		unit = rest[1 : len(rest)-1]
	case isCalendarWord(rest):
		unit = rest
	default:
		return "", "", false
	}
	return strings.TrimPrefix(num, "+"), unit, unit != ""
}

func bToQuantity(c *compiler, x *plan.Call) evalFn {
	if len(x.Args) == 0 {
		return bConvert(toQuantityConv, false)(c, x)
	}
	unitArg := c.expr(x.Args[0])
	return c.one(x, func(e *env, focus []item, it item) (item, bool) {
		q, ok := toQuantityConv(it)
		if !ok {
			return item{}, false
		}
		unit, ok := e.strArg(unitArg, focus, "toQuantity()")
		if !ok {
			return item{}, false
		}
		qq, _ := quantityOf(q)
		v, ok := qq.toUnit(normUnit(unit))
		if !ok {
			return item{}, false
		}
		return quantityItem(v.String(), unit), true
	})
}

// Strings. Indexes count characters (code points), not bytes.

func strInput(e *env, it item, name string) (string, bool) {
	s, ok := textOf(it)
	if !ok {
		e.fail(name + ": the input is a " + string(typeName(it)) + ", expected a string")
	}
	return s, ok
}

// bStr0 builds a string function without arguments.
func bStr0(f func(s string) item) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		name := x.Func.Name + "()"
		return c.one(x, func(e *env, _ []item, it item) (item, bool) {
			s, ok := strInput(e, it, name)
			if !ok {
				return item{}, false
			}
			return f(s), true
		})
	}
}

// bStr1 builds a string function of one string argument.
func bStr1(f func(s, a string) item) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		name := x.Func.Name + "()"
		arg := c.expr(x.Args[0])
		return c.one(x, func(e *env, focus []item, it item) (item, bool) {
			s, ok := strInput(e, it, name)
			if !ok {
				return item{}, false
			}
			a, ok := e.strArg(arg, focus, name)
			if !ok {
				return item{}, false
			}
			return f(s, a), true
		})
	}
}

// runeIndex is strings.Index counted in characters.
func runeIndex(s, sub string) int {
	i := strings.Index(s, sub)
	if i < 0 {
		return -1
	}
	return utf8.RuneCountInString(s[:i])
}

func bSubstring(c *compiler, x *plan.Call) evalFn {
	start := c.expr(x.Args[0])
	var length evalFn
	if len(x.Args) > 1 {
		length = c.expr(x.Args[1])
	}
	return c.one(x, func(e *env, focus []item, it item) (item, bool) {
		s, ok := strInput(e, it, "substring()")
		if !ok {
			return item{}, false
		}
		from, ok := e.intArg(start, focus, "substring()")
		if !ok {
			return item{}, false
		}
		n := int64(utf8.RuneCountInString(s))
		if from < 0 || from >= n {
			return item{}, false
		}
		to := n
		if length != nil {
			l, ok := e.intArg(length, focus, "substring()")
			if ok {
				if l < 0 {
					l = 0
				}
				to = min(n, from+l)
			} else if e.err != "" {
				return item{}, false
			}
		}
		if n == int64(len(s)) { // ASCII
			return strItem(s[from:to]), true
		}
		r := []rune(s)
		return strItem(string(r[from:to])), true
	})
}

func bReplace(c *compiler, x *plan.Call) evalFn {
	pat := c.expr(x.Args[0])
	sub := c.expr(x.Args[1])
	return c.one(x, func(e *env, focus []item, it item) (item, bool) {
		s, ok := strInput(e, it, "replace()")
		if !ok {
			return item{}, false
		}
		p, ok1 := e.strArg(pat, focus, "replace()")
		r, ok2 := e.strArg(sub, focus, "replace()")
		if !ok1 || !ok2 {
			return item{}, false
		}
		return strItem(strings.ReplaceAll(s, p, r)), true
	})
}

// regex compiles a regex argument: once when it is a literal, otherwise
// per evaluation. FHIRPath regexes are case-sensitive, single-line (. matches
// newlines) and Unicode; matches() is a partial match.
func (c *compiler) regex(arg plan.Expr, name string) func(e *env, focus []item) (*regexp.Regexp, bool) {
	if lit, ok := arg.(*plan.Lit); ok && lit.Kind == plan.String {
		re, err := regexp.Compile("(?s)" + lit.Value)
		return func(e *env, _ []item) (*regexp.Regexp, bool) {
			if err != nil {
				e.fail(name + ": invalid regular expression: " + err.Error())
				return nil, false
			}
			return re, true
		}
	}
	f := c.expr(arg)
	return func(e *env, focus []item) (*regexp.Regexp, bool) {
		p, ok := e.strArg(f, focus, name)
		if !ok {
			return nil, false
		}
		re, err := regexp.Compile("(?s)" + p)
		if err != nil {
			e.fail(name + ": invalid regular expression: " + err.Error())
			return nil, false
		}
		return re, true
	}
}

func bMatches(c *compiler, x *plan.Call) evalFn {
	re := c.regex(x.Args[0], "matches()")
	return c.one(x, func(e *env, focus []item, it item) (item, bool) {
		s, ok := strInput(e, it, "matches()")
		if !ok {
			return item{}, false
		}
		r, ok := re(e, focus)
		if !ok {
			return item{}, false
		}
		return boolItem(r.MatchString(s)), true
	})
}

func bReplaceMatches(c *compiler, x *plan.Call) evalFn {
	re := c.regex(x.Args[0], "replaceMatches()")
	sub := c.expr(x.Args[1])
	return c.one(x, func(e *env, focus []item, it item) (item, bool) {
		s, ok := strInput(e, it, "replaceMatches()")
		if !ok {
			return item{}, false
		}
		r, ok := re(e, focus)
		if !ok {
			return item{}, false
		}
		repl, ok := e.strArg(sub, focus, "replaceMatches()")
		if !ok {
			return item{}, false
		}
		return strItem(r.ReplaceAllString(s, repl)), true
	})
}

func bSplit(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	sep := c.expr(x.Args[0])
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		if len(r) == 0 {
			return nil
		}
		if len(r) > 1 {
			e.fail("split(): the input has " + itoa(len(r)) + " values, expected one")
			return nil
		}
		s, ok := strInput(e, r[0], "split()")
		if !ok {
			return nil
		}
		p, ok := e.strArg(sep, focus, "split()")
		if !ok {
			return nil
		}
		out := e.bufs[id][:0]
		for _, part := range strings.Split(s, p) {
			out = append(out, strItem(part))
		}
		e.keep(id, out)
		return out
	}
}

func bJoin(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	var sep evalFn
	if len(x.Args) > 0 {
		sep = c.expr(x.Args[0])
	}
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		if len(r) == 0 {
			// FHIRPath: an empty input gives an empty result, not ''
			// (SQL on FHIR suite, fn_join).
			return nil
		}
		s := ""
		if sep != nil {
			var ok bool
			if s, ok = e.strArg(sep, focus, "join()"); !ok && e.err != "" {
				return nil
			}
		}
		if len(r) == 1 && r[0].k == kStr && r[0].v.Kind == value.String {
			return e.put(id, item{v: r[0].v, t: tidString, k: kStr})
		}
		n := len(s) * max(len(r)-1, 0)
		for i := range r {
			t, ok := textOf(r[i])
			if !ok {
				e.fail("join(): the input holds a " + string(typeName(r[i])) + ", expected strings")
				return nil
			}
			n += len(t)
		}
		var b strings.Builder
		b.Grow(n)
		for i := range r {
			t, _ := textOf(r[i])
			if i > 0 {
				b.WriteString(s)
			}
			b.WriteString(t)
		}
		return e.put(id, strItem(b.String()))
	}
}

// Math.

func bAbs(c *compiler, x *plan.Call) evalFn {
	return c.one(x, func(e *env, _ []item, it item) (item, bool) {
		switch {
		case it.k.isNum():
			s := strings.TrimPrefix(it.v.Str, "-")
			if s == it.v.Str {
				return it, true
			}
			return item{v: value.NewNumber(s), t: kindTids[it.k], k: it.k}, true
		case it.k == kQty:
			q, ok := quantityOf(it)
			if !ok {
				return item{}, false
			}
			return quantityItem(strings.TrimPrefix(q.val, "-"), q.unit), true
		}
		e.fail("abs(): the input is a " + string(typeName(it)) + ", expected a number or quantity")
		return item{}, false
	})
}

func bRound(c *compiler, x *plan.Call) evalFn {
	var prec evalFn
	if len(x.Args) > 0 {
		prec = c.expr(x.Args[0])
	}
	return c.one(x, func(e *env, focus []item, it item) (item, bool) {
		if !it.k.isNum() {
			e.fail("round(): the input is a " + string(typeName(it)) + ", expected a number")
			return item{}, false
		}
		p := int64(0)
		if prec != nil {
			var ok bool
			if p, ok = e.intArg(prec, focus, "round()"); !ok {
				return item{}, false
			}
			if p < 0 {
				e.fail("round(): the precision must not be negative")
				return item{}, false
			}
		}
		d, ok := parseDec(it.v.Str)
		if !ok {
			return item{}, false
		}
		return decItem(d.round(int(min(p, 28))).String()), true
	})
}

// Dates.

func bNow(c *compiler, x *plan.Call) evalFn {
	coll := []item{tempItem(kDateTime, c.now.Format("2006-01-02T15:04:05.000Z07:00"))}
	return func(*env, []item) []item { return coll }
}

func bToday(c *compiler, x *plan.Call) evalFn {
	coll := []item{tempItem(kDate, c.now.Format("2006-01-02"))}
	return func(*env, []item) []item { return coll }
}

// bBoundary builds lowBoundary and highBoundary.
func bBoundary(high bool) builder {
	return func(c *compiler, x *plan.Call) evalFn {
		var prec evalFn
		if len(x.Args) > 0 {
			prec = c.expr(x.Args[0])
		}
		name := x.Func.Name + "()"
		return c.one(x, func(e *env, focus []item, it item) (item, bool) {
			digits := int64(-1)
			if prec != nil {
				var ok bool
				if digits, ok = e.intArg(prec, focus, name); !ok {
					return item{}, false
				}
			}
			switch {
			case it.k.isNum():
				r, ok := decimalBoundary(it, digits, high)
				if !ok {
					return item{}, false
				}
				return decItem(r), true
			case it.k == kQty:
				q, ok := quantityOf(it)
				if !ok {
					return item{}, false
				}
				r, ok := decimalBoundary(item{v: value.NewNumber(q.val), k: kDec}, digits, high)
				if !ok {
					return item{}, false
				}
				return quantityItem(r, q.unit), true
			case it.k.isTemp():
				d, ok := parseTemporal(it.k, it.v.Str)
				if !ok {
					return item{}, false
				}
				if digits < 0 {
					switch it.k {
					case kDate:
						digits = 8
					case kDateTime:
						digits = 17
					default:
						digits = 9
					}
				}
				s, ok := boundary(it.k, d, int(digits), high)
				if !ok {
					return item{}, false
				}
				return tempItem(it.k, s), true
			}
			e.fail(name + ": the input is a " + string(typeName(it)) + ", expected a decimal, date, dateTime or time")
			return item{}, false
		})
	}
}

// decimalBoundary is the lowest (highest) value a number could stand for,
// given the digits it was written with, at the requested number of decimal
// places (8 by default). A decimal written without fraction digits is taken
// to one decimal place, as the SQL on FHIR suite expects (a FHIR decimal 1
// has boundaries 0.95 and 1.05); an integer has boundaries ±0.5.
func decimalBoundary(it item, digits int64, high bool) (string, bool) {
	if digits < 0 {
		digits = 8
	}
	if digits > 28 {
		return "", false
	}
	d, ok := parseDec(it.v.Str)
	if !ok {
		return "", false
	}
	p := d.s
	if it.k == kDec && p == 0 {
		p = 1
	}
	half := &dec{s: p + 1}
	half.m.SetInt64(5)
	var r *dec
	if high {
		r = decAdd(d, half).floorTo(int(digits), true)
	} else {
		r = decSub(d, half).floorTo(int(digits), false)
	}
	return r.String(), true
}

// FHIR and SQL on FHIR functions.

func bExtension(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	url := c.expr(x.Args[0])
	id := c.newBuf()
	add := func(out []item, holder *value.Value, u string) []item {
		if holder == nil || holder.Kind != value.Object {
			return out
		}
		exts := holder.Get("extension")
		if exts == nil {
			return out
		}
		var arr []*value.Value
		if exts.Kind == value.Array {
			arr = exts.Arr
		} else {
			arr = []*value.Value{exts}
		}
		for _, ext := range arr {
			if ext == nil || ext.Kind != value.Object {
				continue
			}
			if eu := ext.Get("url"); eu != nil && eu.Kind == value.String && eu.Str == u {
				out = append(out, item{v: ext, t: tidExtension, k: kObj})
			}
		}
		return out
	}
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		if len(r) == 0 {
			return nil
		}
		u, ok := e.strArg(url, focus, "extension()")
		if !ok {
			return nil
		}
		out := e.bufs[id][:0]
		for i := range r {
			if r[i].k == kObj || r[i].k == kQty {
				out = add(out, r[i].v, u)
			}
			out = add(out, r[i].ext, u)
		}
		e.keep(id, out)
		return out
	}
}

func bResourceKey(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		out := e.bufs[id][:0]
		for i := range r {
			v := r[i].v
			if v.Kind != value.Object || (v != e.root[0].v && v.Get("resourceType") == nil) {
				continue
			}
			if key := v.Get("id"); key != nil && (key.Kind == value.String || key.Kind == value.Number) {
				out = append(out, item{v: asText(key, kStr), t: tidID, k: kStr}) // a number id is its text
			}
		}
		e.keep(id, out)
		return out
	}
}

func bReferenceKey(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	want := ""
	if len(x.Args) > 0 {
		want = x.Args[0].(*plan.TypeArg).Name
	}
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		out := e.bufs[id][:0]
		for i := range r {
			v := r[i].v
			if v.Kind != value.Object {
				continue
			}
			ref := v.Get("reference")
			if ref == nil || ref.Kind != value.String {
				continue
			}
			if key, ok := referenceKey(ref.Str, want); ok {
				out = append(out, item{v: e.newStr(key), t: tidString, k: kStr})
			}
		}
		e.keep(id, out)
		return out
	}
}

// referenceKey extracts the id a reference points to: "Patient/123",
// "http://server/fhir/Patient/123" and "Patient/123/_history/2" all give
// "123". Contained ("#x"), URN ("urn:uuid:...") and conditional
// ("Patient?identifier=...") references cannot be resolved to a key and
// give nothing; with a type, so does a reference to another type.
func referenceKey(ref, want string) (string, bool) {
	// The common case first: a relative reference "Want/id" to the type
	// asked for, without searching the text from its end.
	if n := len(want); n > 0 && len(ref) > n+1 && ref[n] == '/' && ref[:n] == want {
		if id := ref[n+1:]; strings.IndexByte(id, '/') < 0 {
			if isResourceTypeName(want) && isFHIRID(id) {
				return id, true
			}
			return "", false
		}
	}
	if ref == "" || ref[0] == '#' || strings.HasPrefix(ref, "urn:") {
		return "", false
	}
	// '_' is rare in references: look for it alone (fast) first.
	if strings.IndexByte(ref, '_') >= 0 {
		if i := strings.Index(ref, "/_history/"); i >= 0 {
			ref = ref[:i]
		}
	}
	slash := strings.LastIndexByte(ref, '/')
	if slash <= 0 {
		return "", false
	}
	id := ref[slash+1:]
	typ := ref[:slash]
	if j := strings.LastIndexByte(typ, '/'); j >= 0 {
		typ = typ[j+1:]
	}
	if !isResourceTypeName(typ) || !isFHIRID(id) {
		return "", false
	}
	if want != "" && typ != want {
		return "", false
	}
	return id, true
}

func isResourceTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isFHIRID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !idChar[s[i]] {
			return false
		}
	}
	return true
}

// idChar marks the bytes of a FHIR id: [A-Za-z0-9\-.].
var idChar = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
	}
	return
}()

func bHasValue(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		return boolColl(len(r) == 1 && r[0].k != kObj && r[0].k != kQty)
	}
}

// appendChildren appends the child elements of an object: every member but
// resourceType and the "_key" siblings of primitives.
func appendChildren(out []item, v *value.Value) []item {
	if v.Kind != value.Object {
		return out
	}
	for _, m := range v.Obj {
		if m.Key == "resourceType" || strings.HasPrefix(m.Key, "_") || m.Val == nil {
			continue
		}
		out = appendNode(out, m.Val, kNone, tidUnknown)
	}
	return out
}

func bChildren(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		out := e.bufs[id][:0]
		for i := range r {
			out = appendChildren(out, r[i].v)
		}
		e.keep(id, out)
		return out
	}
}

func bDescendants(c *compiler, x *plan.Call) evalFn {
	in := c.recv(x)
	id := c.newBuf()
	var walk func(out []item, v *value.Value, depth int) []item
	walk = func(out []item, v *value.Value, depth int) []item {
		if depth > 10000 {
			return out
		}
		start := len(out)
		out = appendChildren(out, v)
		end := len(out)
		// pre-order: each child is followed by its own descendants
		kids := append([]item(nil), out[start:end]...)
		out = out[:start]
		for _, k := range kids {
			out = append(out, k)
			out = walk(out, k.v, depth+1)
		}
		return out
	}
	return func(e *env, focus []item) []item {
		r := in(e, focus)
		out := e.bufs[id][:0]
		for i := range r {
			out = walk(out, r[i].v, 0)
		}
		e.keep(id, out)
		return out
	}
}

// fhirpathSpace is FHIRPath's whitespace (the grammar's WS), what trim()
// removes; the SQL targets remove the same four characters.
const fhirpathSpace = " \t\n\r"
