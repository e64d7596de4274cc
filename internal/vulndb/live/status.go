package live

import (
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/vulndb"
)

// Status is the state of the advisory database in a running server, as
// GET /api/v1/db/status serves it.
type Status struct {
	// Loaded is true when a database version is in use.
	Loaded bool `json:"loaded"`
	// Version is the loaded version (content hash).
	Version string `json:"version,omitempty"`
	// UpdatedAt is when the newest data of the loaded version was
	// modified (vulndb.Status.UpdatedAt), AgeSeconds its age.
	UpdatedAt  time.Time `json:"updatedAt,omitzero"`
	AgeSeconds int64     `json:"ageSeconds,omitempty"`
	// Advisories counts the loaded version's advisories.
	Advisories int `json:"advisories,omitempty"`
	// Sources are the loaded version's sources with their ages.
	Sources []SourceStatus `json:"sources,omitempty"`
	// AutoUpdate says whether the server updates the database by itself.
	AutoUpdate bool `json:"autoUpdate"`
	// Updating is true while an update runs.
	Updating bool `json:"updating"`
	// LastUpdate is when the last successful update ended.
	LastUpdate time.Time `json:"lastUpdate,omitzero"`
	// LastError is why the last update failed, LastErrorAt when; empty
	// after a success.
	LastError   string    `json:"lastError,omitempty"`
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
	// NextUpdate is when the next update starts (zero without
	// AutoUpdate).
	NextUpdate time.Time `json:"nextUpdate,omitzero"`
	// Message says all this in one sentence for people (console, logs).
	Message string `json:"message"`
}

// SourceStatus is one source of the loaded version.
type SourceStatus struct {
	vulndb.SourceStatus
	// AgeSeconds is the age of the source's data: since UpdatedAt, or
	// since it was fetched when its records carry no dates.
	AgeSeconds int64 `json:"ageSeconds"`
	// FetchedAgeSeconds is the time since the source was last read or
	// checked (-1 when never).
	FetchedAgeSeconds int64 `json:"fetchedAgeSeconds"`
}

// Status returns the current state.
func (m *Manager) Status() Status {
	now := m.cfg.Now()
	m.mu.Lock()
	st := Status{AutoUpdate: m.cfg.AutoUpdate, Updating: m.updating, LastUpdate: m.lastUpdate, NextUpdate: m.next}
	if m.lastErr != nil {
		st.LastError, st.LastErrorAt = m.lastErr.Error(), m.lastErrAt
	}
	m.mu.Unlock()
	if !m.cfg.AutoUpdate {
		st.NextUpdate = time.Time{}
	}
	if db := m.DB(); db != nil {
		ds := db.Status()
		st.Loaded, st.Version, st.UpdatedAt, st.Advisories = true, ds.Version, ds.UpdatedAt, ds.Meta.Records
		st.AgeSeconds = seconds(now.Sub(ds.UpdatedAt))
		for _, s := range ds.Sources() {
			ss := SourceStatus{SourceStatus: s, FetchedAgeSeconds: -1}
			f := s.FetchedAt()
			if !f.IsZero() {
				ss.FetchedAgeSeconds = seconds(now.Sub(f))
			}
			switch {
			case !s.UpdatedAt.IsZero():
				ss.AgeSeconds = seconds(now.Sub(s.UpdatedAt))
			case !f.IsZero():
				ss.AgeSeconds = ss.FetchedAgeSeconds
			}
			st.Sources = append(st.Sources, ss)
		}
	}
	st.Message = message(&st, now)
	return st
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// message is Status in one sentence.
func message(st *Status, now time.Time) string {
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	var m string
	switch {
	case st.Loaded:
		m = fmt.Sprintf("Advisory database %.12s loaded: %d advisories, data as of %s (%s old).",
			st.Version, st.Advisories, st.UpdatedAt.UTC().Format(time.DateOnly), age(now.Sub(st.UpdatedAt)))
	case st.Updating:
		return "No advisory database yet: an update is running; findings stay pending until it is loaded."
	case !st.AutoUpdate:
		return "No advisory database: findings stay pending. Run 'drydock db update', or 'drydock db import PATH' without network."
	default:
		m = "No advisory database: findings stay pending."
	}
	switch {
	case st.Updating:
		m += " An update is running."
	case st.LastError != "":
		m += fmt.Sprintf(" The last update failed at %s (%s); next attempt at %s.", at(st.LastErrorAt), st.LastError, at(st.NextUpdate))
		if !st.Loaded {
			m += " Without network, load files with 'drydock db import PATH'."
		}
	case !st.NextUpdate.IsZero():
		m += fmt.Sprintf(" Next update at %s.", at(st.NextUpdate))
	}
	return m
}

// age prints a duration for people: minutes, hours or days.
func age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", max(int(d/time.Minute), 0))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
