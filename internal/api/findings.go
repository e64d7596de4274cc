package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// wantsCSV reports whether the caller asked for CSV: ?format=csv or an
// Accept header preferring text/csv.
func wantsCSV(r *http.Request, c *call) (bool, error) {
	switch f := c.query.Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.HasPrefix(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, fmt.Errorf("%w: format %q: want json or csv", errInvalid, f)
	}
}

func boolParam(c *call, name string) (*bool, error) {
	v := c.query.Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: want true or false", errInvalid, name, v)
	}
	return &b, nil
}

// findingFilter reads the filters of /findings.
func findingFilter(c *call) (store.FindingFilter, error) {
	f := store.FindingFilter{Subscriptions: narrow(c.id, c.query.Get("subscription")), Registry: c.query.Get("registry"),
		Repository: c.query.Get("repository"), AdvisoryID: c.query.Get("id"), Package: c.query.Get("package")}
	if v := c.query.Get("digest"); v != "" {
		d, err := oci.ParseDigest(v)
		if err != nil {
			return f, fmt.Errorf("%w: %v", errInvalid, err)
		}
		f.Digest = d
	}
	for _, v := range c.query["severity"] {
		for _, s := range strings.Split(v, ",") {
			sev, err := finding.ParseSeverity(s)
			if err != nil || s == "" {
				return f, fmt.Errorf("%w: severity %q: want Critical, High, Medium, Low or Unknown", errInvalid, s)
			}
			f.Severities = append(f.Severities, int(sev))
		}
	}
	var err error
	if f.FixAvailable, err = boolParam(c, "fixAvailable"); err != nil {
		return f, err
	}
	if f.Exempted, err = boolParam(c, "exempted"); err != nil {
		return f, err
	}
	return f, nil
}

// csvHeader are the columns of the findings CSV.
// csvHeader names the CSV columns; arch comes last, after the columns of
// the first version of the export, so that readers by position go on
// working.
var csvHeader = []string{"subscription", "registry", "repository", "digest", "platform", "advisory", "severity", "package",
	"version", "type", "path", "fixed_version", "fix_status", "exempted", "first_seen", "title", "arch"}

func (h *Handler) listFindings(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := findingFilter(c)
	if err != nil {
		return err
	}
	if f.AfterID, err = idPosition(c.query); err != nil {
		return err
	}
	asCSV, err := wantsCSV(r, c)
	if err != nil {
		return err
	}
	if asCSV {
		return h.findingsCSV(w, r, c, f)
	}
	if f.Limit, err = limitOf(c.query); err != nil {
		return err
	}
	rows, err := h.d.Store.ListFindings(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]findingJSON, 0, len(rows))
	for _, row := range rows {
		if c.id.CanReadRepository(row.Repository) {
			out = append(out, findingOf(row))
		}
	}
	next := ""
	if len(rows) == f.Limit {
		next = cursor("id", strconv.FormatInt(rows[len(rows)-1].ID, 10))
	}
	return writeJSON(w, http.StatusOK, page[findingJSON]{Items: out, NextCursor: next})
}

