// Package templates is havip's default catalog: Rancher 1.x-style template
// folders (keepalived, ipfailover, haproxy), each with config.yml, an icon,
// a README and version folders holding docker-compose.yml,
// rancher-compose.yml (questions in its .catalog block), README.md,
// keepalived.conf.tmpl and a sample answers.txt. They are compiled into the
// binary with go:embed.
package templates

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/havip/havip/catalog"
)

// files holds the template folders.
//
//go:embed keepalived ipfailover haproxy
var files embed.FS

// FS is the catalog's file tree: one folder per template at its root.
var FS fs.FS = files

// Catalog loads the embedded catalog.
func Catalog() (*catalog.Catalog, error) {
	c, err := catalog.Load(FS)
	if err != nil {
		return nil, fmt.Errorf("embedded catalog: %w", err)
	}
	return c, nil
}
