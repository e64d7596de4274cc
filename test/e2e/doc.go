// Package e2e verifies drydock as a registry with real parts: the real
// drydock binary, real clients (crane, skopeo, umoci, regctl, oras), the
// official OCI distribution-spec conformance suite, and a kill -9 crash test;
// and `drydock scan` against a third-party registry (CNCF distribution's
// `registry`, with TLS from a private CA and htpasswd auth).
//
// The tests carry the build tag e2e and are run by .ci/run:
//
//	scripts/install-tools.sh    # once: skopeo, umoci, crane, regctl, oras, conformance, registry
//	go test -tags e2e -count=1 ./test/e2e/...
//
// # Harness
//
// TestMain builds ./cmd/drydock once into a temporary directory. Each test
// starts its own server with startServer: `drydock serve --addr
// 127.0.0.1:<free port> --data <temp dir>`, ready when GET /readyz answers
// 200, stopped with SIGTERM at the end of the test (server.kill sends SIGKILL
// instead, server.restart starts it again on the same data directory). The
// server's log is printed when a test fails.
//
// Every server gets an administrator (DRYDOCK_ADMIN_PASSWORD) and every
// client signs in as it through one helper (credentials_test.go): tools run
// by runTool find a Docker config with the credentials of every started
// server (DOCKER_CONFIG, REGISTRY_AUTH_FILE) and OCI_USERNAME/OCI_PASSWORD,
// and raw HTTP through httpSend carries Basic credentials. Tests that need
// another caller pass anonymousEnv or credentialsEnv, or their own
// Authorization header ("" for none).
//
// Client tools are looked up on PATH with $REPO/.tools/bin first; a missing
// tool fails the test with a hint to run scripts/install-tools.sh.
//
// Test images are built from real files: the package databases under
// ../shared/testdata/manifests (Alpine's lib/apk/db/installed, Debian's
// dpkg status, an npm application's manifests), plus a layer of random
// bytes so that every image is new to the registry.
package e2e
