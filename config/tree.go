package config

import "strings"

// node is one statement: a keyword line, its tokens and its optional
// block.
type node struct {
	pos      Pos
	raw      string   // the line text after expansion (for script keywords)
	toks     []string // plain tokens; toks[0] is the keyword
	children []*node
	hasBlock bool
	// braced statements shared their line with a brace of their block;
	// starts locates each token in raw, to split them (splitBraced).
	braced bool
	starts []int
}

func (n *node) keyword() string { return n.toks[0] }
func (n *node) args() []string  { return n.toks[1:] }

// buildTree groups logical lines into statements with blocks. A '{' on the
// line after a statement opens that statement's block.
func buildTree(lines []line, rep *reporter) []*node {
	root := &node{}
	stack := []*node{root}
	var last *node // last statement at the current level
	for _, l := range lines {
		top := stack[len(stack)-1]
		switch l.text {
		case "{":
			if last == nil || last.hasBlock {
				rep.errorf(l.pos, "'{' without a keyword before it")
				// Parse the block anyway so that '}' matches.
				last = &node{pos: l.pos, toks: []string{"{"}}
				top.children = append(top.children, last)
			}
			last.hasBlock = true
			stack = append(stack, last)
			last = nil
		case "}":
			if len(stack) == 1 {
				rep.errorf(l.pos, "extra '}' found")
				continue
			}
			last = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		default:
			toks, starts, err := plainTokens(l.text)
			if err != nil {
				rep.errorf(l.pos, "%v", err)
			}
			if len(toks) == 0 {
				continue
			}
			last = &node{pos: l.pos, raw: l.text, toks: toks, braced: l.braced}
			if l.braced {
				last.starts = starts
			}
			top.children = append(top.children, last)
		}
	}
	for i := len(stack) - 1; i > 0; i-- {
		rep.errorf(stack[i].pos, "missing '}' for %s block started here", stack[i].keyword())
	}
	return root.children
}

// splitBraced splits each statement that shared its line with a brace of
// its block, as in "vrrp_instance X { interface eth0 priority 100 }", into
// one statement per keyword of the section (an unquoted token that is a
// key of table); the last one keeps the statement's own block.
// keepalived 2.2.7 would read "interface eth0 priority 100" as one
// statement.
func splitBraced[V any](nodes []*node, table map[string]V) []*node {
	var out []*node // nil while no statement is split: nodes is returned
	for j, n := range nodes {
		cuts := []int{0}
		for i := 1; n.braced && i < len(n.toks); i++ {
			if _, ok := table[n.toks[i]]; ok && n.raw[n.starts[i]] != '"' {
				cuts = append(cuts, i)
			}
		}
		if len(cuts) == 1 {
			if out != nil {
				out = append(out, n)
			}
			continue
		}
		if out == nil {
			out = append(make([]*node, 0, len(nodes)+len(cuts)), nodes[:j]...)
		}
		cuts = append(cuts, len(n.toks))
		for k := 0; k+1 < len(cuts); k++ {
			from, to := cuts[k], cuts[k+1]
			end := len(n.raw)
			if to < len(n.toks) {
				end = n.starts[to]
			}
			seg := &node{pos: n.pos, raw: strings.TrimSpace(n.raw[n.starts[from]:end]), toks: n.toks[from:to:to]}
			if to == len(n.toks) {
				seg.children, seg.hasBlock = n.children, n.hasBlock
			}
			out = append(out, seg)
		}
	}
	if out == nil {
		return nodes
	}
	return out
}
