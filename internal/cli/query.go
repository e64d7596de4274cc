package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock/drydock/internal/kql"
)

// queryFlags are the flags of drydock query.
type queryFlags struct {
	server  string
	format  string
	token   string
	user    string
	timeout time.Duration
	// local queries the data directory (--data) instead of a server.
	local bool
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newQueryCmd(g *globals) *cobra.Command {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query 'KQL'",
		Short: "Run a fleet query (Kusto query language) on a drydock server",
		Long: `Run a query in the Kusto query language over the tables of a drydock
server (securityresources, images, findings, packages, advisories, usage)
and print the result. The server answers with the rows of the
subscriptions you may read.

The query is the single argument; "-" reads it from standard input.
Errors in the query are reported with their line and column.

Sign in with --token (an API token; env DRYDOCK_TOKEN) or with --user and
the password in DRYDOCK_PASSWORD.

With --data DIR (or DRYDOCK_DATA) and no --server, the query runs on that
data directory itself, without a server, over every subscription in it
(whoever can read the directory can read all of it).`,
		Example: `  drydock query 'findings | where severity == "Critical" | summarize count() by repository'
  drydock query --format csv - < weekly.kql > weekly.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A data directory named explicitly, and no server: query the
			// directory itself.
			f.local = (cmd.Flags().Changed("data") || os.Getenv("DRYDOCK_DATA") != "") &&
				!cmd.Flags().Changed("server") && os.Getenv("DRYDOCK_SERVER") == ""
			return runQuery(cmd.Context(), g, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", envOr("DRYDOCK_SERVER", "http://127.0.0.1:5000"), "drydock server URL (env DRYDOCK_SERVER)")
	fl.StringVar(&f.format, "format", "table", "output format: table, json or csv")
	fl.StringVar(&f.token, "token", os.Getenv("DRYDOCK_TOKEN"), "API token sent as a bearer token (env DRYDOCK_TOKEN)")
	fl.StringVar(&f.user, "user", os.Getenv("DRYDOCK_USER"), "user name for HTTP Basic sign-in, with the password in DRYDOCK_PASSWORD (env DRYDOCK_USER)")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up waiting for the server after this long")
	return cmd
}

func runQuery(ctx context.Context, g *globals, f *queryFlags, q string) error {
	var render func(io.Writer, *kql.Result) error
	switch f.format {
	case "table":
		render = kql.WriteTable
	case "json":
		render = kql.WriteJSON
	case "csv":
		render = kql.WriteCSV
	default:
		return usageError{fmt.Errorf("unknown --format %q: use table, json or csv", f.format)}
	}
	if q == "-" {
		b, err := io.ReadAll(io.LimitReader(g.stdin, 1<<20))
		if err != nil {
			return fmt.Errorf("read the query from standard input: %w", err)
		}
		q = string(b)
	}
	if strings.TrimSpace(q) == "" {
		return usageError{errors.New("the query is empty")}
	}
	if f.local {
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		res, err := runLocalQuery(ctx, g.dataDir, q)
		if err != nil {
			return err
		}
		if err := render(g.stdout, res); err != nil {
			return fmt.Errorf("write the result: %w", err)
		}
		return nil
	}
	base, err := url.Parse(f.server)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return usageError{fmt.Errorf("--server %q is not an http(s) URL", f.server)}
	}
	endpoint := base.JoinPath("api", "v1", "query").String()
	body, err := json.Marshal(map[string]string{"query": q})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	switch {
	case f.token != "":
		req.Header.Set("Authorization", "Bearer "+f.token)
	case f.user != "":
		req.SetBasicAuth(f.user, os.Getenv("DRYDOCK_PASSWORD"))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no answer from %s within %s (--timeout): %w", f.server, f.timeout, err)
		}
		return fmt.Errorf("cannot reach the drydock server at %s (start one with 'drydock serve' or pass --server): %w", f.server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return queryFailure(resp)
	}
	res, err := kql.DecodeResult(resp.Body)
	if err != nil {
		return fmt.Errorf("read the result from %s: %w", f.server, err)
	}
	if err := render(g.stdout, res); err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	return nil
}

// queryFailure turns an error response into a message: the problem
// document's detail (with the query's line and column) when there is one.
func queryFailure(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	msg := strings.TrimSpace(string(raw))
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.HasSuffix(mt, "json") && json.Unmarshal(raw, &p) == nil && (p.Title != "" || p.Detail != "") {
		msg = p.Title
		if p.Detail != "" {
			msg = p.Title + ": " + p.Detail
		}
	}
	if msg == "" {
		msg = resp.Status
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("the server wants you to sign in (--token, or --user with DRYDOCK_PASSWORD): %s", msg)
	case http.StatusForbidden:
		return fmt.Errorf("not allowed: %s", msg)
	case http.StatusNotFound:
		return fmt.Errorf("the server has no query API at /api/v1/query (is --server a drydock server?): %s", msg)
	}
	return fmt.Errorf("query failed: %s", msg)
}
