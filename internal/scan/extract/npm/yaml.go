package npm

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

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
//     ...]", 2 bytes a node) 90 times. Lockfiles laid out as pnpm and yarn
//     write them are parsed an entry at a time (see yamlSections), each
//     entry held to maxYAMLNodes: only one entry's nodes are in memory;
//   - no aliases: pnpm and yarn never write anchors, and an alias repeats
//     what it names each time it is decoded (a billion laughs, or a
//     thousand entries naming one big mapping);
//   - yaml.v3 is never handed a mapping of more keys than a struct has
//     fields: it compares every key of a mapping it decodes (into a Go
//     map or a struct alike) with every other for duplicates, so that a
//     pnpm-lock.yaml of 100,000 packages (2 MB) took two minutes, and a
//     mapping of 50,000 keys no struct field names (450 KB) 9 s. yamlMap
//     walks mappings, finding duplicates with a Go map; yamlDecode prunes
//     a struct's mapping to the struct's fields before yaml.v3 decodes it
//     (see yamlPrune).
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

// parseYAMLDocuments parses every document of a YAML lockfile, as
// parseYAML parses the first; empty documents are left out.
func parseYAMLDocuments(what string, data []byte) ([]*yaml.Node, error) {
	if len(data) > maxYAMLBytes {
		return nil, fmt.Errorf("%w: %s: %d bytes, over the %d-byte limit for YAML lockfiles", ErrInvalid, what, len(data), maxYAMLBytes)
	}
	if n := yamlNodes(data); n > maxYAMLNodes {
		return nil, fmt.Errorf("%w: %s: about %d YAML nodes, over the %d limit for YAML lockfiles", ErrInvalid, what, n, maxYAMLNodes)
	}
	var roots []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return roots, nil
		} else if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
		}
		if alias := findAlias(&doc); alias != nil {
			return nil, fmt.Errorf("%w: %s: yaml alias *%s at line %d (lockfiles are written without anchors)", ErrInvalid, what, trim(alias.Value), alias.Line)
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 && !(doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
			roots = append(roots, doc.Content[0])
		}
	}
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
		if k.Kind != yaml.ScalarNode {
			// yaml.v3 would check a mapping key's own keys for
			// duplicates before failing to make a string of it.
			return nil, fmt.Errorf("line %d: a %s as a mapping key", k.Line, k.ShortTag())
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

// yamlDecode decodes n into a T with yaml.v3, pruned first (see
// yamlPrune). T holds no Go map (a yaml.Node field stands for a mapping,
// which yamlMapOf decodes), no interface but for a scalar, and no inline
// field; a type of T's with its own UnmarshalYAML decodes what it is
// handed through yamlDecode too.
func yamlDecode[T any](n *yaml.Node) (T, error) {
	var v T
	n, err := yamlPrune(n, reflect.TypeFor[T]())
	if err != nil {
		return v, err
	}
	err = n.Decode(&v)
	return v, err
}

var (
	yamlNodeType    = reflect.TypeFor[yaml.Node]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
)

// yamlPrune returns n as yaml.v3 is to decode it into a t: a mapping
// holds only the keys of the struct t's fields (walked by yamlMap, which
// refuses duplicate keys), their values pruned in turn, and a sequence
// decoded into a slice its items pruned. A mapping where anything but a
// struct belongs, and a collection where an interface does, are errors
// (yaml.v3 would compare their keys first). A yaml.Node, and a type with
// its own UnmarshalYAML, get n as it is.
func yamlPrune(n *yaml.Node, t reflect.Type) (*yaml.Node, error) {
	if t == yamlNodeType || t.Implements(yamlUnmarshaler) || reflect.PointerTo(t).Implements(yamlUnmarshaler) {
		return n, nil
	}
	if t.Kind() == reflect.Pointer {
		return yamlPrune(n, t.Elem())
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		pairs, err := yamlMap(n)
		if err != nil {
			return nil, err
		}
		fields := yamlFields(t)
		out := *n
		out.Content = nil
		for _, p := range pairs {
			ft, ok := fields[p.key]
			if !ok {
				continue // yaml.v3 would skip it too
			}
			v, err := yamlPrune(p.value, ft)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.key, err)
			}
			out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.key, Line: v.Line}, v)
		}
		return &out, nil
	case n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode && t.Kind() == reflect.Interface:
		return nil, fmt.Errorf("line %d: a %s where a %s belongs", n.Line, n.ShortTag(), t)
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		out := *n
		out.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			var err error
			if out.Content[i], err = yamlPrune(c, t.Elem()); err != nil {
				return nil, err
			}
		}
		return &out, nil
	}
	return n, nil // a scalar, or a sequence yaml.v3 refuses unread
}

