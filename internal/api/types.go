package api

import (
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/store"
)

// Response shapes. Times are RFC 3339 UTC; absent times are omitted.

type summaryJSON struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
	Exempted int `json:"exempted"`
}

func summaryOf(s store.Summary) summaryJSON {
	return summaryJSON{s.Critical, s.High, s.Medium, s.Low, s.Unknown, s.Exempted}
}

func (a *summaryJSON) add(b summaryJSON) {
	a.Critical += b.Critical
	a.High += b.High
	a.Medium += b.Medium
	a.Low += b.Low
	a.Unknown += b.Unknown
	a.Exempted += b.Exempted
}

type osJSON struct {
	Family  string `json:"family"`
	Version string `json:"version"`
	EOL     bool   `json:"eol"`
}

// imageJSON is one platform image.
type imageJSON struct {
	SubscriptionID string      `json:"subscriptionId"`
	Registry       string      `json:"registry"`
	Repository     string      `json:"repository"`
	Digest         string      `json:"digest"`
	Index          string      `json:"index,omitempty"`
	Platform       string      `json:"platform"`
	Status         string      `json:"status"`
	Reason         string      `json:"reason,omitempty"`
	Scanning       bool        `json:"scanning"`
	OS             *osJSON     `json:"os,omitempty"`
	Packages       int         `json:"packages"`
	Unchecked      int         `json:"unchecked"`
	Summary        summaryJSON `json:"summary"`
	DBVersion      string      `json:"dbVersion,omitempty"`
	Attempts       int         `json:"attempts"`
	QueuedAt       *time.Time  `json:"queuedAt,omitempty"`
	StartedAt      *time.Time  `json:"startedAt,omitempty"`
	ScannedAt      *time.Time  `json:"scannedAt,omitempty"`
	FirstScannedAt *time.Time  `json:"firstScannedAt,omitempty"`
	LastPushed     *time.Time  `json:"lastPushed,omitempty"`
	LastPulled     *time.Time  `json:"lastPulled,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func imageOf(im store.ImageRecord) imageJSON {
	j := imageJSON{
		SubscriptionID: im.SubscriptionID, Registry: im.Registry, Repository: im.Repository, Digest: string(im.Digest),
		Index: string(im.ParentDigest), Platform: im.Platform, Status: im.Status, Reason: im.Reason,
		Scanning: im.ScanState == "scanning", Packages: im.Packages, Unchecked: im.Unchecked, Summary: summaryOf(im.Summary),
		DBVersion: im.DBVersion, Attempts: im.Attempts, QueuedAt: timePtr(im.QueuedAt), StartedAt: timePtr(im.StartedAt),
		ScannedAt: timePtr(im.ScannedAt), FirstScannedAt: timePtr(im.FirstScannedAt), LastPushed: timePtr(im.PushedAt),
		LastPulled: timePtr(im.LastPulledAt),
	}
	if im.OSFamily != "" {
		j.OS = &osJSON{im.OSFamily, im.OSVersion, im.OSEOL}
	}
	return j
}

// manifestJSON is one manifest of a repository with its scan state.
type manifestJSON struct {
	Repository   string      `json:"repository"`
	Digest       string      `json:"digest"`
	MediaType    string      `json:"mediaType"`
	ArtifactType string      `json:"artifactType,omitempty"`
	Kind         string      `json:"kind"` // image | index
	Tags         []string    `json:"tags"`
	Status       string      `json:"status"`
	Reason       string      `json:"reason,omitempty"`
	Summary      summaryJSON `json:"summary"`
	ScannedAt    *time.Time  `json:"scannedAt,omitempty"`
	LastPushed   *time.Time  `json:"lastPushed,omitempty"`
	LastPulled   *time.Time  `json:"lastPulled,omitempty"`
	Job          string      `json:"job,omitempty"`
	Images       []imageJSON `json:"images"`
}

// statusRank orders statuses for an index's overall status: a platform
// without a verdict yet makes the index's in progress; otherwise the worst
// platform wins.
var statusRank = map[string]int{
	store.StatusScanning: 8, store.StatusQueued: 7, store.StatusUnhealthy: 6, store.StatusFailed: 5,
	store.StatusPending: 3, store.StatusHealthy: 2, store.StatusNotApplicable: 1, store.StatusNotScanned: 0,
}

func manifestOf(ms store.ManifestState) manifestJSON {
	j := manifestJSON{Repository: ms.Repository, Digest: string(ms.Digest), MediaType: ms.MediaType, ArtifactType: ms.ArtifactType,
		Kind: "image", Tags: ms.Tags, LastPushed: timePtr(ms.PushedAt), LastPulled: timePtr(ms.LastPulledAt), Job: ms.Job,
		Images: []imageJSON{}}
	if ms.Index {
		j.Kind = "index"
	}
	var scanned time.Time
	for _, im := range ms.Images {
		ij := imageOf(im)
		j.Images = append(j.Images, ij)
		j.Summary.add(ij.Summary)
		if j.Status == "" || statusRank[im.Status] > statusRank[j.Status] {
			j.Status, j.Reason = im.Status, im.Reason
		}
		if im.ScannedAt.After(scanned) {
			scanned = im.ScannedAt
		}
	}
	j.ScannedAt = timePtr(scanned)
	// A job in flight shows, whatever an earlier result says.
	switch {
	case ms.Job == store.JobQueued && j.Status == "":
		j.Status = store.StatusQueued
	case ms.Job == store.JobRunning && (j.Status == "" || j.Status == store.StatusQueued):
		j.Status = store.StatusScanning
	case j.Status == "" && ms.Job == store.JobSkipped:
		j.Status, j.Reason = store.StatusNotScanned, ms.JobNote
	case j.Status == "" && ms.RegistryType != store.RegistryTypeStandard:
		j.Status, j.Reason = store.StatusNotScanned, "registry "+ms.Registry+" is of type "+ms.RegistryType+", which is not scanned"
	case j.Status == "" && ms.Job == store.JobDone:
		j.Status = store.StatusNotApplicable // an index none of whose platforms is an image
	case j.Status == "":
		j.Status, j.Reason = store.StatusNotScanned, "no scan was requested"
	}
	return j
}

// findingJSON is one finding of the fleet listing.
type findingJSON struct {
	ID             string       `json:"id"`
	Package        packageJSON  `json:"package"`
	Severity       string       `json:"severity"`
	FixedVersion   string       `json:"fixedVersion"`
	FixStatus      string       `json:"fixStatus"`
	Title          string       `json:"title,omitempty"`
	Layer          string       `json:"layer,omitempty"`
	Exempted       bool         `json:"exempted"`
	ExemptionID    string       `json:"exemptionId,omitempty"`
	FirstSeenAt    time.Time    `json:"firstSeenAt"`
	SubscriptionID string       `json:"subscriptionId"`
	Image          imageRefJSON `json:"image"`
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Type    string `json:"type"`
	Arch    string `json:"arch,omitempty"`
	PURL    string `json:"purl,omitempty"`
	Path    string `json:"path,omitempty"`
}

type imageRefJSON struct {
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
	Platform   string `json:"platform"`
}

func findingOf(f store.FindingRow) findingJSON {
	return findingJSON{
		ID: f.AdvisoryID, Severity: finding.Severity(f.Severity).String(), FixedVersion: f.FixedVersion, FixStatus: f.FixStatus,
		Title: f.Title, Layer: f.Layer, Exempted: f.Exempted, ExemptionID: f.ExemptionID, FirstSeenAt: f.FirstSeenAt.UTC(),
		SubscriptionID: f.SubscriptionID,
		Package: packageJSON{Name: f.PackageName, Version: f.PackageVersion, Type: f.PackageType, Arch: f.PackageArch,
			PURL: f.PURL, Path: f.PackagePath},
		Image: imageRefJSON{Registry: f.Registry, Repository: f.Repository, Digest: string(f.Digest), Platform: f.Platform},
	}
}

// page is a listing page.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}
