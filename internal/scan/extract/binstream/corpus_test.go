package binstream_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock/drydock/internal/scan/extract/gobinary"
	"github.com/drydock/drydock/internal/scan/extract/rustbinary"
)

// TestExecutableCorpus compares, on every executable under the
// directories of $DRYDOCK_EXEC_CORPUS (a list like PATH), what the Go
// and Rust binary extractors keep reading the file whole and reading it
// as a stream. It is skipped without the variable: the corpus is this
// machine's (on 2026-11-28, DRYDOCK_EXEC_CORPUS=/usr:/root/go/pkg/mod/
// golang.org:/root/.cache/drydock-bench/bin:/root/.rustup:/root/.cargo:
// /root/.pyenv: 2,502 executables, 219 of them Go binaries built by
// go1.13 to go1.26, trivy, syft and osv-scanner among them; none with
// cargo-auditable data).
func TestExecutableCorpus(t *testing.T) {
	dirs := filepath.SplitList(os.Getenv("DRYDOCK_EXEC_CORPUS"))
	if len(dirs) == 0 {
		t.Skip("DRYDOCK_EXEC_CORPUS not set")
	}
	var n, goN, rustN int
	for _, root := range dirs {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil || fi.Size() < 4096 || fi.Mode()&0o111 == 0 {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			n++
			whole, _ := gobinary.Extractor{}.Reduce(p, b)
			stream, err := gobinary.Extractor{}.ReduceStream(p, bytes.NewReader(b), int64(len(b)))
			if !bytes.Equal(whole, stream) || err != nil {
				t.Errorf("go %s (%d bytes): whole %q, stream %q, %v", p, len(b), whole, stream, err)
			}
			if whole != nil {
				goN++
			}
			whole, werr := rustbinary.Extractor{}.Reduce(p, b)
			stream, err = rustbinary.Extractor{}.ReduceStream(p, bytes.NewReader(b), int64(len(b)))
			if !bytes.Equal(whole, stream) || err != nil || werr != nil {
				t.Errorf("rust %s: whole %q %v, stream %q %v", p, whole, werr, stream, err)
			}
			if whole != nil {
				rustN++
			}
			return nil
		})
	}
	t.Logf("%d executables, %d Go binaries, %d with cargo-auditable data", n, goN, rustN)
}