// yamlFieldTypes caches yamlFields: struct type -> key -> field type.
var yamlFieldTypes sync.Map

// yamlFields returns the keys yaml.v3 decodes into the fields of the
// struct type t, and the fields' types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := yamlFieldTypes.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch key {
		case "-":
			continue
		case "":
			key = strings.ToLower(f.Name)
		}
		m[key] = f.Type
	}
	yamlFieldTypes.Store(t, m)
	return m
}

// Large YAML lockfiles are parsed an entry at a time, not as one
// document: yaml.v3's tree of a pnpm-lock.yaml of 20,000 packages (5.5
// MB) took 134 MB. A document laid out as pnpm and yarn write lockfiles
// (top-level keys at the start of a line, each section's entries at one
// indentation under it, no tabs, no document markers) is cut into its
// top-level sections (yamlSections) and a section's mapping into its
// entries (yamlEntries), each parsed on its own by parseYAML. The reader
// falls back to the whole document when the layout is another, or when a
// part does not parse or decode: the whole document then gives the
// result, or the error, as before.

// yamlDocuments cuts data at its document start markers, lines "---" as
// pnpm 12 writes them between its env and project lockfiles, leaving out
// documents of only blank lines and comments; ok is false when a line
// starts with "---" or "..." otherwise, or with a directive ("%").
func yamlDocuments(data []byte) (docs [][]byte, ok bool) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || !yamlPlain(data) {
		return nil, false // see yamlPlain
	}
	start, blank := 0, true
	for off := 0; off < len(data); {
		end := lineEnd(data, off)
		line := bytes.TrimRight(bytes.TrimSuffix(data[off:end], []byte("\n")), " ")
		switch {
		case string(line) == "---":
			if !blank {
				docs = append(docs, data[start:off])
			}
			start, blank = end, true
		case bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("...")) || bytes.HasPrefix(line, []byte("%")):
			return nil, false
		case len(bytes.TrimLeft(line, " ")) > 0 && bytes.TrimLeft(line, " ")[0] != '#':
			blank = false
		}
		off = end
	}
	if !blank {
		docs = append(docs, data[start:])
	}
	return docs, true
}

// yamlSection is a top-level entry of such a document: its key, its
// lines, and the lines under its key's line.
type yamlSection struct {
	// key is the key when it is a plain identifier ("packages"), ""
	// for others (yarn berry's quoted descriptors): the section is then
	// to be parsed whole, which tells the key.
	key        string
	text, body []byte
	// inline is set when a value follows the key on its line (or the
	// key is not plain).
	inline bool
}

// yamlSections cuts data, a document as yamlDocuments returns it (which
// checks that the file is plain YAML text), into its top-level sections;
// ok is false when data is not laid out as a lockfile (see above).
func yamlSections(data []byte) (secs []yamlSection, ok bool) {
	var starts []int
	for off := 0; off < len(data); {
		end := lineEnd(data, off)
		line := bytes.TrimSuffix(data[off:end], []byte("\n"))
		switch {
		case len(bytes.TrimLeft(line, " ")) == 0 || line[0] == '#':
		case line[0] == ' ':
			if len(secs) == 0 {
				return nil, false
			}
		default:
			if !yamlKeyStart(line[0]) {
				return nil, false
			}
			key, inline, plain := yamlTopKey(line)
			if !plain {
				key, inline = "", true // a quoted key: parsed with its value
			}
			secs = append(secs, yamlSection{key: key, inline: inline})
			starts = append(starts, off)
			off = end
			starts = append(starts, off) // where its body starts
			continue
		}
		off = end
	}
	for i := range secs {
		end := len(data)
		if 2*i+2 < len(starts) {
			end = starts[2*i+2]
		}
		secs[i].text, secs[i].body = data[starts[2*i]:end], data[starts[2*i+1]:end]
	}
	return secs, true
}

