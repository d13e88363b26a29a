package query

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/sql"
)

// The SQL on FHIR SQLQuery profile (3.0.0-ballot): a FHIR Library that
// holds one query's SQL (content, application/sql, base64), the views it
// depends on (relatedArtifact, type depends-on, resource = the
// ViewDefinition's canonical URL, label = the table name the SQL uses) and
// its typed input parameters.
const (
	// SQLQueryProfile is the profile's canonical URL.
	SQLQueryProfile = "http://hl7.org/fhir/uv/sql-on-fhir/StructureDefinition/SQLQuery"
	// LibraryTypeSystem is the code system of the Library type sql-query.
	LibraryTypeSystem = "http://hl7.org/fhir/uv/sql-on-fhir/CodeSystem/LibraryTypesCodes"
)

// Library is the part of a SQLQuery Library fhirql reads and writes.
type Library struct {
	ResourceType    string            `json:"resourceType"`
	ID              string            `json:"id,omitempty"`
	Meta            *libraryMeta      `json:"meta,omitempty"`
	URL             string            `json:"url,omitempty"`
	Name            string            `json:"name,omitempty"`
	Title           string            `json:"title,omitempty"`
	Status          string            `json:"status"`
	Type            libraryType       `json:"type"`
	Description     string            `json:"description,omitempty"`
	Parameter       []LibraryParam    `json:"parameter,omitempty"`
	RelatedArtifact []RelatedArtifact `json:"relatedArtifact,omitempty"`
	Content         []Attachment      `json:"content"`
}

type libraryMeta struct {
	Profile []string `json:"profile,omitempty"`
}

type libraryType struct {
	Coding []coding `json:"coding"`
}

type coding struct {
	System string `json:"system,omitempty"`
	Code   string `json:"code"`
}

