package sql

// Equality of dates, dateTimes and times for de-duplication (union,
// distinct, isDistinct), exactly as the runtime's eqItem decides it: two
// valid values are equal when they have the same precision (a fraction of a
// second counts as seconds) and the same components at it, after
// conversion to UTC when they have a time and one has an offset (a value
// without one is UTC); values that do not parse are equal when their texts
// are. Different precisions are never equal (the runtime's "unknown").
//
// Each item's parts are computed once, as columns of the numbered items
// (temporalParts): whether it is valid, its precision, the date part or
// hh:mm:ss as text, the instant at whole seconds, and the fraction of a
// second. The instant goes through the engine's parser after padding the
// clock to hh:mm:ss (DuckDB parses no shorter clock); the fraction is
// compared apart, as a number to 9 places, because DuckDB keeps
// microseconds and T-SQL 100 ns where the runtime keeps nanoseconds.

// temporalParts wraps the numbered items (value, position) with the parts
// of each value, bound step by step with one-row CROSS APPLYs so that no
// part is written twice.
func (e *emitter) temporalParts(items *Select, isTime bool) *Select {
	base := e.alias("k")
	out := &Select{From: []*From{{Src: &Derived{Q: items}, Alias: base}}}
	bind := func(x Expr) Expr {
		alias := e.alias("b")
		out.From = append(out.From, &From{Join: CrossApply, Src: &Derived{Q: &Select{Items: []Item{{X: x, Alias: "v"}}}}, Alias: alias})
		return &Col{Table: alias, Name: "v"}
	}
	s := &Col{Table: base, Name: "value"}
	var valid, prec, text, instant, frac Expr
	if isTime {
		t := bind(e.trimT(s))
		valid, prec, text, frac = e.clock(t), e.clockPrec(t), e.d.Fn(FnLeft, t, numLit(8)), e.fraction(t)
	} else {
		t := bind(e.d.Fn(FnSubstring, s, numLit(12), e.length(s)))
		z := bind(e.tzLen(t))
		clock := bind(e.cut(t, z))
		l := e.length(s)
		valid = e.validDateTime(s)
		prec = &Case{Whens: []When{
			{Cond: &Bin{Op: OpLe, X: l, Y: numLit(5)}, Then: numLit(1)},
			{Cond: &Bin{Op: OpLe, X: l, Y: numLit(8)}, Then: numLit(2)},
			{Cond: &Bin{Op: OpLe, X: l, Y: numLit(11)}, Then: numLit(3)},
		}, Else: e.clockPrec(clock)}
		text = &Case{Whens: []When{
			{Cond: &Bin{Op: OpLe, X: l, Y: numLit(5)}, Then: e.d.Fn(FnLeft, s, numLit(4))},
			{Cond: &Bin{Op: OpLe, X: l, Y: numLit(8)}, Then: e.d.Fn(FnLeft, s, numLit(7))},
		}, Else: e.d.Fn(FnLeft, s, numLit(10))}
		hms := &Case{Operand: e.length(clock), Whens: []When{
			{Cond: numLit(2), Then: e.d.Fn(FnConcat, clock, &Str{V: ":00:00"})},
			{Cond: numLit(5), Then: e.d.Fn(FnConcat, clock, &Str{V: ":00"})},
		}, Else: e.d.Fn(FnLeft, clock, numLit(8))}
		instant = e.d.Fn(FnParseDateTime, e.d.Fn(FnConcat, e.d.Fn(FnLeft, s, numLit(10)), &Str{V: "T"}, hms, e.d.Fn(FnRight, s, z)))
		frac = e.fraction(clock)
	}
	out.Items = []Item{
		{X: s, Alias: "value"},
		{X: &Col{Table: base, Name: "position"}, Alias: "position"},
		{X: e.d.BoolValue(valid, true), Alias: "valid"},
		{X: prec, Alias: "prec"},
		{X: text, Alias: "text"},
		{X: frac, Alias: "frac"},
	}
	if instant != nil {
		out.Items = append(out.Items, Item{X: instant, Alias: "instant"})
	}
	return out
}

// sameTemporal is "the items of aliases a and b are certainly equal", from
// their temporalParts columns.
func (e *emitter) sameTemporal(a, b string, isTime bool) Expr {
	col := func(t, n string) Expr { return &Col{Table: t, Name: n} }
	eqCol := func(n string) Expr { return &Bin{Op: OpEq, X: col(a, n), Y: col(b, n)} }
	one := numLit(1)
	var same Expr
	if isTime {
		same = and(eqCol("prec"), e.d.StringEq(col(a, "text"), col(b, "text")), eqCol("frac"))
	} else {
		three := numLit(3)
		same = and(eqCol("prec"), or(
			and(&Bin{Op: OpLe, X: col(a, "prec"), Y: three}, e.d.StringEq(col(a, "text"), col(b, "text"))),
			and(&Bin{Op: OpGt, X: col(a, "prec"), Y: three}, eqCol("instant"), eqCol("frac")),
		))
	}
	bothValid := and(&Bin{Op: OpEq, X: col(a, "valid"), Y: one}, &Bin{Op: OpEq, X: col(b, "valid"), Y: one})
	return &Bin{Op: OpEq, Y: one, X: &Case{Whens: []When{
		{Cond: bothValid, Then: e.d.BoolValue(same, true)},
	}, Else: e.d.BoolValue(e.d.StringEq(col(a, "value"), col(b, "value")), true)}}
}

// clockPrec numbers a valid clock's precision: 4 hour, 5 minute, 6 second.
func (e *emitter) clockPrec(c Expr) Expr {
	return &Case{Operand: e.length(c), Whens: []When{
		{Cond: numLit(2), Then: numLit(4)},
		{Cond: numLit(5), Then: numLit(5)},
	}, Else: numLit(6)}
}

// fraction is a valid clock's fraction of a second as a number (0 without
// one), to 9 places, as the runtime keeps nanoseconds.
func (e *emitter) fraction(c Expr) Expr {
	f := e.d.Fn(FnSubstring, c, numLit(10), numLit(9))
	return &Case{Whens: []When{{
		Cond: &Bin{Op: OpGt, X: e.length(c), Y: numLit(9)},
		Then: e.d.ToNumber(e.d.Fn(FnConcat, &Str{V: "0."}, f), false),
	}}, Else: numLit(0)}
}
