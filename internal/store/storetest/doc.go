// Package storetest is the conformance suite of [store.Meta]. Every
// implementation runs it in three lines:
//
//	func TestMeta(t *testing.T) {
//		storetest.TestMeta(t, func(t *testing.T) store.Meta { return openForTest(t) })
//	}
//
// open must return a fresh, empty store and arrange its Close with
// t.Cleanup. The suite covers each method's contract, tenancy (one
// subscription never sees or mounts another's blobs), concurrency (parallel
// first pushes into a new registry, parallel manifest commits) and the
// atomicity of manifest commits. Implementations that also count outbox
// events ([EventCounter]) get the event checks too.
package storetest
