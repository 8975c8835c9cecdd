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
}

func (n *node) keyword() string { return n.toks[0] }
func (n *node) args() []string  { return n.toks[1:] }

// rawArgs returns the line text after the keyword.
func (n *node) rawArgs() string {
	s := strings.TrimSpace(n.raw)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return strings.TrimSpace(s[i:])
	}
	return ""
}

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
			toks, err := splitPlain(l.text)
			if err != nil {
				rep.errorf(l.pos, "%v", err)
			}
			if len(toks) == 0 {
				continue
			}
			last = &node{pos: l.pos, raw: l.text, toks: toks}
			top.children = append(top.children, last)
		}
	}
	for i := len(stack) - 1; i > 0; i-- {
		rep.errorf(stack[i].pos, "missing '}' for %s block started here", stack[i].keyword())
	}
	return root.children
}
