package config

import (
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a config file: where it is and what is
// wrong, in a form an editor or CI log can jump to.
type Problem struct {
	File  string // the file name given to Parse or Load
	Line  int    // 1-based line; 0 when the problem has no position
	Field string // dotted path such as roles.prod-db.activation.max_duration or assignments[2].end
	Msg   string // what is wrong, and where it helps, how to fix it
}

// String renders the problem as "FILE:LINE: field: msg", leaving out the
// parts that are empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a config file, sorted by line. It
// implements error so that Parse can return all of them at once.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sort orders problems by line, then field and message, so that the report
// does not depend on map iteration order.
func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Msg < b.Msg
	})
}

// dedupe drops repeats of a problem from sorted problems; an alias
// expanded twice would otherwise report the same thing twice.
func (ps Problems) dedupe() Problems {
	out := ps[:0]
	for _, p := range ps {
		if len(out) == 0 || p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return out
}
