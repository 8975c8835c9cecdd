// Package catalog loads Rancher 1.x-style template catalogs and validates answers to their questions.
//
// A catalog is a folder (any fs.FS) holding one folder per template. Each template folder holds a
// config.yml (or template.yml), an optional icon (a file whose name starts with "catalogIcon" or
// "icon"), an optional README.md and numbered version folders 0/, 1/, … Each version folder holds
// the template's files; its rancher-compose.yml carries a `.catalog` block with the version's
// metadata and questions, and a Rancher 2 questions.yml may add more questions.
package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Catalog is a loaded set of templates.
type Catalog struct {
	Templates []*Template // sorted by folder name
}

// Template is one catalog entry: a folder with config.yml and version folders.
type Template struct {
	Folder         string // folder name inside the catalog root
	Name           string
	Description    string
	Category       string
	Maintainer     string
	License        string
	ProjectURL     string
	DefaultVersion string            // config.yml `version` (or `defaultVersion`)
	Icon           string            // icon file name inside Folder, "" when there is none
	Readme         string            // template-level README.md contents
	Labels         map[string]string // config.yml labels
	Versions       []*Version        // ascending by folder number
}

// Version is one numbered version folder of a template.
type Version struct {
	Folder                string // folder name, a number: "0", "1", …
	Version               string // `.catalog.version`, else the folder name
	Name                  string
	Description           string
	UUID                  string
	MinimumRancherVersion string
	MaximumRancherVersion string
	UpgradeFrom           string
	Readme                string // the version's README.md contents
	Questions             []Question
	// FS is the version folder: docker-compose.yml, rancher-compose.yml, README.md,
	// keepalived.conf.tmpl, answers.txt, …
	FS fs.FS
}

// Load reads a catalog whose root holds one folder per template. Files at the root and
// entries whose names start with "." are ignored; every other folder must be a template.
// All problems found are returned together.
func Load(fsys fs.FS) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading catalog root: %w", err)
	}
	c := &Catalog{}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		t, err := loadTemplate(fsys, e.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.Templates = append(c.Templates, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(c.Templates) == 0 {
		return nil, errors.New("catalog holds no templates: expected folders such as keepalived/ holding config.yml and version folders 0/, 1/, …")
	}
	sort.Slice(c.Templates, func(i, j int) bool { return c.Templates[i].Folder < c.Templates[j].Folder })
	return c, nil
}

// Names lists the template folder names in order.
func (c *Catalog) Names() []string {
	names := make([]string, len(c.Templates))
	for i, t := range c.Templates {
		names[i] = t.Folder
	}
	return names
}

// Template returns the template in folder name (the display name is accepted too).
func (c *Catalog) Template(name string) (*Template, error) {
	for _, t := range c.Templates {
		if t.Folder == name {
			return t, nil
		}
	}
	for _, t := range c.Templates {
		if t.Name == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("unknown template %q: the catalog has %s", name, strings.Join(c.Names(), ", "))
}

// Latest returns the highest-numbered version.
func (t *Template) Latest() *Version {
	return t.Versions[len(t.Versions)-1]
}

// Default returns the version named by config.yml's `version`, else the latest one.
func (t *Template) Default() *Version {
	if t.DefaultVersion != "" {
		if v, err := t.Version(t.DefaultVersion); err == nil {
			return v
		}
	}
	return t.Latest()
}

// Version returns the version whose `.catalog` version string or folder name is v.
// A leading "v" is not significant: "1.0.1" finds "v1.0.1" and the other way round.
func (t *Template) Version(v string) (*Version, error) {
	for _, ver := range t.Versions {
		if ver.Version == v || ver.Folder == v {
			return ver, nil
		}
	}
	trimmed := strings.TrimPrefix(v, "v")
	for _, ver := range t.Versions {
		if strings.TrimPrefix(ver.Version, "v") == trimmed {
			return ver, nil
		}
	}
	known := make([]string, len(t.Versions))
	for i, ver := range t.Versions {
		known[i] = ver.Version
		if ver.Version != ver.Folder {
			known[i] += " (folder " + ver.Folder + ")"
		}
	}
	return nil, fmt.Errorf("template %s has no version %q: it has %s", t.Folder, v, strings.Join(known, ", "))
}

// loadTemplate reads one template folder.
func loadTemplate(fsys fs.FS, folder string) (*Template, error) {
	t := &Template{Folder: folder}
	if err := readTemplateConfig(fsys, folder, t); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, folder)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", folder, err)
	}
	var errs []error
	type numbered struct {
		n    uint64
		name string
	}
	var versionDirs []numbered
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir():
			n, err := strconv.ParseUint(name, 10, 32)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: version folders must be numbers (0, 1, 2, …)", path.Join(folder, name)))
				continue
			}
			versionDirs = append(versionDirs, numbered{n, name})
		case t.Icon == "" && (strings.HasPrefix(name, "catalogIcon") || strings.HasPrefix(name, "icon")):
			t.Icon = name
		case name == "README.md":
			readme, err := fs.ReadFile(fsys, path.Join(folder, name))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", path.Join(folder, name), err))
			}
			t.Readme = string(readme)
		}
	}
	slices.SortFunc(versionDirs, func(a, b numbered) int {
		if a.n != b.n {
			if a.n < b.n {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	for i := 1; i < len(versionDirs); i++ {
		if versionDirs[i].n == versionDirs[i-1].n {
			errs = append(errs, fmt.Errorf("%s: version folders %s and %s are the same number", folder, versionDirs[i-1].name, versionDirs[i].name))
		}
	}
	for _, d := range versionDirs {
		v, err := loadVersion(fsys, folder, d.name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.Versions = append(t.Versions, v)
	}
	seen := map[string]string{}
	for _, v := range t.Versions {
		if other, dup := seen[v.Version]; dup {
			errs = append(errs, fmt.Errorf("%s: version folders %s and %s both declare version %q", folder, other, v.Folder, v.Version))
		}
		seen[v.Version] = v.Folder
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(t.Versions) == 0 {
		return nil, fmt.Errorf("%s: no version folders: add 0/ holding the template files", folder)
	}
	return t, nil
}
