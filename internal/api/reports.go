package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/report"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb/live"
)

// indexReport is the report of an index: one report per platform.
type indexReport struct {
	Digest    string            `json:"digest"`
	MediaType string            `json:"mediaType"`
	Reports   []*finding.Report `json:"reports"`
}

// imageOfManifest returns the image row of a single-platform manifest,
// or an error saying why there is no report yet.
func imageOfManifest(ms store.ManifestState) (store.ImageRecord, error) {
	if len(ms.Images) == 0 {
		m := manifestOf(ms)
		if m.Status == store.StatusNotScanned {
			return store.ImageRecord{}, fmt.Errorf("%w: %s is not scanned: %s", errConflict, ms.Digest, m.Reason)
		}
		return store.ImageRecord{}, fmt.Errorf("%w (status %s)", pipeline.ErrNotEvaluated, m.Status)
	}
	return ms.Images[0], nil
}

func (h *Handler) getReport(w http.ResponseWriter, r *http.Request, c *call) error {
	ms, err := h.manifest(r.Context(), c)
	if err != nil {
		return err
	}
	if ms.Index {
		out := indexReport{Digest: string(ms.Digest), MediaType: ms.MediaType, Reports: []*finding.Report{}}
		for _, im := range ms.Images {
			rep, err := h.d.Scans.Report(r.Context(), im)
			if err != nil {
				return fmt.Errorf("platform %s (%s): %w", im.Platform, im.Digest, err)
			}
			out.Reports = append(out.Reports, rep)
		}
		if len(out.Reports) == 0 {
			m := manifestOf(ms)
			return fmt.Errorf("%w (status %s)", pipeline.ErrNotEvaluated, m.Status)
		}
		return writeJSON(w, http.StatusOK, out)
	}
	im, err := imageOfManifest(ms)
	if err != nil {
		return err
	}
	rep, err := h.d.Scans.Report(r.Context(), im)
	if err != nil {
		return err
	}
	return writeReport(r.Context(), w, rep, "json", "", "application/json")
}

// writeReport renders a report in format and answers it.
func writeReport(ctx context.Context, w http.ResponseWriter, rep *finding.Report, format, toolVersion, contentType string) error {
	var buf bytes.Buffer
	hd, err := report.NewWithOptions(format, &buf, report.Options{ToolVersion: toolVersion, Now: time.Now})
	if err != nil {
		return err
	}
	if err := report.Replay(ctx, rep, hd); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// sbomFormats are the SBOM downloads and their media types.
var sbomFormats = map[string]string{
	"cyclonedx": "application/vnd.cyclonedx+json",
	"spdx":      "application/spdx+json",
}

func (h *Handler) getSBOM(w http.ResponseWriter, r *http.Request, c *call) error {
	format := c.query.Get("format")
	if format == "" {
		format = "cyclonedx"
	}
	ct, ok := sbomFormats[format]
	if !ok {
		return fmt.Errorf("%w: format %q: want cyclonedx or spdx", errInvalid, format)
	}
	ms, err := h.manifest(r.Context(), c)
	if err != nil {
		return err
	}
	if ms.Index {
		var ds []string
		for _, im := range ms.Images {
			ds = append(ds, im.Platform+" "+string(im.Digest))
		}
		return fmt.Errorf("%w: %s is an index; an SBOM describes one platform image: request one of its platforms (%s)",
			errInvalid, ms.Digest, strings.Join(ds, ", "))
	}
	im, err := imageOfManifest(ms)
	if err != nil {
		return err
	}
	if im.Inventory == "" {
		return fmt.Errorf("%w: %s has no inventory (status %s: %s)", errConflict, im.Digest, im.Status, im.Reason)
	}
	rep, err := h.d.Scans.Report(r.Context(), im)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s.json"`, strings.ReplaceAll(string(im.Digest), ":", "-"), format))
	return writeReport(r.Context(), w, rep, format, h.d.ToolVersion, ct)
}

// --- status

type dbJSON struct {
	Loaded    bool            `json:"loaded"`
	Version   string          `json:"version,omitempty"`
	UpdatedAt *time.Time      `json:"updatedAt,omitempty"`
	Age       string          `json:"age,omitempty"`
	Sources   json.RawMessage `json:"sources,omitempty"`
	// Reevaluation is the work of bringing stored images to this version.
	Reevaluation reevalJSON `json:"reevaluation"`
	// Updates is the server's own updating of the database (when it runs
	// one): whether it is updating, the last error, the next attempt, and a
	// sentence for people ("no advisory database: offline, retrying at
	// ..."), so an offline server says so in its API.
	Updates any `json:"updates,omitempty"`
}

// UpdateStatus is implemented by advisory providers that update the
// database themselves (vulndb/live.Manager); its Status is served as the
// updates member of GET /api/v1/db.
type UpdateStatus interface {
	Status() live.Status
}

type reevalJSON struct {
	Running   bool       `json:"running"`
	DBVersion string     `json:"dbVersion,omitempty"`
	Evaluated int        `json:"evaluated"`
	Changed   int        `json:"changed"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
}

func (h *Handler) reeval() reevalJSON {
	s := h.d.Scans.ReevalState()
	return reevalJSON{Running: s.Running, DBVersion: s.DBVersion, Evaluated: s.Evaluated, Changed: s.Changed,
		StartedAt: timePtr(s.StartedAt), EndedAt: timePtr(s.EndedAt)}
}

func (h *Handler) getDB(w http.ResponseWriter, r *http.Request, c *call) error {
	out := dbJSON{Reevaluation: h.reeval()}
	if u, ok := h.d.Advisories.(UpdateStatus); ok {
		out.Updates = u.Status()
	}
	if db := h.d.Advisories.DB(); db != nil {
		st := db.Status()
		now := h.now()
		out.Loaded, out.Version = true, st.Version
		out.UpdatedAt = timePtr(now.Add(-st.Age(now)))
		out.Age = st.Age(now).Round(time.Second).String()
		b, err := json.Marshal(st.Sources())
		if err != nil {
			return err
		}
		out.Sources = b
	}
	return writeJSON(w, http.StatusOK, out)
}

type scansJSON struct {
	Jobs         map[string]int64 `json:"jobs"`
	Images       map[string]int   `json:"images"`
	Reevaluation reevalJSON       `json:"reevaluation"`
	LayerCache   layerCacheJSON   `json:"layerCache"`
}

type layerCacheJSON struct {
	Recorded  int64 `json:"recorded"`
	Reused    int64 `json:"reused"`
	Fallbacks int64 `json:"fallbacks"`
}

func (h *Handler) getScans(w http.ResponseWriter, r *http.Request, c *call) error {
	out := scansJSON{Jobs: map[string]int64{}, Reevaluation: h.reeval()}
	if c.id.AllSubscriptions() {
		// The queue is the installation's; only an identity that sees
		// every subscription sees its depth.
		for _, st := range []string{store.JobQueued, store.JobRunning, store.JobDone, store.JobFailed, store.JobSkipped} {
			n, err := h.d.Store.CountScanJobs(r.Context(), st)
			if err != nil {
				return err
			}
			out.Jobs[st] = n
		}
		cs := h.d.Scans.CacheStats()
		out.LayerCache = layerCacheJSON{Recorded: cs.Recorded, Reused: cs.Reused, Fallbacks: cs.Fallbacks}
	}
	var err error
	if out.Images, err = h.d.Store.CountImages(r.Context(), subscriptions(c.id)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
