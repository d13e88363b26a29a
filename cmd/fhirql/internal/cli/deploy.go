package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/fhirql/fhirql/compiler/sql"
	"github.com/fhirql/fhirql/deploy"
)

func init() {
	register("deploy", "compile views and run their deployment script on Synapse or SQL Server", runDeploy)
}

const deploySummary = `Compiles views as 'fhirql build' does and runs the deployment script (deploy.sql) on a
Synapse serverless or dedicated pool or a SQL Server, batch by batch as sqlcmd does, on
one connection, printing each object as it goes (stderr). It stops at the first failure
and names the view, the statement and its line in the script ('fhirql build' with
the same flags prints that script). The script drops or replaces everything it creates, so after fixing
the cause, running deploy again finishes the job.

--dsn is a go-mssqldb connection string (default $FHIRQL_MSSQL_DSN):
  SQL login:          sqlserver://USER:PASSWORD@HOST:1433?database=DB
  Microsoft Entra ID: add fedauth=METHOD, for example
    sqlserver://WS.sql.azuresynapse.net?database=DB&fedauth=ActiveDirectoryDefault
    (environment, workload identity, managed identity, az CLI login, in that order)
    fedauth=ActiveDirectoryAzCli                 the az CLI's login
    fedauth=ActiveDirectoryManagedIdentity       the machine's identity (user id=CLIENT_ID for a user-assigned one)
    fedauth=ActiveDirectoryServicePrincipal      user id=CLIENT_ID@TENANT_ID and password=SECRET
Serverless pools are WS-ondemand.sql.azuresynapse.net, dedicated pools WS.sql.azuresynapse.net.
Deploy into a user database, not master.

--dry-run prints the batches that would run, each with its view and its lines in the
script, and connects to nothing.

The other flags are build's; run 'fhirql build -h' for the targets.`

// deployTargets are the targets deploy runs; duckdb scripts run in DuckDB.
var deployTargets = map[string]bool{"serverless": true, "dedicated": true, "sqlserver": true}

func runDeploy(env *Env, args []string) int {
	var f buildFlags
	fs := newFlags(env, "deploy", "PATH... --target serverless|dedicated|sqlserver --dsn DSN [--dry-run]", deploySummary)
	f.define(fs)
	dsn := fs.String("dsn", "", "go-mssqldb connection string, SQL login or Microsoft Entra ID (default $FHIRQL_MSSQL_DSN)")
	dryRun := fs.Bool("dry-run", false, "print the batches that would run, with their view and lines; connect to nothing")
	paths, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql deploy: "+format+"\n", a...)
		fmt.Fprintln(env.Stderr, "Run 'fhirql deploy -h' for usage.")
		return ExitUsage
	}
	if f.target == "duckdb" {
		return usageErr("deploy runs T-SQL (serverless, dedicated, sqlserver); for DuckDB, run the script of 'fhirql build --target duckdb' in DuckDB")
	}
	if f.target != "" && !deployTargets[f.target] {
		return usageErr("unknown target %q (want serverless, dedicated or sqlserver)", f.target)
	}
	if *dsn == "" {
		*dsn = os.Getenv("FHIRQL_MSSQL_DSN")
	}
	var where string
	if *dsn != "" || !*dryRun {
		if *dsn == "" {
			return usageErr("say where to deploy with --dsn (or $FHIRQL_MSSQL_DSN), for example %s; or use --dry-run", deploy.DSNExample)
		}
		if where, err = deploy.Describe(*dsn); err != nil {
			return usageErr("--dsn: %v", err)
		}
	}
	if f.target == "" && len(paths) > 0 {
		return usageErr("--target is required (serverless, dedicated or sqlserver)")
	}
	target, compiled, code := f.compile(env, fs, "deploy", paths)
	if target == nil {
		return code
	}
	script, err := deploy.NewScript(sql.DeployParts(target, compiled))
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql deploy: the generated script cannot be cut into batches: %v\nThis is a bug in fhirql; please report it.\n", err)
		return ExitInternal
	}
	if *dryRun {
		if err := deploy.DryRun(env.Stdout, script); err != nil {
			fmt.Fprintf(env.Stderr, "fhirql deploy: %v\n", err)
			return ExitErrors
		}
		return ExitOK
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(env.Stderr, "fhirql deploy: %d view(s) for %s to %s\n", len(compiled), target.Name(), where)
	conn, err := deploy.Connect(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql deploy: %v\n", err)
		return ExitErrors
	}
	defer conn.Close()
	r := &deploy.Runner{Exec: conn, Progress: env.Stderr}
	if err := r.Run(ctx, script); err != nil {
		fmt.Fprintf(env.Stderr, "fhirql deploy: %v\n", err)
		var de *deploy.Error
		if errors.As(err, &de) {
			fmt.Fprintf(env.Stderr, "What ran before it stays deployed. Fix the cause and run fhirql deploy again: "+
				"the script drops or replaces what it creates, so a new run finishes the job. "+
				"Line numbers are those of the script 'fhirql build' prints with the same flags (lines %d-%d here).\n",
				de.Unit.Line, de.Unit.EndLine)
		}
		return ExitErrors
	}
	return ExitOK
}
