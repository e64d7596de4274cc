package gobinary_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/drydock/drydock/internal/scan/extract/gobinary"
)

// streamCase is a binary and what ReduceStream must make of it.
type streamCase struct {
	name string
	bin  []byte
	// err: ReduceStream reports ErrNotStreamable instead of Reduce's
	// result (a binary before Go 1.18 in a format other than ELF).
	err bool
	// goBinary: Reduce must find build information.
	goBinary bool
}

// allBuildsEnv names the environment variable that turns on every build
// of streamCases (.ci/run sets it). Without it, only the builds that need
// no standard library compiled for another target: each such build takes
// a minute or two on a machine whose build cache is cold, which put the
// package past go test's 10-minute limit on a fresh machine.
const allBuildsEnv = "DRYDOCK_TEST_ALL_GO_BUILDS"

// streamCases builds binaries of every layout the stream search meets:
// Go 1.18+ (strings inline) and older (strings pointed to), ELF, PE and
// Mach-O, internal and external linking, PIE; plus Go binaries on this
// machine's PATH and non-Go executables. Without $DRYDOCK_TEST_ALL_GO_BUILDS,
// the Linux amd64 builds of each toolchain only.
func streamCases(t *testing.T) []streamCase {
	t.Helper()
	all := os.Getenv(allBuildsEnv) != ""
	if !all {
		t.Logf("$%s unset: PIE, external linking, 386, s390x, Windows and macOS builds left out", allBuildsEnv)
	}
	var cases []streamCase
	for _, b := range []struct {
		name, toolchain string
		env             []string
		err             bool
	}{
		{"local linux/amd64", "", nil, false},
		{"go1.20.14", "go1.20.14", nil, false},
		{"go1.17.13 (pointers)", "go1.17.13", nil, false},
		{"local pie", "", []string{"GOFLAGS=-mod=readonly -buildmode=pie"}, false},
		{"local cgo external link", "", []string{"CGO_ENABLED=1", "GOFLAGS=-mod=readonly -ldflags=-linkmode=external"}, false},
		{"local linux/386", "", []string{"GOARCH=386"}, false},
		{"local linux/s390x (big endian)", "", []string{"GOARCH=s390x"}, false},
		{"local windows", "", []string{"GOOS=windows"}, false},
		{"local darwin", "", []string{"GOOS=darwin", "GOARCH=arm64"}, false},
		{"go1.17.13 pie", "go1.17.13", []string{"GOFLAGS=-mod=readonly -buildmode=pie"}, false},
		{"go1.17.13 linux/386", "go1.17.13", []string{"GOARCH=386"}, false},
		{"go1.17.13 s390x", "go1.17.13", []string{"GOARCH=s390x"}, false},
		{"go1.17.13 windows", "go1.17.13", []string{"GOOS=windows"}, false},
		{"go1.17.13 windows/386", "go1.17.13", []string{"GOOS=windows", "GOARCH=386"}, false},
		{"go1.17.13 darwin", "go1.17.13", []string{"GOOS=darwin"}, false},
		{"go1.17.13 darwin/arm64", "go1.17.13", []string{"GOOS=darwin", "GOARCH=arm64"}, false},
	} {
		if !all && len(b.env) > 0 {
			continue
		}
		env := append([]string{"GOFLAGS=-mod=readonly"}, b.env...)
		if b.toolchain != "" && b.toolchain < "go1.21" {
			// Older go commands refuse flags newer ones accept.
			env = append(env, "GOENV=off")
		}
		cases = append(cases, streamCase{name: b.name, bin: buildFixture(t, b.toolchain, env...), err: b.err, goBinary: true})
	}
	// A large go:embed []byte lies in the data segment, between the
	// build information header and, before Go 1.18, the string headers
	// it points to.
	blob := make([]byte, 24<<20)
	rand.NewChaCha8([32]byte{}).Read(blob)
	embed := map[string]string{
		"go.mod":  "module example.com/embed\n\ngo 1.17\n",
		"blob":    string(blob),
		"main.go": "package main\n\nimport _ \"embed\"\n\n//go:embed blob\nvar blob []byte\n\nfunc main() { println(len(blob)) }\n",
	}
	for _, toolchain := range []string{"", "go1.17.13"} {
		cases = append(cases, streamCase{name: "24 MB go:embed " + toolchain, bin: buildProgram(t, embed, toolchain, "GOENV=off"), goBinary: true})
	}
	// Built outside module mode, as Go's own tools are: no module
	// information, and before Go 1.18 its string header lies in the .bss.
	gopath := map[string]string{"main.go": "package main\n\nfunc main() { println(\"std only\") }\n"}
	for _, toolchain := range []string{"", "go1.17.13"} {
		cases = append(cases, streamCase{name: "GOPATH mode " + toolchain, bin: buildProgram(t, gopath, toolchain, "GOENV=off", "GO111MODULE=off", "GOFLAGS="), goBinary: true})
	}
	seen := map[string]bool{}
	for _, name := range []string{"crane", "regctl", "oras", "trivy", "syft", "osv-scanner", "gofmt", "ls", "bash", "gcc"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if p, err = filepath.EvalSymlinks(p); err != nil || seen[p] {
			continue
		}
		seen[p] = true
		if b, err := os.ReadFile(p); err == nil {
			cases = append(cases, streamCase{name: name, bin: b})
		}
	}
	return cases
}

