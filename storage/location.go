package storage

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Parse reads a location: a local path, or an Azure Blob Storage / ADLS
// Gen2 location in one of the spellings users copy from the portal or
// Spark:
//
//	https://ACCOUNT.blob.core.windows.net/CONTAINER/path[?SAS]
//	https://ACCOUNT.dfs.core.windows.net/FILESYSTEM/path[?SAS]
//	abfss://FILESYSTEM@ACCOUNT.dfs.core.windows.net/path
//	wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/path
//	http://127.0.0.1:10000/ACCOUNT/CONTAINER/path   (path-style: Azurite)
//
// ADLS Gen2 locations map onto the Blob API of the same account (the
// filesystem is the container, the path the blob name), which accounts
// with a hierarchical namespace also serve; the other sovereign-cloud
// suffixes (core.chinacloudapi.cn, …) are kept.
func Parse(s string) (Location, error) {
	loc := Location{Raw: s}
	if !IsRemote(s) {
		loc.Kind, loc.Path = Local, s
		return loc, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return loc, fmt.Errorf("%s is not a valid URL: %v", s, err)
	}
	loc.Kind = Blob
	loc.SAS = u.RawQuery
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	p := strings.TrimPrefix(u.Path, "/")
	switch scheme {
	case "abfss", "abfs", "wasbs":
		if u.User == nil || u.User.Username() == "" {
			return loc, fmt.Errorf("%s: write %s://CONTAINER@ACCOUNT.%s/path (the container is missing)", s, scheme, suffixHint(scheme))
		}
		acct, suffix, ok := accountHost(host)
		if !ok {
			return loc, fmt.Errorf("%s: the host must be ACCOUNT.dfs.core.windows.net or ACCOUNT.blob.core.windows.net", s)
		}
		loc.Account, loc.Container, loc.Path = acct, u.User.Username(), p
		loc.Endpoint = "https://" + acct + ".blob." + suffix
		return loc, nil
	}
	if acct, suffix, ok := accountHost(host); ok {
		c, rest, _ := strings.Cut(p, "/")
		if c == "" {
			return loc, fmt.Errorf("%s: name the container: %s://%s/CONTAINER/path", s, scheme, u.Host)
		}
		loc.Account, loc.Container, loc.Path = acct, c, rest
		loc.Endpoint = scheme + "://" + acct + ".blob." + suffix
		return loc, nil
	}
	if isLocalHost(u.Hostname()) {
		parts := strings.SplitN(p, "/", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return loc, fmt.Errorf("%s: a path-style (emulator) location is %s://%s/ACCOUNT/CONTAINER/path", s, scheme, u.Host)
		}
		loc.Account, loc.Container = parts[0], parts[1]
		if len(parts) == 3 {
			loc.Path = parts[2]
		}
		loc.Endpoint = scheme + "://" + u.Host + "/" + parts[0]
		return loc, nil
	}
	return loc, fmt.Errorf("%s is not an Azure storage location: write https://ACCOUNT.blob.core.windows.net/CONTAINER/path or abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/path", s)
}

func suffixHint(scheme string) string {
	if scheme == "wasbs" {
		return "blob.core.windows.net"
	}
	return "dfs.core.windows.net"
}

// accountHost splits ACCOUNT.blob.SUFFIX or ACCOUNT.dfs.SUFFIX.
func accountHost(host string) (account, suffix string, ok bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	acct, rest, found := strings.Cut(host, ".")
	if !found || acct == "" {
		return "", "", false
	}
	svc, suffix, found := strings.Cut(rest, ".")
	if !found || (svc != "blob" && svc != "dfs") || !strings.HasPrefix(suffix, "core.") {
		return "", "", false
	}
	return acct, suffix, true
}

func isLocalHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil
}

// String returns the location as a user would write it, without its SAS
// token (which is a secret).
func (l Location) String() string {
	if l.Kind == Local {
		return l.Path
	}
	return l.Endpoint + "/" + l.Container + "/" + l.Path
}
