package parse

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The concrete syntax tree of a .fview file, as participle grammar structs.
// These types never leave the package: convert.go turns them into the ast
// tree. Statements inside a block are accepted in any order here and ordered
// (with a clear message) by the converter, because a grammar error could only
// say "unexpected token".
//
// FHIRPath expressions are one opaque production, expr, parsed by precedence
// climbing in expr.go through participle's Parseable hook.

// file is a whole .fview file: constants and views in any order.
type file struct {
	Decls []*decl `parser:"@@*"`
}

// decl is a top-level declaration.
type decl struct {
	Const *constDecl `parser:"  @@"`
	Group *groupDecl `parser:"| @@"`
	View  *view      `parser:"| @@"`
}

// groupDecl is `group name of Type { column* }`: a reusable column group.
// The type may be a backbone element's path (Patient.contact).
type groupDecl struct {
	Pos    lexer.Position
	Name   *name   `parser:"'group' @@"`
	Type   []*name `parser:"'of' @@ ( '.' @@ )*"`
	Body   *block  `parser:"@@"`
	EndPos lexer.Position
}

// constDecl is `const name (: type)? = literal`, at file level or at the top
// of a view body.
type constDecl struct {
	Pos    lexer.Position
	Name   *name `parser:"'const' @@"`
	Type   *name `parser:"( ':' @@ )?"`
	Value  *expr `parser:"'=' @@"`
	EndPos lexer.Position
}

// view is `view name of Resource @attr* where* { body }`.
type view struct {
	Pos      lexer.Position
	Name     *name    `parser:"'view' @@"`
	Resource *name    `parser:"'of' @@"`
	Attrs    []*attr  `parser:"@@*"`
	Where    []*where `parser:"@@*"`
	Body     *block   `parser:"@@"`
	EndPos   lexer.Position
}

// attr is `@key <JSON value>`: any ViewDefinition property without syntax of its own.
type attr struct {
	Pos    lexer.Position
	Key    *name      `parser:"'@' @@"`
	Value  *jsonValue `parser:"@@"`
	EndPos lexer.Position
}

// where is one `where path` filter of a view.
type where struct {
	Pos    lexer.Position
	Path   *expr `parser:"'where' @@"`
	EndPos lexer.Position
}

// block is `{ statement* }`.
type block struct {
	Pos    lexer.Position
	Stmts  []*stmt `parser:"'{' @@* '}'"`
	EndPos lexer.Position
}

// stmt is one statement of a block. A column is recognised by lookahead (a
// name followed by "=" or "["), so a column may be named like a keyword
// (`select = ...`) and every alternative is decided by its first tokens.
type stmt struct {
	Column   *column     `parser:"  @@"`
	Const    *constDecl  `parser:"| @@"`
	UnionAll *unionAll   `parser:"| @@"`
	Select   *selectStmt `parser:"| @@"`
	Expect   *expectStmt `parser:"| @@"`
}

// expectStmt is `expect RULE`: the lexer hands the rest of the line over as
// one Rule token, parsed by ParseExpect (expect.go).
type expectStmt struct {
	Pos    lexer.Position
	Rule   *ruleText `parser:"'expect' @@"`
	EndPos lexer.Position
}

// ruleText is the text of an expectation.
type ruleText struct {
	Pos  lexer.Position
	Text string `parser:"@Rule"`
}

// column is `name([])? = path (use Group)? (: type)? @annotation*`. `use`
// followed by a name can never start the next column (a column starts with
// a name and "=" or "["), so a column may still be named use.
type column struct {
	Pos         lexer.Position
	Name        *name         `parser:"(?= ( Ident | QIdent ) ( '=' | '[' ) ) @@"`
	Collection  bool          `parser:"@( '[' ']' )?"`
	Path        *expr         `parser:"'=' @@"`
	Use         *name         `parser:"( (?= 'use' ( Ident | QIdent ) ) 'use' @@ )?"`
	Type        *name         `parser:"( ':' @@ )?"`
	Annotations []*annotation `parser:"@@*"`
	EndPos      lexer.Position
}

// annotation is `@name(json, ...)` after a column: @tag("k", "v"), @collection(false).
type annotation struct {
	Pos    lexer.Position
	Name   *name        `parser:"'@' @@"`
	Args   []*jsonValue `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	EndPos lexer.Position
}

// selectStmt is `select { }`, `forEach path { }`, `parser:"forEachOrNull path { }"`
// or `repeat path, path { }`.
type selectStmt struct {
	Pos    lexer.Position
	Plain  bool    `parser:"( @'select'"`
	Kind   string  `parser:"| @( 'forEachOrNull' | 'forEach' | 'repeat' )"`
	Paths  []*expr `parser:"  ( @@ ( ',' @@ )* )? )"`
	Body   *block  `parser:"@@"`
	EndPos lexer.Position
}

// unionAll is `unionAll { select* }`.
type unionAll struct {
	Pos    lexer.Position
	Body   *block `parser:"'unionAll' @@"`
	EndPos lexer.Position
}

// name is an identifier or a `backtick-quoted` name.
type name struct {
	Pos    lexer.Position
	Text   string `parser:"@( Ident | QIdent )"`
	EndPos lexer.Position
}

// jsonValue is a JSON value, kept as tokens and re-serialised compactly.
type jsonValue struct {
	Pos    lexer.Position
	Str    *string     `parser:"  @JSONString"`
	Neg    bool        `parser:"| ( @'-'?"`
	Num    *string     `parser:"    @Number )"`
	Word   *string     `parser:"| @( 'true' | 'false' | 'null' )"`
	Array  *jsonArray  `parser:"| @@"`
	Object *jsonObject `parser:"| @@"`
	EndPos lexer.Position
}

// jsonArray is `[ value, ... ]`.
type jsonArray struct {
	Items []*jsonValue `parser:"'[' ( @@ ( ',' @@ )* )? ']'"`
}

// jsonObject is `{ "key": value, ... }`.
type jsonObject struct {
	Members []*jsonMember `parser:"'{' ( @@ ( ',' @@ )* )? '}'"`
}

// jsonMember is one `"key": value` pair.
type jsonMember struct {
	Key   string     `parser:"@JSONString ':'"`
	Value *jsonValue `parser:"@@"`
}

// fileParser is built once; building is the expensive part of participle.
var fileParser = participle.MustBuild[file](
	participle.Lexer(lexDef{}),
	// Every choice is decided before its first token is consumed, so a
	// branch that fails after consuming a token is the user's error, not a
	// reason to try the next branch: this keeps errors where they happen.
	participle.UseLookahead(0),
)

// Grammar returns the .fview grammar in participle's EBNF notation; `expr` is
// a FHIRPath expression (see docs/language.md), parsed by precedence climbing.
func Grammar() string { return fileParser.String() }