// TestReduceStreamEqualsReduce: reading a binary as a stream, in reads of
// any size, gives what reading it whole gives.
func TestReduceStreamEqualsReduce(t *testing.T) {
	for _, c := range streamCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want, err := gobinary.Extractor{}.Reduce("bin", c.bin)
			if err != nil || c.goBinary && want == nil {
				t.Fatalf("Reduce = %q, %v", want, err)
			}
			// Every Go build here (1.17 and later) has a function name
			// table: the linked packages follow a NUL byte.
			if _, linked, _ := bytes.Cut(want, []byte{0}); c.goBinary && !bytes.Contains(linked, []byte("\nruntime\t")) {
				t.Errorf("no linked packages in %q", want)
			}
			readers := []io.Reader{bytes.NewReader(c.bin), iotest.HalfReader(bytes.NewReader(c.bin))}
			if len(c.bin) < 16<<20 {
				readers = append(readers, iotest.OneByteReader(bytes.NewReader(c.bin)))
			}
			for _, r := range readers {
				got, err := gobinary.Extractor{}.ReduceStream("bin", r, int64(len(c.bin)))
				if c.err {
					if !errors.Is(err, gobinary.ErrNotStreamable) || want == nil {
						t.Fatalf("err = %v (whole: %d bytes), want ErrNotStreamable", err, len(want))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("stream:\n%s\nwhole:\n%s", got, want)
				}
				if testing.Short() {
					break
				}
			}
			t.Logf("%d bytes, %d bytes of build information", len(c.bin), len(want))
		})
	}
}

// FuzzReduceStream: any bytes read as a stream end without a panic or a
// hang, and what is kept is build information text.
func FuzzReduceStream(f *testing.F) {
	f.Add([]byte("\x7fELF"))
	f.Add(append(append([]byte("MZ"), make([]byte, 14)...), []byte("\xff Go buildinf:\x08\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08go1.22.1\x00")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := gobinary.Extractor{}.ReduceStream("bin", bytes.NewReader(data), int64(len(data)))
		if err != nil && out != nil {
			t.Fatalf("out %q with err %v", out, err)
		}
		if out != nil && !bytes.HasPrefix(out, []byte("go\t")) {
			t.Fatalf("out %q", out)
		}
	})
}

// TestStreamFalseHeaders: copies of the build information header whose
// strings are not plausible (here, a version claiming 4 MiB) are not taken
// and cost the search nothing but a look (before, the first was taken as a
// 4 MiB Go version, and each one checked was first copied).
func TestStreamFalseHeaders(t *testing.T) {
	var bin []byte
	bin = append(bin, "\x7fELF"...) // no program headers: the whole file is searched
	bin = append(bin, make([]byte, 60)...)
	for range 1000 {
		h := make([]byte, 48)
		copy(h, "\xff Go buildinf:\x08\x02")
		n := binary.PutUvarint(h[32:], 4<<20-1)
		copy(h[32+n:], "go")
		bin = append(bin, h...)
	}
	bin = append(bin, make([]byte, 5<<20)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := gobinary.Extractor{}.ReduceStream("bin", bytes.NewReader(bin), int64(len(bin)))
	runtime.ReadMemStats(&after)
	if out != nil || err != nil {
		t.Errorf("ReduceStream = %.80q (%d bytes), %v; want nothing", out, len(out), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("the search allocated %d MB", alloc>>20)
	}
}
