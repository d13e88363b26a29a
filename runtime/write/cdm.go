package write

import (
	"encoding/json"
	"fmt"
	"github.com/fhirql/fhirql/internal/outname"
	"path/filepath"
	"strings"

	"github.com/fhirql/fhirql/compiler/plan"
	"github.com/fhirql/fhirql/compiler/types"
)

// A CDM folder (format "cdm") is what Microsoft's Common Data Model readers
// (Azure Data Factory and Synapse data flows, Power BI dataflows, the CDM
// object model) load without further description, laid out as the seed's
// FhirToCdm pipeline lays it out:
//
//	default.manifest.cdm.json                   the manifest, written last
//	Local<view>.cdm.json                        one entity definition per view
//	data/Local<view>/partition-data.csv         the rows: the CSV format
//
// The partition is the run's ordinary CSV (RFC 4180: header row, comma,
// double quote, CRLF, UTF-8), so a CDM folder holds exactly the rows that
// --format csv gives. Attribute data types come from the plan's column
// types (CDMDataType). The manifest is written only after every partition
// is in place, so a reader never finds a manifest naming a partition that is
// not there yet.

// CDMManifest is the manifest file's name; CDM readers look for it.
const CDMManifest = "default.manifest.cdm.json"

// CDMEntity is the CDM entity name of a view: "Local" and the view name,
// the FhirToCdm pipeline's convention (its Patient table is LocalPatient).
func CDMEntity(v *plan.View) string { return "Local" + outname.Base(v.Name) }

// CDMPartition is a view's partition file, relative to the CDM folder.
func CDMPartition(v *plan.View) string {
	return "data/" + CDMEntity(v) + "/partition-data.csv"
}


// CDMDataType is the CDM data type of a column, from its plan type and by
// the rules the writers enforce (declared.go), so that a CDM reader can
// parse every value the partition holds:
//
//   - a collection, or a complex value, is JSON text: string;
//   - boolean: boolean; integer: integer; integer64: bigInteger;
//     decimal: decimal;
//   - a column tagged ansi/type DATE or TIMESTAMP holds only complete
//     dates or date-times: date, dateTime;
//   - any other date, dateTime, instant or time column is string, because
//     FHIR allows partial values ("1970", "1970-06") that no CDM date type
//     holds; tag the column to have CDM dates;
//   - everything else (string, code, uri, id...) is string.
func CDMDataType(c *plan.Column) string {
	if c.Collection {
		return "string"
	}
	switch c.TypedAs() {
	case plan.TypedDate:
		return "date"
	case plan.TypedTimestamp:
		return "dateTime"
	}
	t := c.Type
	if c.Declared != "" {
		t = types.Type(c.Declared)
	}
	switch types.Primitive(string(t)) {
	case types.Boolean:
		return "boolean"
	case types.Integer:
		return "integer"
	case types.Long:
		return "bigInteger"
	case types.Decimal:
		return "decimal"
	}
	return "string"
}

type cdmImport struct {
	CorpusPath string `json:"corpusPath"`
}

type cdmAttribute struct {
	Name        string `json:"name"`
	DataType    string `json:"dataType"`
	Description string `json:"description,omitempty"`
}

type cdmEntity struct {
	EntityName    string         `json:"entityName"`
	Description   string         `json:"description,omitempty"`
	HasAttributes []cdmAttribute `json:"hasAttributes"`
}

type cdmDocument struct {
	Version     string      `json:"jsonSchemaSemanticVersion"`
	Imports     []cdmImport `json:"imports"`
	Definitions []cdmEntity `json:"definitions"`
}

type cdmArgument struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdmTrait struct {
	TraitReference string        `json:"traitReference"`
	Arguments      []cdmArgument `json:"arguments"`
}

type cdmPartition struct {
	Location      string     `json:"location"`
	ExhibitsTrait []cdmTrait `json:"exhibitsTraits"`
}

type cdmDeclaration struct {
	Type           string         `json:"type"`
	EntityName     string         `json:"entityName"`
	EntityPath     string         `json:"entityPath"`
	DataPartitions []cdmPartition `json:"dataPartitions"`
}

type cdmManifest struct {
	Version      string           `json:"jsonSchemaSemanticVersion"`
	Imports      []cdmImport      `json:"imports"`
	ManifestName string           `json:"manifestName"`
	Explanation  string           `json:"explanation"`
	Entities     []cdmDeclaration `json:"entities"`
}

// foundations is the CDM standard document that defines the data types
// and the CSV partition trait; CDM readers resolve the cdm: namespace to
// Microsoft's published standard documents.
var foundations = []cdmImport{{CorpusPath: "cdm:/foundations.cdm.json"}}

// CDMEntityDocument is the entity definition document of a view
// (Local<view>.cdm.json).
func CDMEntityDocument(v *plan.View) ([]byte, error) {
	e := cdmEntity{EntityName: CDMEntity(v), Description: strings.TrimSpace(v.Description), HasAttributes: []cdmAttribute{}}
	for _, c := range v.Columns {
		desc := strings.TrimSpace(c.Description)
		e.HasAttributes = append(e.HasAttributes, cdmAttribute{Name: c.Name, DataType: CDMDataType(c), Description: desc})
	}
	return marshal(cdmDocument{Version: "1.0.0", Imports: foundations, Definitions: []cdmEntity{e}})
}

// CDMManifestDocument is the manifest naming every view's entity and
// partition.
func CDMManifestDocument(views []*plan.View) ([]byte, error) {
	m := cdmManifest{Version: "1.0.0", Imports: foundations, ManifestName: "default",
		Explanation: "FHIR views written by fhirql run --format cdm", Entities: []cdmDeclaration{}}
	for _, v := range views {
		m.Entities = append(m.Entities, cdmDeclaration{
			Type:       "LocalEntity",
			EntityName: CDMEntity(v),
			EntityPath: CDMEntity(v) + ".cdm.json/" + CDMEntity(v),
			DataPartitions: []cdmPartition{{
				Location: CDMPartition(v),
				ExhibitsTrait: []cdmTrait{{TraitReference: "is.partition.format.CSV", Arguments: []cdmArgument{
					{Name: "columnHeaders", Value: "true"},
					{Name: "delimiter", Value: ","},
					{Name: "quote", Value: `"`},
					{Name: "escape", Value: `"`},
					{Name: "encoding", Value: "UTF-8"},
					{Name: "csvStyle", Value: "CsvStyle.QuoteAfterDelimiter"},
				}}},
			}},
		})
	}
	return marshal(m)
}

func marshal(x any) ([]byte, error) {
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteCDMMetadata writes the entity documents of views and then the
// manifest into dir, each atomically. Call it after the partitions are
// committed.
func WriteCDMMetadata(dir string, views []*plan.View) error {
	write := func(name string, data []byte) error {
		f, err := CreateAtomic(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Abort()
			return fmt.Errorf("cannot write %s: %v", f.Name(), err)
		}
		return f.Commit()
	}
	for _, v := range views {
		doc, err := CDMEntityDocument(v)
		if err != nil {
			return err
		}
		if err := write(CDMEntity(v)+".cdm.json", doc); err != nil {
			return err
		}
	}
	m, err := CDMManifestDocument(views)
	if err != nil {
		return err
	}
	return write(CDMManifest, m)
}

