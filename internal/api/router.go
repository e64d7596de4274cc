package api

import (
	"net/http"
	"strings"
)

// route is one operation of the API. Its path template is written as in
// the OpenAPI document: literal segments and {parameters}; the parameter
// {name} (a repository name) may span several segments, since repository
// names contain slashes.
type route struct {
	method   string
	template string
	segs     []string
	h        handlerFunc
}

// handlerFunc serves one operation; params holds the template's
// parameters, unescaped.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// multiSegment is the parameter that may span segments.
const multiSegment = "{name}"

func newRoute(method, template string, h handlerFunc) route {
	return route{method: method, template: template, segs: strings.Split(strings.TrimPrefix(template, "/"), "/"), h: h}
}

// match reports whether path (split into unescaped segments) matches the
// route's template, and fills params.
func (rt *route) match(segs []string, params map[string]string) bool {
	return matchSegs(rt.segs, segs, params)
}

func matchSegs(tpl, segs []string, params map[string]string) bool {
	if len(tpl) == 0 {
		return len(segs) == 0
	}
	t := tpl[0]
	if t == multiSegment {
		// Greedy from the longest candidate: a repository name of k
		// segments followed by the rest of the template.
		for k := len(segs) - (len(tpl) - 1); k >= 1; k-- {
			if matchSegs(tpl[1:], segs[k:], params) {
				params["name"] = strings.Join(segs[:k], "/")
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		if segs[0] == "" {
			return false
		}
		if !matchSegs(tpl[1:], segs[1:], params) {
			return false
		}
		params[t[1:len(t)-1]] = segs[0]
		return true
	}
	return t == segs[0] && matchSegs(tpl[1:], segs[1:], params)
}

// literals counts the literal segments of a template: among routes that
// match one path, the most literal one wins (".../manifests/{digest}/report"
// over a repository named ".../report").
func (rt *route) literals() int {
	n := 0
	for _, s := range rt.segs {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}
