package deploy

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"strings"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/azuread"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// DSNExample is shown when no DSN is given.
const DSNExample = "sqlserver://USER:PASSWORD@HOST:1433?database=DB, or for Microsoft Entra ID " +
	"sqlserver://WORKSPACE.sql.azuresynapse.net?database=DB&fedauth=ActiveDirectoryDefault"

// entraMethods are the fedauth values go-mssqldb's azuread driver accepts,
// in its spelling (the value is matched without regard to case).
var entraMethods = []string{
	azuread.ActiveDirectoryDefault,
	azuread.ActiveDirectoryManagedIdentity, azuread.ActiveDirectoryMSI,
	azuread.ActiveDirectoryServicePrincipal, azuread.ActiveDirectoryApplication,
	azuread.ActiveDirectoryServicePrincipalAccessToken,
	azuread.ActiveDirectoryAzCli, azuread.ActiveDirectoryAzureDeveloperCli,
	azuread.ActiveDirectoryEnvironment, azuread.ActiveDirectoryWorkloadIdentity,
	azuread.ActiveDirectoryAzurePipelines, azuread.ActiveDirectoryClientAssertion,
	azuread.ActiveDirectoryOnBehalfOf,
	azuread.ActiveDirectoryPassword, azuread.ActiveDirectoryInteractive,
	azuread.ActiveDirectoryDeviceCode, azuread.ActiveDirectoryIntegrated,
}

// dsnInfo is what a DSN says, parsed without connecting.
type dsnInfo struct {
	cfg     msdsn.Config
	fedauth string // canonical spelling, "" for a SQL login
}

func parseDSN(dsn string) (dsnInfo, error) {
	if strings.TrimSpace(dsn) == "" {
		return dsnInfo{}, errors.New("no DSN: give one like " + DSNExample)
	}
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return dsnInfo{}, fmt.Errorf("invalid DSN: %v", err)
	}
	info := dsnInfo{cfg: cfg}
	if fa := cfg.Parameters["fedauth"]; fa != "" {
		for _, m := range entraMethods {
			if strings.EqualFold(fa, m) {
				info.fedauth = m
			}
		}
		if info.fedauth == "" {
			return dsnInfo{}, fmt.Errorf("invalid DSN: unknown fedauth=%s (Microsoft Entra ID methods: %s)", fa, strings.Join(entraMethods, ", "))
		}
		// The azuread driver checks each method's parameters (a service
		// principal's secret, ...) without signing in.
		if _, err := azuread.NewConnector(dsn); err != nil {
			return dsnInfo{}, fmt.Errorf("invalid DSN for fedauth=%s: %v", info.fedauth, err)
		}
	}
	return info, nil
}

// Describe parses a DSN without connecting and describes the server and
// login it names (never a password or secret), so that a typo is reported
// before anything runs.
func Describe(dsn string) (string, error) {
	info, err := parseDSN(dsn)
	if err != nil {
		return "", err
	}
	cfg := info.cfg
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	if cfg.Instance != "" {
		host += `\` + cfg.Instance
	}
	if cfg.Port != 0 {
		host += fmt.Sprintf(":%d", cfg.Port)
	}
	db := cfg.Database
	if db == "" {
		db = "(default database)"
	}
	var who string
	switch {
	case info.fedauth != "" && cfg.User != "":
		who = fmt.Sprintf("Microsoft Entra ID (%s, %s)", info.fedauth, cfg.User)
	case info.fedauth != "":
		who = fmt.Sprintf("Microsoft Entra ID (%s)", info.fedauth)
	case cfg.User != "":
		who = "user " + cfg.User
	default:
		who = "user (integrated security)"
	}
	return fmt.Sprintf("%s, database %s, %s", host, db, who), nil
}

// Open returns a connection pool to the server a DSN names: a SQL login
// through go-mssqldb, or, when the DSN has fedauth=ActiveDirectory...,
// Microsoft Entra ID through its azuread driver (the default credential
// chain, a managed identity, a service principal, the az CLI's login...).
// It checks that the server answers.
func Open(ctx context.Context, dsn string) (*dbsql.DB, error) {
	info, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	driver := "sqlserver"
	if info.fedauth != "" {
		driver = azuread.DriverName
	}
	db, err := dbsql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		desc, _ := Describe(dsn)
		return nil, fmt.Errorf("cannot reach %s: %v", desc, err)
	}
	return db, nil
}

// Conn is one session on the server, which runs a script's batches in
// order as sqlcmd does on its one connection.
type Conn struct {
	db *dbsql.DB
	c  *dbsql.Conn
}

// Connect opens one session to the server a DSN names (see Open).
func Connect(ctx context.Context, dsn string) (*Conn, error) {
	db, err := Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Conn{db: db, c: c}, nil
}

// Exec implements Executor: the batch is sent as it is, without
// parameters, so the server sees exactly the script's text.
func (c *Conn) Exec(ctx context.Context, batch string) error {
	_, err := c.c.ExecContext(ctx, batch)
	return err
}

// Close ends the session.
func (c *Conn) Close() error {
	err := c.c.Close()
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// CopyInSQL is the statement that starts a bulk load (TDS bulk copy) into
// a table's columns; executing the prepared statement with one value per
// column adds a row, and once without values ends the load. The verify
// engine loads NDJSON lines with it.
func CopyInSQL(table string, columns ...string) string {
	return mssql.CopyIn(table, mssql.BulkOptions{Tablock: true}, columns...)
}
