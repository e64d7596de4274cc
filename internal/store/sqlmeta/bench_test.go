package sqlmeta_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// Benchmarks run against databases of a given number of repositories (set
// DRYDOCK_BENCH_LARGE=1 to add 100,000), each repository holding
// tagsPerRepo tagged manifests in subscriptions of 1,000 repositories.
// Fixtures are built once per size and shared.

const tagsPerRepo = 3

func benchSizes() []int {
	sizes := []int{1_000, 10_000}
	if os.Getenv("DRYDOCK_BENCH_LARGE") != "" {
		sizes = append(sizes, 100_000)
	}
	return sizes
}

var (
	fixtureMu   sync.Mutex
	fixtureDir  string
	fixturePath = map[int]string{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

func repoName(i int) string { return fmt.Sprintf("reg%03d/app-%06d", i/1000, i) }

// manifestBody returns a distinct image manifest over config and layer.
func manifestBody(config, layer oci.Digest, n int) ([]byte, *oci.Manifest, oci.Digest) {
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":1234},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":5678}],`+
		`"annotations":{"n":"%d"}}`, config, layer, n))
	m, err := oci.ParseManifest("", body)
	if err != nil {
		panic(err) // fixed fixture text
	}
	return body, m, digest.FromBytes(body)
}

var (
	benchConfig = digest.FromString("bench config")
	benchLayer  = digest.FromString("bench layer")
)

// fixture returns the path of a database with n repositories.
func fixture(b *testing.B, n int) string {
	b.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if p, ok := fixturePath[n]; ok {
		return p
	}
	if fixtureDir == "" {
		d, err := os.MkdirTemp("", "sqlmeta-bench-")
		if err != nil {
			b.Fatal(err)
		}
		fixtureDir = d
	}
	path := filepath.Join(fixtureDir, fmt.Sprintf("meta-%d.db", n))
	ctx := context.Background()
	s, err := sqlmeta.Open(ctx, sqlmeta.Config{Path: path, Synchronous: sqlmeta.SyncNormal}, discard())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		sub := fmt.Sprintf("sub%03d", i/1000)
		if i%1000 == 0 {
			if _, err := s.EnsureSubscription(ctx, sub, sub); err != nil {
				b.Fatal(err)
			}
		}
		repo, err := s.ResolveRepository(ctx, repoName(i), store.ResolveOptions{Create: true, CreateRegistryIn: sub})
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range []oci.Digest{benchConfig, benchLayer} {
			if _, err := s.CommitBlob(ctx, repo, d, func() (store.BlobInfo, error) { return store.BlobInfo{Digest: d, Size: 1}, nil }); err != nil {
				b.Fatal(err)
			}
		}
		for j := range tagsPerRepo {
			body, m, d := manifestBody(benchConfig, benchLayer, i*tagsPerRepo+j)
			if _, err := s.PutManifest(ctx, repo, store.ManifestPut{Digest: d, Content: body, Manifest: m,
				Tag: fmt.Sprintf("v%d", j), RequireRefs: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	fixturePath[n] = path
	return path
}

// openFixture opens a private copy of the n-repository fixture.
func openFixture(b *testing.B, n int, sync sqlmeta.Synchronous) *sqlmeta.Store {
	b.Helper()
	src := fixture(b, n)
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), "meta.db")
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := sqlmeta.Open(context.Background(), sqlmeta.Config{Path: dst, Synchronous: sync}, discard())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func resolve(b *testing.B, s *sqlmeta.Store, name string) store.Repository {
	b.Helper()
	r, err := s.ResolveRepository(context.Background(), name, store.ResolveOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkPutManifest commits a new tagged manifest per iteration (with its
// reference checks, scan job and event) at both durability levels.
func BenchmarkPutManifest(b *testing.B) {
	for _, n := range benchSizes() {
		for _, sync := range []sqlmeta.Synchronous{sqlmeta.SyncNormal, sqlmeta.SyncFull} {
			b.Run(fmt.Sprintf("repos=%d/sync=%s", n, sync), func(b *testing.B) {
				s := openFixture(b, n, sync)
				repo := resolve(b, s, repoName(n/2))
				ctx := context.Background()
				i := 0
				for b.Loop() {
					body, m, d := manifestBody(benchConfig, benchLayer, 1_000_000_000+i)
					res, err := s.PutManifest(ctx, repo, store.ManifestPut{Digest: d, Content: body, Manifest: m,
						Tag: fmt.Sprintf("b%d", i%50), RequireRefs: true})
					if err != nil || !res.Created {
						b.Fatal(res, err)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkPutManifestParallel is PutManifest from 8 goroutines: writes
// queue on the single writer connection.
func BenchmarkPutManifestParallel(b *testing.B) {
	s := openFixture(b, 1_000, sqlmeta.SyncFull)
	repo := resolve(b, s, repoName(500))
	var mu sync.Mutex
	next := 0
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			body, m, d := manifestBody(benchConfig, benchLayer, 2_000_000_000+i)
			if _, err := s.PutManifest(context.Background(), repo, store.ManifestPut{Digest: d, Content: body, Manifest: m,
				Tag: fmt.Sprintf("p%d", i), RequireRefs: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetManifest(b *testing.B) {
	for _, n := range benchSizes() {
		s := openFixture(b, n, sqlmeta.SyncFull)
		repo := resolve(b, s, repoName(n/2))
		_, _, d := manifestBody(benchConfig, benchLayer, (n/2)*tagsPerRepo+1)
		for _, ref := range []string{"v1", string(d)} {
			kind := "tag"
			if ref != "v1" {
				kind = "digest"
			}
			b.Run(fmt.Sprintf("repos=%d/by=%s", n, kind), func(b *testing.B) {
				for b.Loop() {
					rec, err := s.GetManifest(context.Background(), repo.ID, ref)
					if err != nil || rec.Digest != d {
						b.Fatal(rec.Digest, err)
					}
				}
			})
			b.Run(fmt.Sprintf("repos=%d/by=%s/parallel", n, kind), func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.GetManifest(context.Background(), repo.ID, ref); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

// BenchmarkListTags lists a page of 100 out of 1,000 tags of one repository
// in a database of n repositories.
func BenchmarkListTags(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("repos=%d", n), func(b *testing.B) {
			s := openFixture(b, n, sqlmeta.SyncNormal)
			repo := resolve(b, s, repoName(n/2))
			ctx := context.Background()
			for j := range 1000 {
				if _, err := s.PutManifest(ctx, repo, func() store.ManifestPut {
					body, m, d := manifestBody(benchConfig, benchLayer, (n/2)*tagsPerRepo)
					return store.ManifestPut{Digest: d, Content: body, Manifest: m, Tag: fmt.Sprintf("t%04d", j)}
				}()); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				tags, err := s.ListTags(ctx, repo.ID, "t0500", 100)
				if err != nil || len(tags) != 100 {
					b.Fatal(len(tags), err)
				}
			}
		})
	}
}

// BenchmarkListRepositories is the _catalog: a page of 100, the whole
// catalog in one response, and the repositories of one subscription.
func BenchmarkListRepositories(b *testing.B) {
	for _, n := range benchSizes() {
		s := openFixture(b, n, sqlmeta.SyncNormal)
		ctx := context.Background()
		cases := []struct {
			name string
			subs []string
			last string
			lim  int
			want int
		}{
			{"page100", nil, repoName(n / 2), 100, 100},
			{"all", nil, "", n, n},
			{"subscription/page100", []string{"sub000"}, "", 100, 100},
			{"subscription/all", []string{"sub000"}, "", -1, 1000},
			{"3subscriptions/page100", []string{"sub000", fmt.Sprintf("sub%03d", n/2000), fmt.Sprintf("sub%03d", n/1000-1)}, repoName(500), 100, 100},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("repos=%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					names, err := s.ListRepositories(ctx, c.subs, c.last, c.lim)
					if err != nil || len(names) != c.want {
						b.Fatal(len(names), err)
					}
				}
			})
		}
	}
}
