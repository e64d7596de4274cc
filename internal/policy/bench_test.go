package policy_test

import (
	"net/http"
	"testing"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/store"
)

// BenchmarkManifestGET measures manifest GETs through the registry with no
// pull policy wired, with the policy wired but none set for the registry
// (the fast path), and with a policy on the registry (one lookup of the
// image's verdict per pull).
func BenchmarkManifestGET(b *testing.B) {
	for _, c := range []struct {
		name  string
		wired bool
		set   bool
	}{{"no policy wired", false, false}, {"no policy for the registry", true, false}, {"policy on the registry", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, c.wired)
			d := e.push("bench/app", "v1")
			e.verdict("bench/app", d, store.StatusHealthy, store.Summary{Low: 2})
			e.push("other/app", "v1")
			if _, err := e.pol.Set(b.Context(), store.PullPolicy{Registry: "other", BlockSeverity: 3}); err != nil {
				b.Fatal(err)
			}
			if c.set {
				if _, err := e.pol.Set(b.Context(), store.PullPolicy{Registry: "bench", BlockSeverity: 3, BlockUnscanned: true}); err != nil {
					b.Fatal(err)
				}
			}
			url := e.srv.URL + "/v2/bench/app/manifests/v1"
			client := e.srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCheck measures Policies.Check alone: the fast path (no policy
// for the registry: a snapshot map lookup) and a registry with a policy
// (one probe of the images table).
func BenchmarkCheck(b *testing.B) {
	e := newEnv(b, true)
	d := e.push("bench/app", "v1")
	e.verdict("bench/app", d, store.StatusHealthy, store.Summary{Low: 2})
	repo, err := e.meta.ResolveRepository(b.Context(), "bench/app", store.ResolveOptions{})
	if err != nil {
		b.Fatal(err)
	}
	req := registry.PullRequest{Repository: repo, Digest: d, MediaType: oci.MediaTypeImageManifest, Method: "GET"}
	run := func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := e.pol.Check(b.Context(), req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("no policy for the registry", run)
	if _, err := e.pol.Set(b.Context(), store.PullPolicy{Registry: "bench", BlockSeverity: 3, BlockUnscanned: true}); err != nil {
		b.Fatal(err)
	}
	b.Run("policy on the registry", run)
}
