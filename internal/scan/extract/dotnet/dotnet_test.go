package dotnet_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/dotnet"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFableCli reads the deps.json that `dotnet publish` wrote for Fable's
// compiler (.NETCoreApp 2.1), as published in the npm package
// fable-compiler 2.13.0 (see testdata/README.md).
func TestFableCli(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{dotnet.Extractor{}}, []lt.Entry{
		lt.File("app/node_modules/fable-compiler/bin/fable-cli/Fable.Cli.deps.json", testdata(t, "Fable.Cli.deps.json")),
		lt.File("app/node_modules/fable-compiler/bin/fable-cli/Fable.Cli.runtimeconfig.json", `{"runtimeOptions": {}}`),
	})
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.PURL)
	}
	// Not reported: the projects Fable.Cli and Fable.Transforms, the
	// reference FSharp.Compiler.Service, and the packages with nothing to
	// deploy on .NETCoreApp 2.1 (Microsoft.NETFramework.ReferenceAssemblies,
	// System.ValueTuple).
	want := []string{
		"Dotnet.ProjInfo@0.39.1 pkg:nuget/Dotnet.ProjInfo@0.39.1",
		"FSharp.Core@4.7.2 pkg:nuget/FSharp.Core@4.7.2",
		"Newtonsoft.Json@12.0.3 pkg:nuget/Newtonsoft.Json@12.0.3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	et.CompareGolden(t, "fable-cli", inv.Packages)
}

func TestReduce(t *testing.T) {
	tests := []struct{ name, body, want, wantErr string }{
		{"self-contained with runtime pack", `{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "targets": {
    ".NETCoreApp,Version=v8.0": {"App/1.0.0": {"dependencies": {"Serilog": "2.10.0"}}, "Serilog/2.10.0": {"runtime": {"lib/net5.0/Serilog.dll": {}}}},
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "App/1.0.0": {"dependencies": {"Serilog": "2.10.0", "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64": "8.0.0"}, "runtime": {"App.dll": {}}},
      "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"runtime": {"System.Private.CoreLib.dll": {}}, "native": {"libclrjit.so": {}}},
      "Serilog/2.10.0": {"runtime": {"lib/net5.0/Serilog.dll": {}}},
      "System.Net.Http/4.3.0": {}
    }
  },
  "libraries": {
    "App/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack", "serviceable": false, "sha512": ""},
    "Serilog/2.10.0": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "serilog/2.10.0"},
    "System.Net.Http/4.3.0": {"type": "package", "serviceable": true},
    "Compile.Only/1.0.0": {"type": "package"}
  }
}`, "Microsoft.NETCore.App.Runtime.linux-x64\t8.0.0\nSerilog\t2.10.0", ""},
		{"no runtime target: every package", `{"libraries": {"A/1.0.0": {"type": "package"}, "B/2.0.0": {"type": "Package"}, "P/1.0.0": {"type": "project"}}}`,
			"A\t1.0.0\nB\t2.0.0", ""},
		{"no packages", `{"runtimeTarget": {"name": "x"}, "libraries": {}}`, "", ""},
		{"not json", "MZ\x90", "", "invalid character"},
		{"no libraries", `{"runtimeTarget": {"name": "x"}}`, "", `no "libraries" object`},
		{"library key without version", `{"libraries": {"Newtonsoft.Json": {"type": "package"}}}`, "", `want "name/version"`},
		{"target entry wrong type", `{"runtimeTarget": {"name": "t"}, "targets": {"t": {"A/1": []}}, "libraries": {}}`, "", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := dotnet.Extractor{}.Reduce("app/App.deps.json", []byte(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, dotnet.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Reduce = %q, %v; want ErrInvalid mentioning %q", out, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Errorf("Reduce = %q, %v; want %q", out, err, tt.want)
			}
		})
	}
}

func TestWants(t *testing.T) {
	fi, _ := fs.Stat(fstest.MapFS{"f": {Data: []byte("x")}}, "f")
	for p, want := range map[string]bool{
		"app/App.deps.json": true,
		"usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json": true,
		"app/.deps.json":             false,
		"app/App.runtimeconfig.json": false,
		"app/deps.json":              false,
	} {
		if got := (dotnet.Extractor{}).Wants(p, fi); got != want {
			t.Errorf("Wants(%s) = %v", p, got)
		}
	}
}

func TestUnreadableFileIsSkipped(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{dotnet.Extractor{}}, []lt.Entry{
		lt.File("a/A.deps.json", "{"),
		lt.File("b/Fable.Cli.deps.json", testdata(t, "Fable.Cli.deps.json")),
	})
	if len(inv.Packages) != 3 {
		t.Errorf("got %d packages, want Fable's 3", len(inv.Packages))
	}
}

func FuzzDepsJSON(f *testing.F) {
	// Small seeds: Go's fuzzing engine crawls when seeded with whole files.
	f.Add([]byte(`{"runtimeTarget": {"name": "n"}, "targets": {"n": {"A/1": {"dependencies": {"B": "2"}}, "B/2": {"runtime": {"b.dll": {}}}}}, "libraries": {"A/1": {"type": "project"}, "B/2": {"type": "package"}}}`))
	f.Add([]byte(`{"runtimeTarget": {"name": "t"}, "targets": {"t": {"A/1": {}}}, "libraries": {"A/1": {"type": "runtimepack"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := dotnet.Extractor{}.Reduce("A.deps.json", data)
		if err == nil {
			for _, l := range strings.Split(string(out), "\n") {
				if len(out) > 0 && strings.Count(l, "\t") != 1 {
					t.Errorf("line %q", l)
				}
			}
		}
	})
}
