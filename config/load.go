package config

import (
	"os"
	"sort"
)

// Load reads the config at path and the files it includes.
func Load(path string, opts Options) (*Config, Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		rep := &reporter{}
		rep.errorf(Pos{File: path}, "cannot read config: %v", err)
		return &Config{Global: defaultGlobal()}, rep.diags
	}
	return ParseBytes(path, src, opts)
}

// ParseBytes parses src as the file name; includes are resolved relative
// to filepath.Dir(name). It never panics and always returns a non-nil
// Config holding whatever was valid.
func ParseBytes(name string, src []byte, opts Options) (*Config, Diagnostics) {
	rep := &reporter{}
	lx := newLexer(rep, opts)
	lx.lexFile(name, src)
	nodes := buildTree(lx.out, rep)
	p := &parser{rep: rep, cfg: &Config{Global: defaultGlobal()}, defined: map[string]int{}, users: map[string]int{}}
	// global_defs first: instances inherit from it wherever it appears.
	var rest []*node
	for _, n := range nodes {
		if n.keyword() == "global_defs" {
			p.parseGlobal(n)
		} else {
			rest = append(rest, n)
		}
	}
	p.parseTop(rest)
	p.resolve(opts)
	p.cfg.inputs = lx.inputs
	sortDiagnostics(rep.diags, lx.fileOrder)
	return p.cfg, rep.diags
}

// sortDiagnostics orders diagnostics by file (in the order files were
// read) and line, keeping the order of messages on one line.
func sortDiagnostics(ds Diagnostics, fileOrder map[string]int) {
	sort.SliceStable(ds, func(i, j int) bool {
		fi, fj := fileOrder[ds[i].Pos.File], fileOrder[ds[j].Pos.File]
		if fi != fj {
			return fi < fj
		}
		return ds[i].Pos.Line < ds[j].Pos.Line
	})
}
