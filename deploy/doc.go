// Package deploy runs fhirql's T-SQL deployment scripts on SQL Server and
// Azure Synapse (serverless and dedicated pools), and is the one package
// that talks to them: it alone imports go-mssqldb, so connecting, signing
// in (SQL logins, Microsoft Entra ID through the azuread driver) and bulk
// loading have one owner; verify/mssqlengine connects through it.
//
// A script runs as sqlcmd runs it: cut into batches on its GO lines (Split),
// one after another on one session, stopping at the first failure. The
// script builder's statements (sql.DeployParts) tell which view or shared
// object each line serves, so progress names objects, a batch that serves
// several is cut between them, and a failure names the view, the statement
// and its line in the script. Every statement the builder writes drops or
// replaces what it creates, so after a failure running the script again
// finishes the job.
package deploy
