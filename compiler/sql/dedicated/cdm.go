package dedicated

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fhirql/fhirql/compiler/sql"
)

// CDMTable is one view of a CDM folder to load: its compiled form (for the
// column types fhirql build would give the same table) and its partition's
// path relative to the folder ("data/Localpatient/partition-data.csv").
type CDMTable struct {
	Compiled  *sql.Compiled
	Partition string
}

// cdmRoot stands for the folder's URL inside the COPY INTO text until the
// statement is turned into dynamic SQL.
const cdmRoot = "{cdm_root}"

// LoadCDM is the script that loads a CDM folder written by `fhirql run
// --format cdm` into the dedicated pool: the seed's "From CDM folder to
// Synapse", without a data flow. Per view it COPY INTOs the CSV partition
// into a staging heap of NVARCHAR(MAX) columns, then builds the view's
// table with CREATE TABLE AS SELECT, each column converted to the type
// `fhirql build --target dedicated` gives it (booleans from true/false,
// the rest with TRY_CONVERT), and drops the staging heap. The table has the
// view's name, so this is an alternative way to the same table.
//
// COPY INTO takes its source only as a literal, and the folder's URL is
// known only where the script runs: the script starts by declaring
// @cdm_root, which the user sets, and runs each COPY INTO as dynamic SQL
// built from it (quotes in the URL are doubled). It can be run again.
func (t *Target) LoadCDM(tables []CDMTable) string {
	var b strings.Builder
	b.WriteString(sql.Print(t, []sql.Stmt{&sql.Comment{Lines: []string{
		"fhirql: load a CDM folder written by `fhirql run --format cdm` into a Synapse dedicated SQL pool.",
		"Set @cdm_root to the URL of the folder that holds default.manifest.cdm.json, and @identity",
		"to COPY INTO's credential identity if the pool needs one (e.g. Managed Identity; empty: the",
		"caller's own Entra ID identity). The script drops and recreates each table: safe to run again.",
	}}}))
	b.WriteString("DECLARE @cdm_root NVARCHAR(4000) = N'https://ACCOUNT.dfs.core.windows.net/CONTAINER/FOLDER';\n")
	b.WriteString("DECLARE @identity NVARCHAR(200) = N'';\n")
	b.WriteString("DECLARE @copy NVARCHAR(MAX);\n")
	b.WriteString("IF @cdm_root LIKE N'https://ACCOUNT.%' THROW 50000, N'Set @cdm_root to the URL of the CDM folder before running this script.', 1;\n")
	b.WriteString("SET @cdm_root = CASE WHEN RIGHT(@cdm_root, 1) = N'/' THEN LEFT(@cdm_root, LEN(@cdm_root) - 1) ELSE @cdm_root END;\n\n")
	for _, tb := range tables {
		c := tb.Compiled
		name := t.Object(c.View)
		stg := sql.ObjectName{t.opts.Schema, "fhirql_cdm_" + sql.ViewName(c.View)}
		var cols []sql.ColumnDef
		var names []string
		sel := &sql.Select{From: []*sql.From{{Src: &sql.Table{Name: stg}, Alias: "s"}}}
		for _, ci := range c.Columns {
			cols = append(cols, sql.ColumnDef{Name: ci.Name, Typ: "NVARCHAR(MAX)"})
			names = append(names, ci.Name)
			sel.Items = append(sel.Items, sql.Item{X: t.convert(sql.ViewName(c.View), ci, &sql.Col{Table: "s", Name: ci.Name}), Alias: ci.Name})
		}
		copyText := sql.Print(t, []sql.Stmt{&sql.CopyInto{Table: stg, Columns: names, From: cdmRoot + "/" + tb.Partition, With: []sql.Option{
			{Name: "FILE_TYPE", Value: &sql.ASCII{V: "CSV"}},
			{Name: "FIRSTROW", Value: &sql.Num{V: "2"}},
			{Name: "FIELDTERMINATOR", Value: &sql.ASCII{V: ","}},
			{Name: "FIELDQUOTE", Value: &sql.ASCII{V: `"`}},
			{Name: "ROWTERMINATOR", Value: &sql.ASCII{V: "0x0d0a"}},
			{Name: "ENCODING", Value: &sql.ASCII{V: "UTF8"}},
		}}})
		copyText = strings.TrimRight(copyText, ";\n")
		dyn := "N'" + strings.ReplaceAll(copyText, "'", "''")
		dyn = strings.Replace(dyn, cdmRoot, "' + REPLACE(@cdm_root, N'''', N'''''') + N'", 1)
		b.WriteString(sql.Print(t, []sql.Stmt{
			&sql.Comment{Lines: []string{fmt.Sprintf("View %q: %s", sql.ViewName(c.View), tb.Partition)}},
			&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: stg},
			&sql.CreateTable{Name: stg, Columns: cols, With: []sql.Option{{Name: "DISTRIBUTION", Value: &sql.Bare{K: "ROUND_ROBIN"}}, {Name: "HEAP"}}},
		}))
		b.WriteString("SET @copy = " + strings.TrimSuffix(dyn, ")") + "' + CASE WHEN @identity = N'' THEN N'' ELSE N', CREDENTIAL = (IDENTITY = ''' + REPLACE(@identity, N'''', N'''''') + N''')' END + N')';\n")
		b.WriteString("EXEC (@copy);\n")
		// The table layout build gives the view: columnstore when every
		// column is sized, else HEAP (with the comment saying why).
		index, why := t.index(c)
		var pre []sql.Stmt
		if why != nil {
			pre = append(pre, why)
		}
		b.WriteString(sql.Print(t, append(pre,
			&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: name},
			&sql.CreateTable{Name: name, With: []sql.Option{
				{Name: "DISTRIBUTION", Value: t.distribution()},
				{Name: strings.ToUpper(strings.TrimSpace(index))},
			}, As: sel},
			&sql.Drop{Kind: "TABLE", ObjectType: "U", Name: stg},
		)))
		b.WriteString("\n")
	}
	return b.String()
}