// LibraryParam is one declared input parameter.
type LibraryParam struct {
	Name          string `json:"name"`
	Use           string `json:"use"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

// RelatedArtifact names a view the query reads.
type RelatedArtifact struct {
	Type     string `json:"type"`
	Resource string `json:"resource"`
	Label    string `json:"label,omitempty"`
	Display  string `json:"display,omitempty"`
}

// Attachment holds the SQL.
type Attachment struct {
	ContentType string `json:"contentType"`
	Title       string `json:"title,omitempty"`
	Data        string `json:"data,omitempty"`
	Extension   []struct {
		URL         string `json:"url"`
		ValueString string `json:"valueString"`
	} `json:"extension,omitempty"`
}

// ReadLibrary parses a SQLQuery Library: the SQL of its dialect-free
// application/sql content (or of the first SQL content when all name a
// dialect), and its parameters and dependencies.
func ReadLibrary(data []byte) (*Library, string, error) {
	var lib Library
	if err := json.Unmarshal(data, &lib); err != nil {
		return nil, "", fmt.Errorf("not a JSON Library: %v", err)
	}
	if lib.ResourceType != "Library" {
		return nil, "", fmt.Errorf("resourceType is %q, not Library", lib.ResourceType)
	}
	var pick *Attachment
	for i := range lib.Content {
		ct := strings.ReplaceAll(strings.ToLower(lib.Content[i].ContentType), " ", "")
		if !strings.HasPrefix(ct, "application/sql") {
			continue
		}
		if pick == nil || !strings.Contains(ct, "dialect=") {
			pick = &lib.Content[i]
			if !strings.Contains(ct, "dialect=") {
				break
			}
		}
	}
	if pick == nil {
		return nil, "", fmt.Errorf("the Library has no application/sql content")
	}
	if pick.Data != "" {
		b, err := base64.StdEncoding.DecodeString(pick.Data)
		if err != nil {
			return nil, "", fmt.Errorf("content.data is not base64: %v", err)
		}
		return &lib, string(b), nil
	}
	for _, e := range pick.Extension {
		if strings.HasSuffix(e.URL, "sql-text") && e.ValueString != "" {
			return &lib, e.ValueString, nil
		}
	}
	return nil, "", fmt.Errorf("the Library's application/sql content has no data")
}

// Aliases maps the Library's table labels to views: a label names the view
// of the same name, else the view named by the last segment of the
// dependency's canonical URL (…/ViewDefinition/patient_view).
func (lib *Library) Aliases(views []*plan.View) (map[string]*plan.View, error) {
	byName := map[string]*plan.View{}
	for _, v := range views {
		byName[strings.ToLower(sql.ViewName(v))] = v
	}
	out := map[string]*plan.View{}
	for _, ra := range lib.RelatedArtifact {
		if ra.Type != "depends-on" || ra.Label == "" {
			continue
		}
		if v, ok := byName[strings.ToLower(ra.Label)]; ok {
			out[ra.Label] = v
			continue
		}
		last := ra.Resource
		if i := strings.LastIndexAny(last, "/#"); i >= 0 {
			last = last[i+1:]
		}
		if i := strings.IndexByte(last, '|'); i >= 0 {
			last = last[:i]
		}
		v, ok := byName[strings.ToLower(last)]
		if !ok {
			return nil, fmt.Errorf("the Library's table %q depends on %s, which is no view of the given paths", ra.Label, ra.Resource)
		}
		out[ra.Label] = v
	}
	return out, nil
}

// ParamTypes are the Library's declared parameter types as query kinds.
func (lib *Library) ParamTypes() (map[string]Kind, error) {
	out := map[string]Kind{}
	for _, p := range lib.Parameter {
		if p.Use != "" && p.Use != "in" {
			continue
		}
		k, ok := fhirKinds[p.Type]
		if !ok {
			return nil, fmt.Errorf("parameter %q has type %q; fhirql binds string, code, id, uri, integer, decimal, boolean, date and dateTime", p.Name, p.Type)
		}
		out[p.Name] = k
	}
	return out, nil
}

var fhirKinds = map[string]Kind{
	"string": String, "code": String, "id": String, "uri": String, "url": String, "canonical": String,
	"integer": Integer, "positiveInt": Integer, "unsignedInt": Integer, "integer64": Integer,
	"decimal": Decimal, "boolean": Boolean, "date": Date, "dateTime": DateTime, "instant": DateTime,
}

var kindFHIR = map[Kind]string{
	Null: "string", String: "string", Integer: "integer", Decimal: "decimal", Boolean: "boolean",
	Date: "date", DateTime: "dateTime", Time: "time",
}

// NewLibrary is the SQLQuery Library of a compiled query: its SQL as
// written, the views it reads (depends-on, canonical URL base +
// "/ViewDefinition/" + name, labelled with the view's name) and its
// parameters with the types the query gives them.
func NewLibrary(c *Compiled, name, canonicalBase string) *Library {
	base := strings.TrimSuffix(canonicalBase, "/")
	lib := &Library{
		ResourceType: "Library",
		Meta:         &libraryMeta{Profile: []string{SQLQueryProfile}},
		Name:         name,
		Status:       "draft",
		Type:         libraryType{Coding: []coding{{System: LibraryTypeSystem, Code: "sql-query"}}},
	}
	if base != "" {
		lib.URL = base + "/Library/" + name
	}
	for _, p := range c.Params {
		lib.Parameter = append(lib.Parameter, LibraryParam{Name: p.Name, Use: "in", Type: kindFHIR[p.Type.Kind]})
	}
	for _, v := range c.Views {
		res := "ViewDefinition/" + sql.ViewName(v)
		if base != "" {
			res = base + "/" + res
		}
		lib.RelatedArtifact = append(lib.RelatedArtifact, RelatedArtifact{Type: "depends-on", Resource: res, Label: sql.ViewName(v)})
	}
	lib.Content = []Attachment{{
		ContentType: "application/sql",
		Title:       name,
		Data:        base64.StdEncoding.EncodeToString([]byte(c.File.Text)),
	}}
	return lib
}
