package gem

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// parseLockfile reads the gems of a Bundler lockfile's GEM sections:
//
//	GEM
//	  remote: https://rubygems.org/
//	  specs:
//	    nokogiri (1.13.10-x86_64-linux)
//	      racc (~> 1.4)
//
// Gems are the four-space lines under "specs:"; deeper lines are their
// requirements.
func parseLockfile(data []byte) ([]string, error) {
	var out []string
	section := ""
	sections := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
	for sc.Scan() {
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		if text[0] != ' ' {
			section = strings.TrimSpace(text)
			sections++
			continue
		}
		if section != "GEM" || !strings.HasPrefix(text, "    ") || strings.HasPrefix(text, "     ") {
			continue
		}
		spec := strings.TrimSpace(text)
		name, rest, ok := strings.Cut(spec, " (")
		if !ok || !strings.HasSuffix(rest, ")") || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("%w: Gemfile.lock: spec %q: want \"name (version)\"", ErrInvalid, trim(spec))
		}
		version := stripPlatform(strings.TrimSuffix(rest, ")"))
		if version == "" || strings.ContainsAny(version, " \t,") {
			return nil, fmt.Errorf("%w: Gemfile.lock: spec %q: bad version", ErrInvalid, trim(spec))
		}
		out = append(out, line(name, version))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: Gemfile.lock: %w", ErrInvalid, err)
	}
	if sections == 0 {
		return nil, fmt.Errorf("%w: Gemfile.lock: no sections (GEM, PLATFORMS, DEPENDENCIES)", ErrInvalid)
	}
	return out, nil
}

// platformWords are words of RubyGems platform names (Gem::Platform: cpu,
// os, version), which Bundler appends to a version after "-".
var platformWords = []string{
	"java", "jruby", "linux", "darwin", "mingw", "mswin", "cygwin", "freebsd", "netbsd", "openbsd",
	"solaris", "aix", "x86", "x64", "i386", "i686", "arm", "aarch64", "universal", "musl", "gnu", "wasm",
	"powerpc", "ppc", "s390", "sparc",
}

// stripPlatform drops a platform suffix: "1.13.10-x86_64-linux" ->
// "1.13.10", "9.4.3.0-java" -> "9.4.3.0", while "1.0.0-rc1" (a
// pre-release in RubyGems' reading) stays.
func stripPlatform(v string) string {
	i := strings.IndexByte(v, '-')
	if i <= 0 {
		return v
	}
	suffix := strings.ToLower(v[i+1:])
	for _, w := range platformWords {
		if strings.Contains(suffix, w) {
			return v[:i]
		}
	}
	return v
}
