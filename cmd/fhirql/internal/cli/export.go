package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/fhirql/fhirql/export"
	"github.com/fhirql/fhirql/storage"
	"github.com/fhirql/fhirql/storage/azure"
)

func init() {
	register("export", "download FHIR data with Bulk Data $export into a directory or the data lake", runExport)
}

func runExport(env *Env, args []string) int {
	fs := newFlags(env, "export", "SERVER --out LOCATION",
		"Runs a FHIR Bulk Data $export on SERVER (its FHIR base URL) and downloads the files into\n"+
			"LOCATION/<transactionTime>/output (deleted/ and error/ beside it), written atomically, then\n"+
			"LOCATION/<transactionTime>/manifest.json and LOCATION/export-state.json. LOCATION is a directory,\n"+
			"https://ACCOUNT.blob.core.windows.net/CONTAINER/path or abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/path.\n"+
			"--since last continues from the previous export's transactionTime recorded in LOCATION.\n"+
			"Ctrl-C cancels the export on the server. stdout gets the folder written, for `fhirql run --input`.\n\n"+
			"Authentication (--auth): none; bearer (the token in $FHIRQL_TOKEN or --token-file); smart (SMART\n"+
			"Backend Services: --client-id, --key JWK or PEM file, RS384 or ES384); entra (Microsoft Entra ID\n"+
			"for Azure Health Data Services and Azure API for FHIR, with --azure-credential).")
	outFlag := fs.String("out", "", "directory or Azure location to download into (required unless --container)")
	level := fs.String("level", "system", "export level: system, Patient, or Group/ID")
	types := fs.String("type", "", "resource types to export, comma-separated (_type)")
	since := fs.String("since", "", "only resources changed after this FHIR instant (_since), or 'last' for the previous export's transactionTime")
	var typeFilters multiFlag
	fs.Var(&typeFilters, "type-filter", "a search query that filters one type, e.g. Observation?category=laboratory (_typeFilter; repeatable)")
	elements := fs.String("elements", "", "elements to keep, comma-separated (_elements)")
	outputFormat := fs.String("output-format", "", "the _outputFormat to ask for (default: the server's, NDJSON)")
	container := fs.String("container", "", "Azure FHIR only: have the server write the files into this container of its storage account (_container); nothing is downloaded")
	auth := fs.String("auth", "none", "authentication: none, bearer, smart or entra")
	tokenFile := fs.String("token-file", "", "bearer: a file holding the access token (default: $FHIRQL_TOKEN)")
	clientID := fs.String("client-id", "", "smart: the client id the server registered")
	keyFile := fs.String("key", "", "smart: the private key, a JWK, JWK Set or PEM file (RSA for RS384, P-384 for ES384)")
	kid := fs.String("kid", "", "smart: the key id registered with the public key (default: the JWK's kid, or the key's RFC 7638 thumbprint)")
	tokenURL := fs.String("token-url", "", "smart: the token endpoint (default: from SERVER/.well-known/smart-configuration)")
	scope := fs.String("scope", "", "smart: scopes (default system/*.read); entra: the token scope (default SERVER's origin + /.default)")
	cred := azureCredentialFlag(fs)
	parallel := fs.Int("parallel", 4, "files downloaded at once")
	quiet := fs.Bool("quiet", false, "no progress line and no summary on stderr")
	pos, err := parseFlags(env, fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fhirql export: "+format+"\n", a...)
		return ExitUsage
	}
	if len(pos) != 1 {
		if len(pos) == 0 {
			return usageErr("name the FHIR server's base URL, e.g. fhirql export https://fhir.example.org/fhir --out data/")
		}
		return usageErr("give one server, not %d arguments (%s)", len(pos), strings.Join(pos, " "))
	}
	base := strings.TrimSuffix(pos[0], "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("the server must be an http(s) URL, not %q", pos[0])
	}
	if *outFlag == "" && *container == "" {
		return usageErr("say where the files go with --out DIR or an Azure location (or --container NAME for an Azure FHIR export into its storage account)")
	}
	req := export.Request{Since: *since, TypeFilters: typeFilters, OutputFormat: *outputFormat, Container: *container}
	switch lv := *level; {
	case lv == "system" || lv == "":
	case lv == "Patient" || strings.HasPrefix(lv, "Group/") && len(lv) > len("Group/"):
		req.Level = lv
	default:
		return usageErr("--level must be system, Patient or Group/ID, not %q", lv)
	}
	if *types != "" {
		req.Types = splitList(*types)
	}
	if *elements != "" {
		req.Elements = splitList(*elements)
	}
	sinceLast := *since == "last"
	if sinceLast {
		req.Since = ""
		if *outFlag == "" {
			return usageErr("--since last reads the previous export from --out: pass --out")
		}
	}
	if *parallel < 1 {
		return usageErr("--parallel must be at least 1")
	}
	open, err := storageOpener(*cred)
	if err != nil {
		return usageErr("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := &export.Client{Base: base}
	switch *auth {
	case "none":
	case "bearer":
		tok := os.Getenv("FHIRQL_TOKEN")
		if *tokenFile != "" {
			b, err := os.ReadFile(*tokenFile)
			if err != nil {
				return usageErr("--token-file: %v", err)
			}
			tok = strings.TrimSpace(string(b))
		}
		if tok == "" {
			return usageErr("--auth bearer needs the token in $FHIRQL_TOKEN or --token-file FILE")
		}
		c.Auth = export.Bearer(tok)
	case "smart":
		if *clientID == "" || *keyFile == "" {
			return usageErr("--auth smart needs --client-id and --key (the private key registered with the server)")
		}
		k, err := export.LoadKey(*keyFile, *kid)
		if err != nil {
			return usageErr("--key %v", err)
		}
		tu := *tokenURL
		if tu == "" {
			if tu, err = export.DiscoverTokenURL(ctx, nil, base); err != nil {
				fmt.Fprintf(env.Stderr, "fhirql export: %v\n", err)
				return ExitErrors
			}
		}
		c.Auth = &export.SMART{TokenURL: tu, ClientID: *clientID, Scope: *scope, Key: k}
	case "entra":
		sc := *scope
		if sc == "" {
			u, _ := url.Parse(base)
			sc = u.Scheme + "://" + u.Host + "/.default"
		}
		ts, err := azure.TokenSource(*cred, sc)
		if err != nil {
			return usageErr("%v", err)
		}
		c.Auth = export.TokenFunc(ts)
	default:
		return usageErr("--auth must be none, bearer, smart or entra, not %q", *auth)
	}

	var dest *export.Dest
	if *outFlag != "" {
		st, loc, err := storage.Resolve(ctx, *outFlag, open)
		if err != nil {
			fmt.Fprintf(env.Stderr, "fhirql export: --out %v\n", err)
			return ExitErrors
		}
		dest = &export.Dest{Store: st, Loc: loc}
	}
	progress := env.StderrIsTerminal && !*quiet
	line := func(s string) {
		if progress {
			fmt.Fprintf(env.Stderr, "\r\033[K%s", s)
		}
	}
	c.Status = func(s string) { line("export: " + s) }
	opts := export.Options{SinceLast: sinceLast}
	opts.Parallel = *parallel
	opts.Progress = func(files, total int, bytes int64) {
		line(fmt.Sprintf("downloaded %d/%d files, %.1f MB", files, total, float64(bytes)/1e6))
	}
	opts.Started = func(status string) {
		if !*quiet && !progress {
			fmt.Fprintf(env.Stderr, "export started; status at %s\n", status)
		}
	}
	res, err := c.Run(ctx, req, dest, opts)
	line("")
	if progress {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "fhirql export: %v\n", err)
		return ExitErrors
	}
	m := res.Manifest
	if res.Downloaded == nil {
		if !*quiet {
			fmt.Fprintf(env.Stderr, "export %s done: the server wrote %d file(s) into container %s\n", m.TransactionTime, len(m.Output), *container)
			for _, f := range m.Output {
				fmt.Fprintf(env.Stderr, "  %-24s %s\n", f.Type, f.URL)
			}
		}
		if len(m.Output) > 0 {
			u := m.Output[0].URL
			fmt.Fprintln(env.Stdout, u[:strings.LastIndex(u, "/")+1])
		}
		return ExitOK
	}
	d := res.Downloaded
	if !*quiet {
		since := ""
		if res.Since != "" {
			since = " (since " + res.Since + ")"
		}
		fmt.Fprintf(env.Stderr, "export %s%s: %d file(s), %.1f MB into %s\n", m.TransactionTime, since, d.Files, float64(d.Bytes)/1e6, d.Folder)
		for _, t := range sortedKeys(d.Output) {
			fmt.Fprintf(env.Stderr, "  %-24s %10d\n", t, d.Output[t])
		}
		for _, t := range sortedKeys(d.Deleted) {
			fmt.Fprintf(env.Stderr, "  deleted %-16s %10d\n", t, d.Deleted[t])
		}
		if len(m.Error) > 0 {
			fmt.Fprintf(env.Stderr, "the server reported problems in %d error file(s) (kept in %s/error):\n", len(m.Error), d.Folder)
			for _, e := range d.Errors {
				fmt.Fprintf(env.Stderr, "  %s\n", e)
			}
		}
	}
	fmt.Fprintln(env.Stdout, storage.Join(dest.Loc, d.Folder, "output"))
	return ExitOK
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sortedKeys(m map[string]int64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