// yamlPlain reports whether data holds only what YAML allows in a
// stream (valid UTF-8, no control characters) and neither tabs nor
// carriage returns: yaml.v3 checks the whole file, comments included,
// and the lines between sections and documents are not parsed.
func yamlPlain(data []byte) bool {
	ascii := true
	for _, c := range data {
		if c < 0x20 && c != '\n' || c == 0x7f {
			return false
		}
		ascii = ascii && c < 0x80
	}
	if ascii {
		return true
	}
	for _, r := range string(data) {
		if r == utf8.RuneError || r >= 0x80 && r <= 0x9f && r != 0x85 || r >= 0xd800 && r <= 0xdfff || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}

// yamlTopKey reads a top-level key's line: a plain key of letters,
// digits, '_' and '-' (starting with a letter or '_'), a colon, and then
// nothing, a comment, or a value (inline); ok is false for other lines.
func yamlTopKey(line []byte) (key string, inline, ok bool) {
	i := 0
	for i < len(line) && (line[i] == '_' || line[i] >= 'a' && line[i] <= 'z' || line[i] >= 'A' && line[i] <= 'Z' ||
		i > 0 && (line[i] == '-' || line[i] >= '0' && line[i] <= '9')) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' || i+1 < len(line) && line[i+1] != ' ' {
		return "", false, false
	}
	rest := bytes.TrimLeft(line[i+1:], " ")
	return string(line[:i]), len(rest) > 0 && rest[0] != '#', true
}

// yamlEntries cuts the body of a section whose value is a block mapping
// into its entries, each a line at the mapping's indentation that starts
// a key and the lines under it; ok is false for any other layout.
func yamlEntries(body []byte) (entries [][]byte, ok bool) {
	indent, start := -1, -1
	for off := 0; off < len(body); {
		end := lineEnd(body, off)
		line := bytes.TrimSuffix(body[off:end], []byte("\n"))
		content := bytes.TrimLeft(line, " ")
		n := len(line) - len(content)
		switch {
		case len(content) == 0 || content[0] == '#':
		case indent < 0 && n == 0, n < indent:
			return nil, false
		case indent < 0 || n == indent:
			if !yamlKeyStart(content[0]) {
				return nil, false
			}
			indent = n
			if start >= 0 {
				entries = append(entries, body[start:off])
			}
			start = off
		}
		off = end
	}
	if start >= 0 {
		entries = append(entries, body[start:])
	}
	return entries, true
}

// yamlKeyStart reports whether a line starting with c can be a key of a
// block mapping (a plain or quoted scalar), rather than a sequence item,
// a flow collection, a complex key, a node property or a block scalar.
func yamlKeyStart(c byte) bool {
	return !strings.ContainsRune("-?:,[]{}#&*!|>%@`", rune(c))
}

// yamlBatchBytes is how much of a lockfile is parsed at once when it is
// read in parts: enough entries that yaml.v3's set-up per parse does not
// count (parsing 100,000 one-line entries each alone took 2.4 s), few
// enough that their nodes cost about a megabyte.
const yamlBatchBytes = 64 << 10

// yamlBatches joins consecutive parts (adjacent slices of one document,
// as yamlSections and yamlEntries return them) into runs of about
// yamlBatchBytes.
func yamlBatches(parts [][]byte) [][]byte {
	var out [][]byte
	for i := 0; i < len(parts); {
		first, n := parts[i], len(parts[i])
		for i++; i < len(parts) && n < yamlBatchBytes; i++ {
			n += len(parts[i])
		}
		out = append(out, first[:n])
	}
	return out
}

// yamlEachPair parses parts (adjacent entries of one mapping) in batches
// and calls each with every entry in order; ok is false when a batch does
// not parse as a mapping, or each returns false.
func yamlEachPair(what string, parts [][]byte, each func(yamlPair) bool) (ok bool) {
	for _, batch := range yamlBatches(parts) {
		root, err := parseYAML(what, batch)
		if err != nil {
			return false
		}
		pairs, err := yamlMap(root)
		if err != nil || len(pairs) == 0 {
			return false
		}
		for _, p := range pairs {
			if !each(p) {
				return false
			}
		}
	}
	return true
}

// lineEnd returns the offset just past the line starting at off.
func lineEnd(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(data)
}
