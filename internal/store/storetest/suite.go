package storetest

import (
	"testing"

	"github.com/drydock/drydock/internal/store"
)

// TestMeta runs the conformance suite against stores made by open, which
// must return a fresh, empty store (closed through t.Cleanup).
func TestMeta(t *testing.T, open func(t *testing.T) store.Meta) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Meta)
	}{
		{"Subscriptions", testSubscriptions},
		{"Registries", testRegistries},
		{"ResolveRepository", testResolveRepository},
		{"ListRepositories", testListRepositories},
		{"Blobs", testBlobs},
		{"CommitBlobFailure", testCommitBlobFailure},
		{"MountBlob", testMountBlob},
		{"Tenancy", testTenancy},
		{"PutManifest", testPutManifest},
		{"PutManifestAtomic", testPutManifestAtomic},
		{"Index", testIndex},
		{"Tags", testTags},
		{"DeleteManifest", testDeleteManifest},
		{"Referrers", testReferrers},
		{"RecordPulls", testRecordPulls},
		{"Uploads", testUploads},
		{"ScanJobs", testScanJobs},
		{"CollectUntagged", testCollectUntagged},
		{"CollectKeepsLive", testCollectKeepsLive},
		{"CollectBlobs", testCollectBlobs},
		{"ConcurrentFirstPush", testConcurrentFirstPush},
		{"ConcurrentPutManifest", testConcurrentPutManifest},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func testPing(t *testing.T, open func(t *testing.T) store.Meta) {
	m := open(t)
	noErr(t, "ping", m.Ping(t.Context()))
}