// findingsCSV streams every finding the filter selects (from the cursor
// on; ?limit= caps the rows).
func (h *Handler) findingsCSV(w http.ResponseWriter, r *http.Request, c *call, f store.FindingFilter) error {
	total := -1
	if c.query.Get("limit") != "" {
		n, err := limitOf(c.query)
		if err != nil {
			return err
		}
		total = n
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="findings.csv"`)
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return nil
	}
	written := 0
	f.Limit = maxLimit
	for total < 0 || written < total {
		rows, err := h.d.Store.ListFindings(r.Context(), f)
		if err != nil {
			if written == 0 {
				return err
			}
			h.d.Logger.WarnContext(r.Context(), "findings csv interrupted", "err", err)
			return nil
		}
		for _, row := range rows {
			f.AfterID = row.ID
			if !c.id.CanReadRepository(row.Repository) {
				continue
			}
			rec := []string{row.SubscriptionID, row.Registry, row.Repository, string(row.Digest), row.Platform, row.AdvisoryID,
				finding.Severity(row.Severity).String(), row.PackageName, row.PackageVersion, row.PackageType, row.PackagePath,
				row.FixedVersion, row.FixStatus, strconv.FormatBool(row.Exempted), row.FirstSeenAt.UTC().Format(time.RFC3339),
				row.Title, row.PackageArch}
			if err := cw.Write(sanitize(rec)); err != nil {
				return nil
			}
			if written++; total >= 0 && written >= total {
				break
			}
		}
		if len(rows) < f.Limit {
			break
		}
	}
	cw.Flush()
	return nil
}

// sanitize defuses cells a spreadsheet would run as a formula.
func sanitize(rec []string) []string {
	for i, v := range rec {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			rec[i] = "'" + v
		}
	}
	return rec
}

type changeJSON struct {
	Change     string      `json:"change"`
	ID         string      `json:"id"`
	Package    packageJSON `json:"package"`
	Severity   string      `json:"severity"`
	Repository string      `json:"repository"`
	Digest     string      `json:"digest"`
	DBVersion  string      `json:"dbVersion"`
	At         time.Time   `json:"at"`
}

func (h *Handler) listFindingChanges(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := limitOf(c.query)
	if err != nil {
		return err
	}
	after, err := idPosition(c.query)
	if err != nil {
		return err
	}
	rows, err := h.d.Store.FindingChanges(r.Context(), narrow(c.id, c.query.Get("subscription")), c.query.Get("repository"), after, limit)
	if err != nil {
		return err
	}
	out := []changeJSON{}
	for _, ch := range rows {
		if !c.id.CanReadRepository(ch.Repository) {
			continue
		}
		out = append(out, changeJSON{Change: ch.Change, ID: ch.AdvisoryID, Severity: finding.Severity(ch.Severity).String(),
			Package:    packageJSON{Name: ch.PackageName, Version: ch.PackageVersion, Type: ch.PackageType, Arch: ch.PackageArch},
			Repository: ch.Repository, Digest: string(ch.Digest), DBVersion: ch.DBVersion, At: ch.At.UTC()})
	}
	next := ""
	if len(rows) == limit {
		next = cursor("id", strconv.FormatInt(rows[len(rows)-1].ID, 10))
	}
	return writeJSON(w, http.StatusOK, page[changeJSON]{Items: out, NextCursor: next})
}

type usageJSON struct {
	SubscriptionID string `json:"subscriptionId"`
	Registry       string `json:"registry"`
	Day            string `json:"day"`
	Images         int    `json:"images"`
}

func dayParam(c *call, name string) (string, error) {
	v := c.query.Get(name)
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", fmt.Errorf("%w: %s %q: want YYYY-MM-DD", errInvalid, name, v)
	}
	return v, nil
}

func (h *Handler) getUsage(w http.ResponseWriter, r *http.Request, c *call) error {
	f := store.UsageFilter{Subscriptions: narrow(c.id, c.query.Get("subscription")), Registry: c.query.Get("registry")}
	var err error
	if f.From, err = dayParam(c, "from"); err != nil {
		return err
	}
	if f.To, err = dayParam(c, "to"); err != nil {
		return err
	}
	if c.id.Repositories != nil {
		return fmt.Errorf("%w: a credential restricted to repositories cannot read usage", errForbidden)
	}
	rows, err := h.d.Store.Usage(r.Context(), f)
	if err != nil {
		return err
	}
	asCSV, err := wantsCSV(r, c)
	if err != nil {
		return err
	}
	if asCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
		cw := csv.NewWriter(w)
		cw.Write([]string{"subscription", "registry", "day", "images"})
		for _, u := range rows {
			cw.Write(sanitize([]string{u.SubscriptionID, u.Registry, u.Day, strconv.Itoa(u.Images)}))
		}
		cw.Flush()
		return nil
	}
	out := make([]usageJSON, 0, len(rows))
	total := 0
	for _, u := range rows {
		out = append(out, usageJSON{u.SubscriptionID, u.Registry, u.Day, u.Images})
		total += u.Images
	}
	return writeJSON(w, http.StatusOK, struct {
		Items []usageJSON `json:"items"`
		Total int         `json:"total"`
	}{out, total})
}
