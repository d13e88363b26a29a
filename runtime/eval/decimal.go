package eval

import (
	"math/big"
	"strconv"
	"strings"
)

// FHIR decimals are exact and keep their lexeme, so numbers stay text until
// arithmetic needs them. Comparisons take an allocation-free fast path for
// plain lexemes that fit an int64 mantissa; everything else goes through
// dec, an arbitrary-precision mantissa with a decimal scale.

// maxDivScale is the number of decimal places a division keeps (FHIRPath's
// decimal step is 10^-8).
const maxDivScale = 8

// parseSmall parses a plain lexeme ("-12.50", no exponent, at most 18
// digits) into mantissa and scale without allocating.
func parseSmall(s string) (m int64, scale int, ok bool) {
	if s == "" {
		return 0, 0, false
	}
	i := 0
	neg := false
	switch s[0] {
	case '-':
		neg = true
		i = 1
	case '+':
		i = 1
	}
	digits := 0
	dot := false
	seen := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seen = true
			if m == 0 && c == '0' {
				if dot {
					scale++
				}
				continue
			}
			digits++
			if digits > 18 {
				return 0, 0, false
			}
			m = m*10 + int64(c-'0')
			if dot {
				scale++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, 0, false
		}
	}
	if !seen {
		return 0, 0, false
	}
	if neg {
		m = -m
	}
	return m, scale, true
}

// cmpNum compares two number lexemes; ok is false when one is not a number.
func cmpNum(a, b string) (int, bool) {
	am, as, ok1 := parseSmall(a)
	bm, bs, ok2 := parseSmall(b)
	if ok1 && ok2 {
		for as < bs {
			if am > 922337203685477580 || am < -922337203685477580 {
				goto slow
			}
			am *= 10
			as++
		}
		for bs < as {
			if bm > 922337203685477580 || bm < -922337203685477580 {
				goto slow
			}
			bm *= 10
			bs++
		}
		switch {
		case am < bm:
			return -1, true
		case am > bm:
			return 1, true
		}
		return 0, true
	}
slow:
	da, ok1 := parseDec(a)
	db, ok2 := parseDec(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return da.cmp(db), true
}

// dec is an exact decimal: m / 10^s, s >= 0.
type dec struct {
	m big.Int
	s int
}

var bigTen = big.NewInt(10)

func pow10(n int) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// parseDec parses a JSON or FHIRPath number lexeme, exponents included.
func parseDec(s string) (*dec, bool) {
	if s == "" {
		return nil, false
	}
	mant := s
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 400 || e < -400 {
			return nil, false
		}
		exp = e
		mant = s[:i]
	}
	neg := false
	if mant != "" && (mant[0] == '-' || mant[0] == '+') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return nil, false
	}
	for _, part := range [2]string{intPart, frac} {
		for j := 0; j < len(part); j++ {
			if part[j] < '0' || part[j] > '9' {
				return nil, false
			}
		}
	}
	d := &dec{}
	if _, ok := d.m.SetString(intPart+frac, 10); !ok && intPart+frac != "" {
		return nil, false
	}
	d.s = len(frac) - exp
	if d.s < 0 {
		d.m.Mul(&d.m, pow10(-d.s))
		d.s = 0
	}
	if neg {
		d.m.Neg(&d.m)
	}
	return d, true
}

func decFromInt(n int64) *dec {
	d := &dec{}
	d.m.SetInt64(n)
	return d
}

// rescale returns the mantissa of d at scale s >= d.s.
func (d *dec) rescale(s int) *big.Int {
	if s == d.s {
		return new(big.Int).Set(&d.m)
	}
	return new(big.Int).Mul(&d.m, pow10(s-d.s))
}

func (d *dec) cmp(o *dec) int {
	s := max(d.s, o.s)
	return d.rescale(s).Cmp(o.rescale(s))
}

func (d *dec) sign() int { return d.m.Sign() }

func decAdd(a, b *dec) *dec {
	s := max(a.s, b.s)
	r := &dec{s: s}
	r.m.Add(a.rescale(s), b.rescale(s))
	return r
}

func decSub(a, b *dec) *dec {
	s := max(a.s, b.s)
	r := &dec{s: s}
	r.m.Sub(a.rescale(s), b.rescale(s))
	return r
}

