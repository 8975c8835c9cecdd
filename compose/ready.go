package compose

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Ready prints the project as a ready-to-run compose file in the modern spec (no `version:`).
// The bytes are deterministic: keys are sorted. Every `$` in a value is written as `$$`, so
// that `docker compose` reading the file does not interpolate again what Load already did
// (a `$${X}` in the template stays the literal `${X}` in the container).
func Ready(p *types.Project) ([]byte, error) {
	out, err := p.MarshalYAML()
	if err != nil {
		return nil, fmt.Errorf("printing project %s: %w", p.Name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("re-reading printed project %s: %w", p.Name, err)
	}
	escapeDollars(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("printing project %s: %w", p.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("printing project %s: %w", p.Name, err)
	}
	return buf.Bytes(), nil
}

// escapeDollars doubles `$` in every scalar value (not in mapping keys).
func escapeDollars(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Value = strings.ReplaceAll(n.Value, "$", "$$")
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeDollars(n.Content[i])
		}
	default:
		for _, c := range n.Content {
			escapeDollars(c)
		}
	}
}
