package gem

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

var (
	// specNew is the block that RubyGems writes: "Gem::Specification.new do |s|".
	specNew = regexp.MustCompile(`^\s*Gem::Specification\.new\s+do\s*\|\s*([a-z_][A-Za-z0-9_]*)\s*\|`)
	// assign is "<var>.name = <value>" or "<var>.version = <value>".
	assign = regexp.MustCompile(`^\s*([a-z_][A-Za-z0-9_]*)\.(name|version)\s*=\s*(.*?)\s*$`)
)

// parseGemspec reads the name and version of an installed gem
// specification (see the package documentation); it evaluates nothing.
func parseGemspec(data []byte) (name, version string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
	blockVar := ""
	for sc.Scan() {
		text := sc.Text()
		if blockVar == "" {
			if m := specNew.FindStringSubmatch(text); m != nil {
				blockVar = m[1]
			}
			continue
		}
		m := assign.FindStringSubmatch(text)
		if m == nil || m[1] != blockVar {
			continue
		}
		v, ok := rubyString(m[3])
		if !ok {
			return "", "", fmt.Errorf("%w: gemspec: %s is %q, not a string literal", ErrInvalid, m[2], trim(m[3]))
		}
		switch m[2] {
		case "name":
			if name == "" {
				name = v
			}
		case "version":
			if version == "" {
				version = v
			}
		}
		if name != "" && version != "" {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("%w: gemspec: %w", ErrInvalid, err)
	}
	switch {
	case blockVar == "":
		return "", "", fmt.Errorf("%w: gemspec: no Gem::Specification.new block", ErrInvalid)
	case name == "" || version == "":
		return "", "", fmt.Errorf("%w: gemspec: no name or no version assigned", ErrInvalid)
	case strings.ContainsAny(name+version, " \t\n\r"):
		return "", "", fmt.Errorf("%w: gemspec: name %q or version %q contains white space", ErrInvalid, trim(name), trim(version))
	}
	return name, version, nil
}

// rubyString returns the value of a Ruby string literal without
// interpolation or escapes: "x", 'x', %q{x}, %q(x), %q[x], %q<x>, %Q
// alike, each with an optional ".freeze".
func rubyString(expr string) (string, bool) {
	expr = strings.TrimSuffix(strings.TrimSpace(expr), ".freeze")
	if len(expr) < 2 {
		return "", false
	}
	var body string
	switch q := expr[0]; {
	case q == '"' || q == '\'':
		if expr[len(expr)-1] != q {
			return "", false
		}
		body = expr[1 : len(expr)-1]
	case strings.HasPrefix(expr, "%q") || strings.HasPrefix(expr, "%Q"):
		if len(expr) < 4 {
			return "", false
		}
		closing := map[byte]byte{'{': '}', '(': ')', '[': ']', '<': '>'}[expr[2]]
		if closing == 0 || expr[len(expr)-1] != closing {
			return "", false
		}
		body = expr[3 : len(expr)-1]
	default:
		return "", false
	}
	if body == "" || strings.ContainsAny(body, `\"'{}()[]<>`) || strings.Contains(body, "#{") {
		return "", false
	}
	return body, true
}

// trim shortens what error messages quote from hostile input.
func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
