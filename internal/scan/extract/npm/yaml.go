package npm

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/drydock/drydock/internal/scan/extract"
)

// The YAML lockfiles (yarn berry, pnpm) are read through yaml.v3's node
// tree, within bounds that a hostile file cannot talk its way past:
//
//   - size: at most maxYAMLBytes, and at most maxYAMLNodes nodes as
//     yamlNodes estimates them before parsing. A node costs about 200
//     bytes of memory: a lockfile as pnpm writes it (18 bytes a node)
//     costs 12 times its size, a flow sequence of one-digit numbers ("[1,1,
//     ...]", 2 bytes a node) 90 times;
//   - no aliases: pnpm and yarn never write anchors, and an alias repeats
//     what it names each time it is decoded (a billion laughs, or a
//     thousand entries naming one big mapping);
//   - mappings are never decoded into Go maps by yaml.v3, which compares
//     every key with every other for duplicates: a pnpm-lock.yaml of
//     100,000 packages (2 MB) took two minutes. yamlMap walks them,
//     finding duplicates with a Go map; yaml.v3 decodes only scalars and
//     structs (whose duplicate check is linear).
const (
	maxYAMLBytes = extract.MaxManifestBytes
	maxYAMLNodes = 2_000_000 // about 27 MiB of pnpm-lock.yaml, 330 MB of nodes
)

// parseYAML parses a YAML lockfile into its document's root node (nil for
// an empty document). what names the file in errors.
func parseYAML(what string, data []byte) (*yaml.Node, error) {
	if len(data) > maxYAMLBytes {
		return nil, fmt.Errorf("%w: %s: %d bytes, over the %d-byte limit for YAML lockfiles", ErrInvalid, what, len(data), maxYAMLBytes)
	}
	if n := yamlNodes(data); n > maxYAMLNodes {
		return nil, fmt.Errorf("%w: %s: about %d YAML nodes, over the %d limit for YAML lockfiles", ErrInvalid, what, n, maxYAMLNodes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
	}
	if alias := findAlias(&doc); alias != nil {
		return nil, fmt.Errorf("%w: %s: yaml alias *%s at line %d (lockfiles are written without anchors)", ErrInvalid, what, trim(alias.Value), alias.Line)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlNodes estimates, from above and within a factor of about two, the
// number of nodes yaml.v3 makes of data: a node starts a line, follows a
// key's ": " or a sequence's "- ", or follows a flow collection's "[",
// "{" or "," (counted twice: a flow mapping's pair is two nodes, and JSON
// writes `"key":value` without a space).
func yamlNodes(data []byte) int {
	count := func(s string) int { return bytes.Count(data, []byte(s)) }
	lines := count("\n") + count("\r") - count("\r\n")
	return 1 + lines + count(": ") + count(":\t") + count(":\n") + count(":\r") +
		count("- ") + count("-\t") + count("-\n") + count("-\r") +
		2*(count(",")+count("[")+count("{"))
}

// findAlias returns the first alias node under n, nil when there is none.
func findAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c); a != nil {
			return a
		}
	}
	return nil
}

// yamlPair is a mapping entry: its key (decoded as a string) and value.
type yamlPair struct {
	key   string
	value *yaml.Node
}

// yamlMap returns the entries of a mapping node in document order: none
// for an absent or null node, an error for anything but a mapping, for a
// key that is not a string, for a key given twice, and for a merge key
// ("<<", which lockfiles do not use).
func yamlMap(n *yaml.Node) ([]yamlPair, error) {
	switch {
	case n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("line %d: a %s where a mapping belongs", n.Line, n.ShortTag())
	}
	out := make([]yamlPair, 0, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2) // key -> line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge") {
			return nil, fmt.Errorf("line %d: a merge key", k.Line)
		}
		var key string
		if err := k.Decode(&key); err != nil {
			return nil, err
		}
		if line, dup := seen[key]; dup {
			return nil, fmt.Errorf("line %d: mapping key %q already defined at line %d", k.Line, trim(key), line)
		}
		seen[key] = k.Line
		out = append(out, yamlPair{key, n.Content[i+1]})
	}
	return out, nil
}

// yamlMapOf decodes a mapping node into a Go map, each value with value.
func yamlMapOf[T any](n *yaml.Node, value func(*yaml.Node) (T, error)) (map[string]T, error) {
	pairs, err := yamlMap(n)
	if err != nil || pairs == nil {
		return nil, err
	}
	m := make(map[string]T, len(pairs))
	for _, p := range pairs {
		v, err := value(p.value)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", trim(p.key), err)
		}
		m[p.key] = v
	}
	return m, nil
}

// yamlDecode decodes a node holding no mapping that becomes a Go map (a
// scalar, or a struct's mapping) with yaml.v3.
func yamlDecode[T any](n *yaml.Node) (T, error) {
	var v T
	err := n.Decode(&v)
	return v, err
}
