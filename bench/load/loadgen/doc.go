// Package loadgen drives a running drydock with many concurrent registry
// clients and watches the server while they work: the robustness-under-load
// check of issue 7 ("50 concurrent clients pushing and pulling for 5
// minutes with zero errors and steady memory and goroutine counts").
//
// It is shared by the benchmark (bench/load: 5 minutes against a drydock it
// starts, figures into bench/RESULTS.md) and the end-to-end test
// (test/e2e/load_test.go: about 30 s in CI).
//
// # Usage
//
//	rep, err := loadgen.Run(ctx, loadgen.Config{
//		Server: "http://127.0.0.1:5000", User: "admin", Password: pw,
//		PID: serverPID, Clients: 50, Duration: 5 * time.Minute,
//		BaseLayer: alpineTar,
//	})
//	if err == nil {
//		err = rep.Check() // errors, drift of memory and goroutines
//	}
//	fmt.Print(rep.Markdown())
//
// # What a client does
//
// Every client signs in through the Docker token flow: GET /v2/ answers
// 401 with a Bearer challenge; the client asks the realm for a token
// scoped to its repository (pull, push) and to the shared base repository
// (pull) with Basic credentials, renews it before it expires, and fetches a
// new one if the registry ever answers 401. Then, until the duration is
// over, it picks operations at random, weighted roughly like a CI fleet:
//
//	push     a new image: a unique config, the shared base layer (found by
//	         HEAD, or mounted from load/base), a new random layer of 1-64 KiB
//	         (1 in 20: up to 1 MiB) uploaded monolithically, POST+PUT,
//	         streamed or in Content-Range chunks; the manifest by tag
//	retag    an existing manifest under the tag "latest"
//	referrer an SBOM artifact whose subject is one of the client's images
//	index    an image index of two of the client's images
//	pull     GET of a manifest by tag or digest (bytes checked against the
//	         digest), HEAD of a manifest
//	blob     GET of a whole layer (hash checked), or a Range of it (bytes
//	         checked against what was pushed)
//	tags     tag list pages (?n=&last=) checked to hold what was pushed
//	referrers GET /v2/<name>/referrers/<digest> (with and without the
//	         artifactType filter), checked to list the artifact
//	catalog  a page of /v2/_catalog
//
// Any unexpected status, transport error or content mismatch is an error;
// the report keeps the count and the first messages.
//
// # What is watched
//
// Every Config.SampleEvery a sampler reads the server's resident set size
// (VmRSS in /proc/PID/status), its goroutines (go_goroutines on /metrics)
// and the scan queue (/api/v1/scans). [Report.Check] fails on any error and
// when the mean of the last window of the run is above the mean of the
// second window by more than the tolerance (window: a minute, or a third
// of a shorter run; the first window is the warm-up).
package loadgen
