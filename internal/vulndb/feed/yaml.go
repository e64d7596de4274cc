package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrYAML is wrapped by YAML conversion errors.
var ErrYAML = errors.New("yaml")

// YAMLToJSON converts one YAML document to JSON so that YAML feeds are
// decoded by the same code as their JSON form.
//
// Every scalar becomes a JSON string holding its literal text (so the
// version 1.10 stays "1.10" and a timestamp keeps its exact form), except
// null, which stays null, and except inside objects whose key is in typed
// (for OSV: "database_specific", "ecosystem_specific"), where numbers and
// booleans keep their JSON type. Aliases are expanded, with a budget of
// nodes proportional to the input size, so an alias bomb is an error, not
// an out-of-memory crash.
func YAMLToJSON(data []byte, typed ...string) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty document", ErrYAML)
		}
		return nil, fmt.Errorf("%w: %w", ErrYAML, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%w: more than one document", ErrYAML)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrYAML, err)
	}
	c := converter{budget: 16*len(data) + 1024, maxOut: 64*len(data) + 4096, typed: typed}
	if err := c.node(&doc, false, 0); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

type converter struct {
	buf    bytes.Buffer
	budget int // nodes left to emit
	maxOut int // output bytes allowed
	typed  []string
}

const maxYAMLDepth = 200

func (c *converter) node(n *yaml.Node, typed bool, depth int) error {
	c.budget--
	if c.budget < 0 || c.buf.Len() > c.maxOut {
		return fmt.Errorf("%w: document expands too much (alias bomb?)", ErrYAML)
	}
	if depth > maxYAMLDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrYAML, maxYAMLDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("%w: empty document", ErrYAML)
		}
		return c.node(n.Content[0], typed, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return fmt.Errorf("%w: dangling alias", ErrYAML)
		}
		return c.node(n.Alias, typed, depth+1)
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.node(e, typed, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		c.buf.WriteByte('{')
		seen := make(map[string]bool, len(n.Content)/2)
		first := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("%w: line %d: mapping key is not a scalar", ErrYAML, k.Line)
			}
			if k.Tag == "!!merge" {
				return fmt.Errorf("%w: line %d: merge keys are not supported", ErrYAML, k.Line)
			}
			if seen[k.Value] {
				return fmt.Errorf("%w: line %d: duplicate key %q", ErrYAML, k.Line, k.Value)
			}
			seen[k.Value] = true
			if !first {
				c.buf.WriteByte(',')
			}
			first = false
			writeString(&c.buf, k.Value)
			c.buf.WriteByte(':')
			t := typed
			for _, name := range c.typed {
				if k.Value == name {
					t = true
				}
			}
			if err := c.node(v, t, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		return c.scalar(n, typed)
	}
	return fmt.Errorf("%w: line %d: unsupported node kind %d", ErrYAML, n.Line, n.Kind)
}

func (c *converter) scalar(n *yaml.Node, typed bool) error {
	tag := n.ShortTag()
	if tag == "!!null" {
		c.buf.WriteString("null")
		return nil
	}
	if typed {
		switch tag {
		case "!!bool":
			if b, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
				c.buf.WriteString(strconv.FormatBool(b))
				return nil
			}
		case "!!int":
			var v int64
			if err := n.Decode(&v); err == nil {
				c.buf.WriteString(strconv.FormatInt(v, 10))
				return nil
			}
		case "!!float":
			var v float64
			if err := n.Decode(&v); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
				c.buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
				return nil
			}
		}
	}
	writeString(&c.buf, n.Value)
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}
