// Package sqltest holds the end-to-end tests of the SQL targets: every
// example view and every view of the SQL on FHIR v2 suite, compiled by the
// real front end and emitted for each target, compared with golden files
// (serverless in full, the other targets as unified diffs against it, as
// PRQL's compileall does), plus FuzzEmit.
//
// It is a separate package so that the emitter's own unit tests, which build
// plans by hand, keep running while the front end changes.
package sqltest
