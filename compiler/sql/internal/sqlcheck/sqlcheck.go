// Package sqlcheck is a test aid: a lexer for the T-SQL fhirql prints that
// finds every bare word outside comments, string literals and [delimited]
// identifiers. A bare word that is not one of the keywords and function
// names the printer uses is an identifier or a value that escaped quoting —
// exactly what the injection tests must never see.
package sqlcheck

import (
	"fmt"
	"strings"
)

// Keywords are the bare words fhirql's T-SQL may contain.
var Keywords = words(`
SELECT TOP FROM WHERE AND OR NOT AS CASE WHEN THEN ELSE END IS NULL IN LIKE EXISTS
CROSS OUTER APPLY JOIN UNION ALL WITH ORDER BY DESC GROUP OVER PARTITION WITHIN COLLATE
CREATE ALTER VIEW FUNCTION RETURNS TABLE RETURN DROP IF OBJECT_ID TRUNCATE COPY INTO
EXTERNAL DATA SOURCE FILE FORMAT LOCATION DATA_SOURCE FILE_FORMAT FORMAT_TYPE DATA_COMPRESSION
PARQUET DISTRIBUTION ROUND_ROBIN REPLICATE HASH HEAP CLUSTERED COLUMNSTORE INDEX GO
FILE_TYPE FIELDTERMINATOR FIELDQUOTE ROWTERMINATOR ENCODING CREDENTIAL IDENTITY BULK FORMAT
OPENROWSET OPENJSON JSON_VALUE JSON_QUERY JSON_MODIFY ISJSON STRING_ESCAPE STRING_AGG
CAST TRY_CAST CONVERT TRY_CONVERT CONCAT DATALENGTH LEN SUBSTRING LEFT RIGHT CHARINDEX REVERSE
REPLICATE REPLACE UPPER LOWER LTRIM RTRIM EOMONTH ABS ROUND COALESCE ISNULL NULLIF COUNT MAX MIN
ROW_NUMBER FLOOR SYSDATETIMEOFFSET SCHEMA_ID EXEC SCHEMA NCHAR NVARCHAR INT BIGINT DECIMAL BIT DATE DATETIMEOFFSET TIME FLOAT
JSON sys external_data_sources external_file_formats Latin1_General_100_BIN2 N filepath
filename DECLARE THROW DB_NAME SYSUTCDATETIME DATABASE SCOPED database_scoped_credentials symmetric_keys
`)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// Bare returns the bare words of a script that are not keywords, and an
// error when a literal or identifier is left open.
func Bare(script string) ([]string, error) {
	var out []string
	s := script
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out, nil
			}
			i += j + 1
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					return out, fmt.Errorf("unterminated string literal at byte %d", i)
				}
				if s[j] == '\n' {
					return out, fmt.Errorf("line break inside a string literal at byte %d", i)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
		case c == '[':
			j := i + 1
			for {
				if j >= len(s) {
					return out, fmt.Errorf("unterminated identifier at byte %d", i)
				}
				if s[j] == '\n' {
					return out, fmt.Errorf("line break inside an identifier at byte %d", i)
				}
				if s[j] == ']' {
					if j+1 < len(s) && s[j+1] == ']' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
		case c == '@':
			j := i + 1
			for j < len(s) && isWord(s[j]) {
				j++
			}
			i = j
		case isWord(c) && !(c >= '0' && c <= '9'):
			j := i
			for j < len(s) && isWord(s[j]) {
				j++
			}
			w := s[i:j]
			if !Keywords[w] {
				out = append(out, w)
			}
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (isWord(s[j]) || s[j] == '.') {
				j++
			}
			i = j
		case c >= 0x80:
			return out, fmt.Errorf("non-ASCII byte outside quotes at byte %d", i)
		default:
			i++
		}
	}
	return out, nil
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// AggregatesOverSubqueries returns the aggregate calls (MAX, MIN, COUNT,
// STRING_AGG) whose argument contains a subquery, which T-SQL rejects
// ("Cannot perform an aggregate function on an expression containing an
// aggregate or a subquery", error 130).
func AggregatesOverSubqueries(script string) []string {
	var out []string
	code := blankQuoted(script)
	for _, fn := range []string{"MAX(", "MIN(", "COUNT(", "STRING_AGG("} {
		for i := 0; ; {
			j := strings.Index(code[i:], fn)
			if j < 0 {
				break
			}
			start := i + j
			i = start + len(fn)
			if start > 0 && isWord(code[start-1]) {
				continue
			}
			depth, end := 1, i
			for end < len(code) && depth > 0 {
				switch code[end] {
				case '(':
					depth++
				case ')':
					depth--
				}
				end++
			}
			if strings.Contains(code[i:end], "SELECT") {
				out = append(out, strings.Join(strings.Fields(script[start:min(end, start+120)]), " "))
			}
		}
	}
	return out
}

// blankQuoted replaces the contents of literals, identifiers and comments
// with spaces, keeping offsets, so that text searches see only SQL syntax.
func blankQuoted(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		switch {
		case b[i] == '-' && i+1 < len(b) && b[i+1] == '-':
			for i < len(b) && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		case b[i] == '\'' || b[i] == '[':
			closer := byte('\'')
			if b[i] == '[' {
				closer = ']'
			}
			i++
			for i < len(b) {
				if b[i] == closer {
					if i+1 < len(b) && b[i+1] == closer {
						b[i], b[i+1] = ' ', ' '
						i += 2
						continue
					}
					i++
					break
				}
				b[i] = ' '
				i++
			}
		default:
			i++
		}
	}
	return string(b)
}
