package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
)

// unmarshalLockfile is how package-lock.json was read before lockfile.go:
// unmarshalled whole. It is the reference the token-by-token reader is
// held to: wherever it reads a lockfile, parseLockfile must find the same
// packages in the same order.
func unmarshalLockfile(data []byte) (*lockGraph, error) {
	type depV1 struct {
		Version      string           `json:"version"`
		Dev          bool             `json:"dev"`
		Dependencies map[string]depV1 `json:"dependencies"`
	}
	var lf struct {
		Packages     map[string]lockEntry `json:"packages"`
		Dependencies map[string]depV1     `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, err
	}
	g := &lockGraph{}
	if lf.Packages != nil {
		for _, key := range slices.Sorted(maps.Keys(lf.Packages)) {
			e := lf.Packages[key]
			i := strings.LastIndex(key, "node_modules/")
			if key == "" || i < 0 || e.Link || e.Version == "" || notFromRegistry(e.Resolved) {
				continue
			}
			name := key[i+len("node_modules/"):]
			if e.Name != "" {
				name = e.Name
			}
			g.add(lockPkg{Name: name, Version: e.Version, Dev: e.Dev, OS: e.OS, CPU: e.CPU, Libc: e.Libc})
		}
		return g, nil
	}
	var walk func(deps map[string]depV1, depth int) error
	walk = func(deps map[string]depV1, depth int) error {
		if depth > maxDepthV1 {
			return errors.New("too deep")
		}
		for _, name := range slices.Sorted(maps.Keys(deps)) {
			d := deps[name]
			v := d.Version
			if rest, ok := strings.CutPrefix(v, "npm:"); ok {
				if at := strings.LastIndex(rest, "@"); at > 0 {
					name, v = rest[:at], rest[at+1:]
				}
			}
			if v != "" && !strings.Contains(v, ":") && !strings.Contains(v, "/") {
				g.add(lockPkg{Name: name, Version: v, Dev: d.Dev})
			}
			if err := walk(d.Dependencies, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return g, walk(lf.Dependencies, 0)
}

// lockfileSeeds are lockfiles of every shape parseLockfile meets: the
// fixture application's (lockfileVersion 3) and small ones for versions 1
// and 2, aliases, links, git and file dependencies, platforms, repeated
// keys, nulls and keys in other cases and orders.
func lockfileSeeds(t testing.TB) []string {
	return []string{
		et.Fixture(t, "npm/express-app/package-lock.json"),
		`{"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0", "dev": true, "requires": {"b": "^2"},
			"dependencies": {"b": {"version": "2.0.0", "integrity": "sha512-x"}}},
			"c": {"version": "npm:d@3.0.0"}, "e": {"version": "git+https://x/e.git#abc"}, "f": {"version": "file:../f"}}}`,
		`{"name": "x", "lockfileVersion": 2, "requires": true, "packages": {"": {"name": "x", "version": "1.0.0"},
			"node_modules/a": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz", "dev": true},
			"node_modules/a/node_modules/@s/b": {"version": "2.0.0", "os": ["linux"], "cpu": "x64", "libc": ["glibc"]},
			"node_modules/c": {"name": "d", "version": "3.0.0"}, "node_modules/l": {"link": true, "version": "1"},
			"node_modules/g": {"version": "1.0.0", "resolved": "git+ssh://git@x/g.git#abc"}, "packages/w": {"version": "1"}},
			"dependencies": {"a": {"version": "1.0.0", "dev": true}}}`,
		`{"dependencies": {"a": {"version": "1"}}, "packages": {"node_modules/z": {"version": "9"}}}`,
		`{"packages": null, "dependencies": {"a": {"Version": "1", "DEV": true}}}`,
		`{"packages": {}, "dependencies": {"a": {"version": "1"}}}`,
		`{"packages": {"node_modules/a": {"version": "1"}, "node_modules/a": {"version": "2"}}}`,
		`{"packages": {"node_modules/a": {"version": "1"}, "node_modules/a": {"link": true}}}`,
		`{"dependencies": {"a": {"version": "1"}, "a": {"version": "2", "dependencies": null}}}`,
		`{"packages": {"node_modules/a": null, "node_modules/b": {"version": "1", "os": null}}}`,
		`{"lockfileVersion": 3, "x": [1, {"y": [[], {}]}, "z", null, true], "packages": {"node_modules/a": {"version": "1"}}}`,
		`{"PACKAGES": {"node_modules/a": {"VERSION": "1"}}}`,
		`{"dependenCies": {"a": {"verſion": "1"}}}`,
		`null`,
		`{}`,
	}
}

// TestLockfileAsUnmarshalled holds parseLockfile, read whole and in
// reads of one byte, to unmarshalLockfile on every seed.
func TestLockfileAsUnmarshalled(t *testing.T) {
	for i, s := range lockfileSeeds(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, err := unmarshalLockfile([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []io.Reader{strings.NewReader(s), iotest.OneByteReader(strings.NewReader(s))} {
				got, err := parseLockfile(r)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-unmarshalled +streamed):\n%s", diff)
				}
			}
		})
	}
}

// TestLockfileStreamed: what ReduceStream makes of a lockfile is Reduce's,
// also when the reader fails (the error is the reader's). A lockfile of
// version 2 is not read past its "packages": what follows may be cut off
// or broken and still the packages are found.
func TestLockfileStreamed(t *testing.T) {
	e := Extractor{}
	for _, name := range []string{"package-lock.json", "npm-shrinkwrap.json"} {
		for i, s := range lockfileSeeds(t) {
			want, err := e.Reduce("app/"+name, []byte(s))
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.ReduceStream("app/"+name, iotest.HalfReader(strings.NewReader(s)), int64(len(s)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s %d: ReduceStream = %s, %v; want %s", name, i, got, err, want)
			}
		}
	}
	boom := errors.New("boom")
	s := lockfileSeeds(t)[0]
	_, err := e.ReduceStream("app/package-lock.json", io.MultiReader(strings.NewReader(s[:len(s)/2]), iotest.ErrReader(boom)), int64(len(s)))
	if !errors.Is(err, boom) {
		t.Errorf("a failing reader: err = %v, want it wrapped", err)
	}

	const packages = `{"lockfileVersion": 2, "packages": {"node_modules/a": {"version": "1.0.0"}}`
	for _, rest := range []string{`}`, `, "dependencies": {"a": {"version": "1.0.0"`, `, "dependencies": ]]]`} {
		got, err := e.ReduceStream("package-lock.json", strings.NewReader(packages+rest), int64(len(packages+rest)))
		if err != nil || !strings.Contains(string(got), `"n":"a","v":"1.0.0"`) {
			t.Errorf("%q after packages: %s, %v", rest, got, err)
		}
	}
}

func TestLockfileMalformed(t *testing.T) {
	for _, s := range []string{
		``, `[]`, `"x"`, `{"packages": []}`, `{"packages": {"node_modules/a": []}}`,
		`{"packages": {"node_modules/a": {"version": 1}}}`, `{"packages": {"node_modules/a": {"version": "1"}`,
		`{"dependencies": {"a": {"version": 1}}}`, `{"dependencies": {"a": "1"}}`, `{"dependencies": []}`,
		`{"dependencies": {"a": {"dev": "yes"}}}`, `{"x": [}`, `{"dependencies": {"a": {"version": "1"}}`,
		`{"dependencies": ` + strings.Repeat(`{"a": {"dependencies": `, maxDepthV1+2) + `{}` + strings.Repeat(`}}`, maxDepthV1+2) + `}`,
	} {
		got, err := Extractor{}.Reduce("package-lock.json", []byte(s))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%.60q: Reduce = %s, %v; want ErrInvalid", s, got, err)
		}
	}
}

// FuzzLockfile: wherever unmarshalLockfile reads a lockfile without
// repeated keys, parseLockfile finds the same packages (it may read more:
// it stops after "packages"; json.Unmarshal merges repeated objects).
func FuzzLockfile(f *testing.F) {
	for _, s := range lockfileSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseLockfile(bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		want, werr := unmarshalLockfile(data)
		if werr != nil || repeatsKeys(data) {
			return
		}
		if err != nil {
			t.Fatalf("unmarshalled, but parseLockfile: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-unmarshalled +streamed):\n%s", diff)
		}
	})
}

// repeatsKeys reports whether an object in the JSON document data has two
// keys that encoding/json takes for the same field (equal but for case).
func repeatsKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type level struct {
		keys  []string
		inObj bool
		key   bool // the next token is a key
	}
	var stack []*level
	for {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.inObj && top.key {
			k, ok := t.(string)
			if ok {
				for _, seen := range top.keys {
					if strings.EqualFold(seen, k) {
						return true
					}
				}
				top.keys = append(top.keys, k)
				top.key = false
				continue
			}
		}
		switch t {
		case json.Delim('{'):
			stack = append(stack, &level{inObj: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].inObj {
			stack[len(stack)-1].key = true // a value ended
		}
	}
}
