package eval

import (
	"math/big"
	"strconv"
	"strings"
	"unicode"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
	"github.com/fhirql/fhirql/runtime/value"
)

// Operators. Three-valued results use tri: 1 true, 0 false, -1 unknown
// (the empty collection).
type tri int8

const (
	triEmpty tri = -1
	triFalse tri = 0
	triTrue  tri = 1
)

func triColl(t tri) []item {
	switch t {
	case triTrue:
		return trueColl
	case triFalse:
		return falseColl
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// put makes a one-item result in buffer id.
func (e *env) put(id int, it item) []item {
	out := append(e.bufs[id][:0], it)
	e.keep(id, out)
	return out
}

// keep records buffer id's backing array after appends. Results always
// restart at [:0], so the stored length does not matter: the header is
// written back only when append moved the array, which saves a GC write
// barrier per evaluation.
func (e *env) keep(id int, out []item) {
	if cap(out) != cap(e.bufs[id]) {
		e.bufs[id] = out
	}
}

// bool3 applies FHIRPath's singleton evaluation to a collection used as a
// Boolean: empty is unknown, one Boolean is itself, one other item is true,
// several items are an error.
func (e *env) bool3(r []item, what string) tri {
	switch len(r) {
	case 0:
		return triEmpty
	case 1:
		if r[0].k == kBool {
			if r[0].v.Str == "true" {
				return triTrue
			}
			return triFalse
		}
		return triTrue
	}
	e.fail(what + ": expected one boolean, got " + itoa(len(r)) + " values")
	return triEmpty
}

// single returns the only item of an operand; ok is false when it is empty
// or (recorded as an error) has several items.
func (e *env) single(r []item, what string) (item, bool) {
	switch len(r) {
	case 0:
		return item{}, false
	case 1:
		return r[0], true
	}
	e.fail(what + ": the operand has " + itoa(len(r)) + " values, expected one")
	return item{}, false
}

func (c *compiler) binary(x *plan.Binary) evalFn {
	l := c.expr(x.X)
	r := c.expr(x.Y)
	op := x.Op
	switch op {
	case "and", "or", "xor", "implies":
		return func(e *env, focus []item) []item {
			a := e.bool3(l(e, focus), op)
			switch {
			case op == "and" && a == triFalse:
				return falseColl
			case op == "or" && a == triTrue:
				return trueColl
			case op == "implies" && a == triFalse:
				return trueColl
			}
			b := e.bool3(r(e, focus), op)
			switch op {
			case "and":
				if b == triFalse {
					return falseColl
				}
				if a == triTrue && b == triTrue {
					return trueColl
				}
				return nil
			case "or":
				if b == triTrue {
					return trueColl
				}
				if a == triFalse && b == triFalse {
					return falseColl
				}
				return nil
			case "xor":
				if a == triEmpty || b == triEmpty {
					return nil
				}
				return boolColl(a != b)
			default: // implies, a is true or empty
				if b == triTrue {
					return trueColl
				}
				if a == triTrue {
					return triColl(b)
				}
				return nil
			}
		}
	case "=", "!=":
		neg := op == "!="
		return func(e *env, focus []item) []item {
			t := collEq(l(e, focus), r(e, focus))
			if neg && t != triEmpty {
				t = 1 - t
			}
			return triColl(t)
		}
	case "~", "!~":
		neg := op == "!~"
		return func(e *env, focus []item) []item {
			return boolColl(collEquiv(l(e, focus), r(e, focus)) != neg)
		}
	case "<", "<=", ">", ">=":
		return func(e *env, focus []item) []item {
			a, ok1 := e.single(l(e, focus), op)
			b, ok2 := e.single(r(e, focus), op)
			if !ok1 || !ok2 {
				return nil
			}
			cmp, ok := e.compare(a, b, op)
			if !ok {
				return nil
			}
			switch op {
			case "<":
				return boolColl(cmp < 0)
			case "<=":
				return boolColl(cmp <= 0)
			case ">":
				return boolColl(cmp > 0)
			}
			return boolColl(cmp >= 0)
		}
	case "|":
		id := c.newBuf()
		return func(e *env, focus []item) []item {
			out := unionInto(e.bufs[id][:0], l(e, focus), r(e, focus))
			e.keep(id, out)
			return out
		}
	case "in", "contains":
		return func(e *env, focus []item) []item {
			a, b := l(e, focus), r(e, focus)
			if op == "contains" {
				a, b = b, a
			}
			x, ok := e.single(a, op)
			if !ok {
				return nil
			}
			for i := range b {
				if eqItem(x, b[i]) == triTrue {
					return trueColl
				}
			}
			return falseColl
		}
	case "&":
		id := c.newBuf()
		return func(e *env, focus []item) []item {
			a, b := l(e, focus), r(e, focus)
			if len(a) > 1 || len(b) > 1 {
				e.fail("&: an operand has several values, expected one string")
				return nil
			}
			var sa, sb string
			if len(a) == 1 {
				sa, _ = textOf(a[0])
			}
			if len(b) == 1 {
				sb, _ = textOf(b[0])
			}
			return e.put(id, strItem(sa+sb))
		}
	case "+", "-", "*", "/", "div", "mod":
		id := c.newBuf()
		return func(e *env, focus []item) []item {
			a, ok1 := e.single(l(e, focus), op)
			b, ok2 := e.single(r(e, focus), op)
			if !ok1 || !ok2 {
				return nil
			}
			res, ok := e.arith(op, a, b)
			if !ok {
				return nil
			}
			return e.put(id, res)
		}
	}
	c.failf("unknown operator %q", op)
	return empty
}

func (c *compiler) unaryOp(x *plan.Unary) evalFn {
	sub := c.expr(x.X)
	switch x.Op {
	case "+":
		return sub
	case "-":
		id := c.newBuf()
		return func(e *env, focus []item) []item {
			a, ok := e.single(sub(e, focus), "-")
			if !ok {
				return nil
			}
			switch {
			case a.k.isNum():
				return e.put(id, item{v: value.NewNumber(negate(a.v.Str)), t: kindTids[a.k], k: a.k})
			case a.k == kQty:
				q, ok := quantityOf(a)
				if !ok {
					return nil
				}
				return e.put(id, quantityItem(negate(q.val), q.unit))
			}
			e.fail("-: cannot negate a " + string(typeName(a)))
			return nil
		}
	}
	c.failf("unknown unary operator %q", x.Op)
	return empty
}

func negate(lex string) string {
	if strings.HasPrefix(lex, "-") {
		return lex[1:]
	}
	lex = strings.TrimPrefix(lex, "+")
	if z, ok := cmpNum(lex, "0"); ok && z == 0 {
		return lex
	}
	return "-" + lex
}

// eqItem is FHIRPath equality of two items.
func eqItem(a, b item) tri {
	switch {
	case a.k.isNum() && b.k.isNum():
		c, ok := cmpNum(a.v.Str, b.v.Str)
		if !ok {
			return boolTri(a.v.Str == b.v.Str)
		}
		return boolTri(c == 0)
	case a.k == kStr && b.k == kStr:
		return boolTri(a.v.Str == b.v.Str)
	case a.k.textual() && b.k.textual():
		da, db, ok, comparable := temporalPair(a, b)
		if !ok {
			return boolTri(comparable && a.v.Str == b.v.Str)
		}
		c, known := cmpTemporal(da, db)
		if !known {
			if da.isTime != db.isTime {
				return triFalse
			}
			return triEmpty
		}
		return boolTri(c == 0)
	case a.k == kBool && b.k == kBool:
		return boolTri(a.v.Str == b.v.Str)
	case a.k == kQty && b.k == kQty:
		qa, ok1 := quantityOf(a)
		qb, ok2 := quantityOf(b)
		if !ok1 || !ok2 {
			return boolTri(deepEqual(a.v, b.v))
		}
		c, ok := cmpQty(qa, qb)
		if !ok {
			return triEmpty
		}
		return boolTri(c == 0)
	case (a.k == kObj || a.k == kQty) && (b.k == kObj || b.k == kQty):
		return boolTri(deepEqual(a.v, b.v))
	}
	return triFalse
}

func boolTri(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// temporalPair parses two textual items as temporal values of the more
// specific kind; ok is false when either does not parse, comparable false
// when one is a time and the other a date.
func temporalPair(a, b item) (da, db dtv, ok, comparable bool) {
	ka, kb := a.k, b.k
	if ka == kStr {
		ka = kb
	}
	if kb == kStr {
		kb = ka
	}
	if (ka == kTime) != (kb == kTime) {
		return da, db, false, false
	}
	var ok1, ok2 bool
	da, ok1 = parseTemporal(ka, a.v.Str)
	db, ok2 = parseTemporal(kb, b.v.Str)
	return da, db, ok1 && ok2, true
}

func collEq(a, b []item) tri {
	if len(a) == 0 || len(b) == 0 {
		return triEmpty
	}
	if len(a) != len(b) {
		return triFalse
	}
	res := triTrue
	for i := range a {
		switch eqItem(a[i], b[i]) {
		case triFalse:
			return triFalse
		case triEmpty:
			res = triEmpty
		}
	}
	return res
}

// equivItem is FHIRPath equivalence (~) of two items.
func equivItem(a, b item) bool {
	switch {
	case a.k.isNum() && b.k.isNum():
		da, ok1 := parseDec(a.v.Str)
		db, ok2 := parseDec(b.v.Str)
		if !ok1 || !ok2 {
			return false
		}
		p := min(da.trim(0).s, db.trim(0).s)
		return da.round(p).cmp(db.round(p)) == 0
	case a.k == kStr && b.k == kStr:
		return normSpace(a.v.Str) == normSpace(b.v.Str)
	case a.k.textual() && b.k.textual():
		da, db, ok, _ := temporalPair(a, b)
		if !ok {
			return normSpace(a.v.Str) == normSpace(b.v.Str)
		}
		c, known := cmpTemporal(da, db)
		return known && c == 0
	case a.k == kBool && b.k == kBool:
		return a.v.Str == b.v.Str
	case a.k == kQty && b.k == kQty:
		qa, ok1 := quantityOf(a)
		qb, ok2 := quantityOf(b)
		if ok1 && ok2 {
			c, ok := cmpQty(qa, qb)
			return ok && c == 0
		}
		return deepEqual(a.v, b.v)
	case (a.k == kObj || a.k == kQty) && (b.k == kObj || b.k == kQty):
		return deepEqual(a.v, b.v)
	}
	return false
}

// normSpace lower-cases and collapses whitespace, for string equivalence.
func normSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func collEquiv(a, b []item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		found := false
		for j := range b {
			if equivItem(a[i], b[j]) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for j := range b {
		found := false
		for i := range a {
			if equivItem(a[i], b[j]) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// deepEqual compares two JSON values; object members compare as sets.
func deepEqual(a, b *value.Value) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case value.Null:
		return true
	case value.Number:
		c, ok := cmpNum(a.Str, b.Str)
		return ok && c == 0
	case value.Bool, value.String:
		return a.Str == b.Str
	case value.Array:
		if len(a.Arr) != len(b.Arr) {
			return false
		}
		for i := range a.Arr {
			if !deepEqual(a.Arr[i], b.Arr[i]) {
				return false
			}
		}
		return true
	case value.Object:
		if len(a.Obj) != len(b.Obj) {
			return false
		}
		for _, m := range a.Obj {
			if !deepEqual(m.Val, b.Get(m.Key)) {
				return false
			}
		}
		return true
	}
	return false
}

// compare orders two items; ok is false when the order is unknown
// (precision) or the types cannot be compared (recorded as an error).
func (e *env) compare(a, b item, op string) (int, bool) {
	switch {
	case a.k.isNum() && b.k.isNum():
		c, ok := cmpNum(a.v.Str, b.v.Str)
		return c, ok
	case a.k == kStr && b.k == kStr:
		return strings.Compare(a.v.Str, b.v.Str), true
	case a.k.textual() && b.k.textual():
		da, db, ok, comparable := temporalPair(a, b)
		if !comparable {
			break
		}
		if !ok {
			return 0, false
		}
		return cmpTemporal(da, db)
	case a.k == kQty && b.k == kQty:
		qa, ok1 := quantityOf(a)
		qb, ok2 := quantityOf(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		return cmpQty(qa, qb)
	case a.k.isNum() && b.k == kQty, a.k == kQty && b.k.isNum():
		// an Integer or Decimal converts implicitly to a quantity of unit '1'
		qa, ok1 := numOrQty(a)
		qb, ok2 := numOrQty(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		return cmpQty(qa, qb)
	}
	e.fail(op + ": cannot compare a " + string(typeName(a)) + " with a " + string(typeName(b)))
	return 0, false
}

func numOrQty(it item) (qty, bool) {
	if it.k.isNum() {
		return qty{val: it.v.Str, unit: "1"}, true
	}
	return quantityOf(it)
}

// unionInto appends the items of a then b to out, dropping duplicates.
func unionInto(out, a, b []item) []item {
	for _, src := range [2][]item{a, b} {
		for i := range src {
			dup := false
			for j := range out {
				if eqItem(out[j], src[i]) == triTrue {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, src[i])
			}
		}
	}
	return out
}

// arith applies an arithmetic operator to two single items.
func (e *env) arith(op string, a, b item) (item, bool) {
	switch {
	case a.k.isNum() && b.k.isNum():
		return e.numArith(op, a, b)
	case op == "+" && a.k == kStr && b.k == kStr:
		return strItem(a.v.Str + b.v.Str), true
	case (op == "+" || op == "-") && a.k.isTemp() && (b.k == kQty || b.k.isNum()):
		q, ok := numOrQty(b)
		if !ok {
			return item{}, false
		}
		d, ok := parseTemporal(a.k, a.v.Str)
		if !ok {
			return item{}, false
		}
		amount, ok := parseDec(q.val)
		if !ok {
			return item{}, false
		}
		if op == "-" {
			amount.m.Neg(&amount.m)
		}
		r, ok := addDuration(d, amount, q.unit)
		if !ok {
			e.fail(op + ": cannot add a quantity in '" + q.unit + "' to a " + string(typeName(a)))
			return item{}, false
		}
		return tempItem(a.k, r.format(d.prec)), true
	case (op == "+" || op == "-") && a.k == kQty && b.k == kQty:
		qa, ok1 := quantityOf(a)
		qb, ok2 := quantityOf(b)
		if !ok1 || !ok2 {
			return item{}, false
		}
		va, _ := parseDec(qa.val)
		vb, ok := qb.toUnit(qa.unit)
		if va == nil || !ok {
			return item{}, false
		}
		if op == "+" {
			return quantityItem(decAdd(va, vb).String(), qa.unit), true
		}
		return quantityItem(decSub(va, vb).String(), qa.unit), true
	case (op == "*" || op == "/") && a.k == kQty && b.k.isNum(), op == "*" && a.k.isNum() && b.k == kQty:
		if a.k.isNum() {
			a, b = b, a
		}
		q, ok := quantityOf(a)
		if !ok {
			return item{}, false
		}
		va, ok1 := parseDec(q.val)
		vb, ok2 := parseDec(b.v.Str)
		if !ok1 || !ok2 {
			return item{}, false
		}
		if op == "*" {
			return quantityItem(decMul(va, vb).String(), q.unit), true
		}
		r, ok := decDiv(va, vb)
		if !ok {
			return item{}, false
		}
		return quantityItem(r.String(), q.unit), true
	}
	e.fail(op + ": cannot apply to a " + string(typeName(a)) + " and a " + string(typeName(b)))
	return item{}, false
}

func (e *env) numArith(op string, a, b item) (item, bool) {
	ints := (a.k == kInt || a.k == kLong) && (b.k == kInt || b.k == kLong) && op != "/"
	if ints {
		x, ok1 := strconv.ParseInt(a.v.Str, 10, 64)
		y, ok2 := strconv.ParseInt(b.v.Str, 10, 64)
		if ok1 == nil && ok2 == nil {
			k := kInt
			if a.k == kLong || b.k == kLong {
				k = kLong
			}
			var r int64
			switch op {
			case "+":
				r = x + y
				if (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0) {
					return item{}, false
				}
			case "-":
				r = x - y
				if (x >= 0 && y < 0 && r < 0) || (x < 0 && y > 0 && r >= 0) {
					return item{}, false
				}
			case "*":
				r = x * y
				if x != 0 && (r/x != y || (x == -1 && y == -1<<63)) {
					return item{}, false
				}
			case "div", "mod":
				if y == 0 || (x == -1<<63 && y == -1) {
					return item{}, false
				}
				if op == "div" {
					r = x / y
				} else {
					r = x % y
				}
			}
			if k == kInt {
				return intItem(r), true
			}
			return item{v: value.NewNumber(strconv.FormatInt(r, 10)), t: tidLong, k: kLong}, true
		}
	}
	x, ok1 := parseDec(a.v.Str)
	y, ok2 := parseDec(b.v.Str)
	if !ok1 || !ok2 {
		return item{}, false
	}
	var r *dec
	switch op {
	case "+":
		r = decAdd(x, y)
	case "-":
		r = decSub(x, y)
	case "*":
		r = decMul(x, y)
	case "/":
		var ok bool
		if r, ok = decDiv(x, y); !ok {
			return item{}, false
		}
	case "div":
		q, ok := decDivInt(x, y)
		if !ok {
			return item{}, false
		}
		return bigIntItem(q), true
	case "mod":
		var ok bool
		if r, ok = decMod(x, y); !ok {
			return item{}, false
		}
	}
	return decItem(r.String()), true
}

func bigIntItem(q *big.Int) item {
	if q.IsInt64() {
		return intItem(q.Int64())
	}
	return item{v: value.NewNumber(q.String()), t: tidInteger, k: kInt}
}

// typeOp is `X is T` and `X as T`.
func (c *compiler) typeOp(x *plan.TypeOp) evalFn {
	sub := c.expr(x.X)
	ns, name := x.Namespace, x.Name
	if x.Op == "is" {
		return func(e *env, focus []item) []item {
			it, ok := e.single(sub(e, focus), "is")
			if !ok {
				return nil
			}
			return boolColl(typeMatches(it, ns, name))
		}
	}
	if x.Op != "as" {
		c.failf("unknown type operator %q", x.Op)
		return empty
	}
	return c.filterType(sub, ns, name)
}

// filterType keeps the items of a type (ofType and as).
func (c *compiler) filterType(sub evalFn, ns, name string) evalFn {
	id := c.newBuf()
	return func(e *env, focus []item) []item {
		in := sub(e, focus)
		all := true
		for i := range in {
			if !typeMatches(in[i], ns, name) {
				all = false
				break
			}
		}
		if all {
			return in
		}
		out := e.bufs[id][:0]
		for i := range in {
			if typeMatches(in[i], ns, name) {
				out = append(out, in[i])
			}
		}
		e.keep(id, out)
		return out
	}
}

// fhirParent is the R4 primitive and data type hierarchy the runtime needs
// for is/as/ofType (the catalog is not available here).
var fhirParent = map[string]string{
	"code": "string", "id": "string", "markdown": "string",
	"url": "uri", "canonical": "uri", "oid": "uri", "uuid": "uri",
	"positiveInt": "integer", "unsignedInt": "integer",
	"SimpleQuantity": "Quantity", "Age": "Quantity", "Duration": "Quantity", "Distance": "Quantity",
	"Count": "Quantity", "MoneyQuantity": "Quantity",
}

var systemKinds = map[string]kind{
	"Boolean": kBool, "Integer": kInt, "Long": kLong, "Decimal": kDec, "String": kStr,
	"Date": kDate, "DateTime": kDateTime, "Time": kTime, "Quantity": kQty,
}

// typeMatches reports whether an item is of (or derives from) a type.
func typeMatches(it item, ns, name string) bool {
	if ns == "System" {
		k, ok := systemKinds[name]
		return ok && it.k == k
	}
	t := string(typeName(it))
	if name == "Resource" || name == "DomainResource" {
		return it.k == kObj && it.v.Get("resourceType") != nil || t == name
	}
	for s := t; s != ""; s = fhirParent[s] {
		if s == name {
			return true
		}
	}
	if ns == "" {
		// Unqualified names fall back to System types, and a FHIR primitive
		// name matches computed values of its System type.
		if k, ok := systemKinds[name]; ok && it.k == k && (it.k != kQty || isQuantityType(t) || t == string(types.Quantity)) {
			return true
		}
		if types.IsPrimitiveName(name) && types.Type(t) == types.Primitive(name) {
			return true
		}
	}
	return false
}