// convert turns a partition's text back into the column's type: the CSV
// holds booleans as true/false, numbers as their JSON lexeme, dates as
// written, and collections and objects as JSON text.
// A text longer than a sized column fails the load with a message naming
// view, column and size: a CAST to NVARCHAR(n) would cut it silently.
func (t *Target) convert(view string, ci sql.ColumnInfo, x sql.Expr) sql.Expr {
	typ := strings.ToUpper(ci.SQLType)
	if n, ok := sizedText(typ); ok {
		msg := t.Fn(sql.FnConcat, &sql.Str{V: fmt.Sprintf("fhirql: column %q of view %q is sized for %d characters but the CDM partition holds a value of ", ci.Name, view, n)},
			t.Fn(sql.FnLength, x), &sql.Str{V: ": give the column a wider tsql/type tag"})
		return &sql.Case{Whens: []sql.When{{Cond: &sql.Bin{Op: sql.OpGt, X: t.Fn(sql.FnLength, x), Y: &sql.Num{V: strconv.Itoa(n)}}, Then: t.Fail(msg, ci.SQLType)}},
			Else: &sql.Cast{X: x, Typ: ci.SQLType}}
	}
	switch {
	case typ == "BIT":
		return &sql.Case{Operand: x, Whens: []sql.When{
			{Cond: &sql.Str{V: "true"}, Then: &sql.Cast{X: &sql.Num{V: "1"}, Typ: "BIT"}},
			{Cond: &sql.Str{V: "false"}, Then: &sql.Cast{X: &sql.Num{V: "0"}, Typ: "BIT"}},
		}}
	case strings.HasPrefix(typ, "NVARCHAR"), strings.HasPrefix(typ, "VARCHAR"):
		return &sql.Cast{X: x, Typ: ci.SQLType}
	default:
		return &sql.Convert{Typ: ci.SQLType, X: x, Try: true}
	}
}

// sizedText is n for NVARCHAR(n) and VARCHAR(n).
func sizedText(typ string) (int, bool) {
	for _, p := range []string{"NVARCHAR(", "VARCHAR("} {
		if rest, ok := strings.CutPrefix(typ, p); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(rest, ")"))
			return n, err == nil
		}
	}
	return 0, false
}
