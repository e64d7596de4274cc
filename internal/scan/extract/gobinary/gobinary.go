package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"io/fs"
	"path"
	"runtime/debug"
	"strings"

	gomodule "golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/binstream"
	"github.com/drydock/drydock/internal/scan/layer"
)

// minSize is the smallest file worth opening: a Go binary is never smaller.
const minSize = 4 << 10

// Extractor is the Go binary extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "go/binary" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 5 } // 2: "(devel)" modules skipped; 3: go1.26 "-X:" experiments; 4: linked packages; 5: their functions

// Wants implements extract.Extractor: executable regular files.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	m := fi.Mode()
	return m.IsRegular() && m&0o111 != 0 && fi.Size() >= minSize
}

// Reduce implements layer.Reducer: it keeps the build information text
// (runtime/debug.BuildInfo.String form) of a Go executable and, after a
// NUL byte, the packages linked into it with their functions (see
// linkedPackages); nothing of any other file.
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	if !isExecutable(data) {
		return nil, nil
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		// Not a Go binary (or one without build information): nothing of
		// interest, not an error.
		return nil, nil
	}
	out := []byte(bi.String())
	if linked := linkedPackages(data); len(linked) > 0 {
		out = append(out, 0)
		out = append(out, linked...)
	}
	return out, nil
}

// isExecutable reports whether data starts as an ELF, PE or Mach-O file
// (fat ones included) does.
func isExecutable(data []byte) bool { return binstream.FormatOf(data) != "" }

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			// A binary too large to read is skipped, not fatal: one
			// unreadable binary should not hide the rest of the image.
			in.Logger.WarnContext(ctx, "go binary skipped", "path", f.Path, "err", f.Err)
			continue
		}
		info, linked, _ := bytes.Cut(f.Data, []byte{0})
		// A line of build information is at most one package: count them
		// before ParseBuildInfo makes a module of each.
		if err := in.TooMany(len(out) + bytes.Count(info, []byte("\n"))); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		bi, err := debug.ParseBuildInfo(string(info))
		if err != nil {
			in.Logger.WarnContext(ctx, "go build info unreadable", "path", f.Path, "err", err)
			continue
		}
		if bi.GoVersion == "" {
			// String writes a "go\tgo1.x" line that ParseBuildInfo skips.
			first, _, _ := strings.Cut(string(info), "\n")
			if v, ok := strings.CutPrefix(first, "go\t"); ok {
				bi.GoVersion = v
			}
		}
		pkgs := Packages(bi)
		for i := range pkgs {
			pkgs[i].Path = f.Path
		}
		if gps := parseLines(linked); gps != nil {
			attachLinked(pkgs, bi, gps)
		}
		out = append(out, pkgs...)
	}
	return out, nil
}

// Packages returns the packages of a binary's build information (without
// Path).
func Packages(bi *debug.BuildInfo) []pkg.Package {
	var out []pkg.Package
	if v, ok := StdlibVersion(bi.GoVersion); ok {
		out = append(out, module("stdlib", v, "stdlib", v))
	}
	if m := bi.Main; m.Path != "" {
		v := m.Version
		if !versioned(v) {
			v = ldflagsVersion(bi)
		}
		if versioned(v) {
			out = append(out, module(m.Path, strings.TrimPrefix(v, "v"), m.Path, v))
		}
	}
	for _, dep := range bi.Deps {
		m := dep
		if dep.Replace != nil {
			m = dep.Replace
		}
		if m.Path == "" || !versioned(m.Version) {
			// Replaced by a local directory, or built from a workspace
			// (go.work) module: source code with no version, which no
			// advisory range can be judged against. (Or not written by
			// the go command at all.)
			continue
		}
		out = append(out, module(m.Path, strings.TrimPrefix(m.Version, "v"), m.Path, m.Version))
	}
	return out
}

// ldflagsVersion is the version a "(devel)" main module was stamped with
// by the linker, "-X some/pkg.version=1.2.3" in the build's -ldflags (as
// before Go 1.24 most release builds did: kpt's run.version, prometheus's
// common/version.Version, Kubernetes' version.gitVersion). Only a variable
// named version, ver or gitVersion counts, and only a release version:
// the first such flag wins; "" when there is none.
func ldflagsVersion(bi *debug.BuildInfo) string {
	for _, s := range bi.Settings {
		if s.Key != "-ldflags" {
			continue
		}
		args := splitFlags(s.Value)
		for i, a := range args {
			var kv string
			switch {
			case (a == "-X" || a == "--X") && i+1 < len(args):
				kv = args[i+1]
			case strings.HasPrefix(a, "-X="), strings.HasPrefix(a, "--X="):
				_, kv, _ = strings.Cut(a, "=")
			default:
				continue
			}
			key, val, ok := strings.Cut(kv, "=")
			dot := strings.LastIndexByte(key, '.')
			if !ok || dot < 0 {
				continue
			}
			switch strings.ToLower(key[dot+1:]) {
			case "version", "ver", "gitversion":
			default:
				continue
			}
			if v := "v" + strings.TrimPrefix(val, "v"); semver.Canonical(v) == v && !gomodule.IsPseudoVersion(v) {
				return v
			}
		}
	}
	return ""
}

// splitFlags splits a flag string as the go command does: fields separated
// by spaces, a field in single or double quotes taken whole.
func splitFlags(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return out
		}
		if q := s[0]; q == '"' || q == '\'' {
			if end := strings.IndexByte(s[1:], q); end >= 0 {
				out = append(out, s[1:1+end])
				s = s[2+end:]
				continue
			}
		}
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			return append(out, s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

// versioned reports whether a module version from build information names
// a release or pseudo-version: the go command writes "(devel)" (or
// nothing) for code built from a directory, and a semantic version
// otherwise.
func versioned(v string) bool { return semver.IsValid(v) }

func module(name, version, purlPath, purlVersion string) pkg.Package {
	ns, n := path.Split(purlPath)
	return pkg.Package{
		Name: name, Version: version, Type: pkg.TypeGoModule,
		PURL: pkg.PURL("golang", strings.TrimSuffix(ns, "/"), n, purlVersion, nil),
	}
}

// StdlibVersion converts a Go toolchain version ("go1.20.14",
// "go1.21rc2 X:boringcrypto", "go1.26.8-X:jsonv2") to the semantic version
// OSV uses for the standard library ("1.20.14", "1.21.0-rc.2", "1.26.8").
// ok is false for development toolchains ("devel go1.23-abc...") and
// anything unparsable.
//
// The experiments a toolchain was built with (GOEXPERIMENT) follow the
// version: after a space up to Go 1.25, after "-" from Go 1.26 on.
func StdlibVersion(goVersion string) (string, bool) {
	f := strings.Fields(goVersion)
	if len(f) == 0 || !strings.HasPrefix(f[0], "go") {
		return "", false
	}
	rest, _, _ := strings.Cut(strings.TrimPrefix(f[0], "go"), "-X:")
	pre := ""
	for _, kind := range []string{"beta", "rc"} {
		if i := strings.Index(rest, kind); i > 0 {
			n := rest[i+len(kind):]
			if !digits(n) {
				return "", false
			}
			pre = "-" + kind + "." + n
			rest = rest[:i]
			break
		}
	}
	parts := strings.Split(rest, ".")
	if len(parts) > 3 {
		return "", false
	}
	for _, p := range parts {
		if !digits(p) {
			return "", false
		}
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".") + pre, true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
