package webhook

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// openAPIFragment holds the OpenAPI 3 path items of [Patterns] and the
// components they refer to (all named Webhook*).
//
//go:embed openapi.json
var openAPIFragment []byte

// OpenAPI returns the webhook API's part of /api/v1/openapi.json: paths
// maps each path to its OpenAPI 3 path item, and components maps each
// component section ("schemas", "parameters", "responses") to its named
// entries. The caller merges both into its document; every $ref points
// into #/components. Each call returns fresh maps.
func OpenAPI() (paths, components map[string]any, err error) {
	var doc struct {
		Paths      map[string]any `json:"paths"`
		Components map[string]any `json:"components"`
	}
	if err := json.Unmarshal(openAPIFragment, &doc); err != nil {
		return nil, nil, fmt.Errorf("webhook: openapi fragment: %w", err)
	}
	return doc.Paths, doc.Components, nil
}