func decMul(a, b *dec) *dec {
	r := &dec{s: a.s + b.s}
	r.m.Mul(&a.m, &b.m)
	return r
}

// decDiv divides to maxDivScale places (half away from zero) and drops
// trailing zeros; ok is false on division by zero.
func decDiv(a, b *dec) (*dec, bool) {
	if b.sign() == 0 {
		return nil, false
	}
	// a/b = (a.m/10^a.s) / (b.m/10^b.s); compute at scale maxDivScale+1 then round.
	num := new(big.Int).Mul(&a.m, pow10(b.s+maxDivScale+1))
	den := new(big.Int).Mul(&b.m, pow10(a.s))
	q := new(big.Int).Quo(num, den)
	r := &dec{s: maxDivScale + 1}
	r.m.Set(q)
	r = r.round(maxDivScale)
	return r.trim(0), true
}

// decDivInt is truncated division (div); ok false on zero.
func decDivInt(a, b *dec) (*big.Int, bool) {
	if b.sign() == 0 {
		return nil, false
	}
	s := max(a.s, b.s)
	return new(big.Int).Quo(a.rescale(s), b.rescale(s)), true
}

// decMod is the remainder of truncated division; ok false on zero.
func decMod(a, b *dec) (*dec, bool) {
	if b.sign() == 0 {
		return nil, false
	}
	s := max(a.s, b.s)
	r := &dec{s: s}
	r.m.Rem(a.rescale(s), b.rescale(s))
	return r, true
}

// round rounds to n places, half away from zero (n may exceed d.s: then the
// value is padded).
func (d *dec) round(n int) *dec {
	if n < 0 {
		n = 0
	}
	if n >= d.s {
		r := &dec{s: n}
		r.m.Set(d.rescale(n))
		return r
	}
	div := pow10(d.s - n)
	q, rem := new(big.Int).QuoRem(&d.m, div, new(big.Int))
	rem.Abs(rem)
	rem.Mul(rem, big.NewInt(2))
	if rem.Cmp(div) >= 0 {
		if d.m.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	r := &dec{s: n}
	r.m.Set(q)
	return r
}

// floor and ceil to n places.
func (d *dec) floorTo(n int, ceil bool) *dec {
	if n >= d.s {
		r := &dec{s: n}
		r.m.Set(d.rescale(n))
		return r
	}
	div := pow10(d.s - n)
	q, rem := new(big.Int).QuoRem(&d.m, div, new(big.Int))
	if rem.Sign() != 0 {
		if ceil && d.m.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		}
		if !ceil && d.m.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		}
	}
	r := &dec{s: n}
	r.m.Set(q)
	return r
}

// trim drops trailing fractional zeros down to scale min.
func (d *dec) trim(min int) *dec {
	r := &dec{s: d.s}
	r.m.Set(&d.m)
	if r.m.Sign() == 0 {
		r.s = min
		return r
	}
	rem := new(big.Int)
	q := new(big.Int)
	for r.s > min {
		q.QuoRem(&r.m, bigTen, rem)
		if rem.Sign() != 0 {
			break
		}
		r.m.Set(q)
		r.s--
	}
	return r
}

// significantScale is the number of fractional digits without trailing zeros.
func significantScale(lexeme string) int {
	d, ok := parseDec(lexeme)
	if !ok {
		return 0
	}
	return d.trim(0).s
}

func (d *dec) String() string {
	str := d.m.String()
	neg := false
	if str[0] == '-' {
		neg = true
		str = str[1:]
	}
	if d.s > 0 {
		if len(str) <= d.s {
			str = strings.Repeat("0", d.s-len(str)+1) + str
		}
		str = str[:len(str)-d.s] + "." + str[len(str)-d.s:]
	}
	if neg {
		return "-" + str
	}
	return str
}

// int64 returns the value when it is integral and fits.
func (d *dec) int64() (int64, bool) {
	t := d.trim(0)
	if t.s != 0 || !t.m.IsInt64() {
		return 0, false
	}
	return t.m.Int64(), true
}

// parseInt parses an integer lexeme (decimal lexemes with a zero fraction
// are accepted too, since JSON does not distinguish 1 from 1.0).
func parseInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	d, ok := parseDec(s)
	if !ok {
		return 0, false
	}
	return d.int64()
}
