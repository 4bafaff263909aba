package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// maxVisits bounds the nodes one decode visits, so that aliases that refer
// to aliases (a "billion laughs" file) cannot make loading explode.
const maxVisits = 1 << 20

// loader carries one Parse: the positions of every key it decoded (path →
// line) and the problems found so far. decode.go fills it from the YAML
// tree; validate.go reads it to place semantic problems.
type loader struct {
	now     time.Time // when an assignment without a start begins, for checking its length
	file    string
	baseDir string // directory that relative X_file paths are resolved against
	lines   map[string]int
	probs   Problems
	broken  map[string]bool // paths whose value had the wrong YAML type

	visits    int
	exhausted bool
	expanding map[*yaml.Node]bool // alias targets being expanded, to stop cycles
}

func newLoader(file string) *loader {
	return &loader{
		file:      file,
		baseDir:   filepath.Dir(file),
		lines:     map[string]int{"": 1},
		broken:    map[string]bool{},
		expanding: map[*yaml.Node]bool{},
	}
}

// problemAt records a problem at an explicit line.
func (l *loader) problemAt(line int, field, format string, args ...any) {
	l.probs = append(l.probs, Problem{File: l.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// problem records a problem at the line of path, or of its nearest decoded
// ancestor when path itself is absent (a missing required key is reported
// where its parent is).
//
// A value of the wrong YAML type was reported already and decoded as
// empty, so problems about its missing parts are left out as noise.
func (l *loader) problem(path, format string, args ...any) {
	at := l.nearest(path)
	if l.broken[at] {
		return
	}
	l.problemAt(l.lines[at], path, format, args...)
}

// nearest returns path or its nearest ancestor that was decoded.
func (l *loader) nearest(path string) string {
	for {
		if _, ok := l.lines[path]; ok || path == "" {
			return path
		}
		path = parentPath(path)
	}
}

// parentPath strips the last segment: "a.b[2]" → "a.b", "a.b" → "a".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// joinPath appends a key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// syntaxLine finds the position in a yaml.v3 error message.
var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (?s)(.*)$`)

// unknownAnchor is yaml.v3's message for an alias to an undefined anchor,
// which carries no line.
var unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// parseYAML reads exactly one YAML document into a node tree. A syntax
// error becomes one problem at its line and ok false. An empty file is a
// nil root.
func (l *loader) parseYAML(data []byte) (root *yaml.Node, ok bool) {
	// yaml.v3 is third-party code fed untrusted input: a panic inside it
	// is bad input like any other, not a reason to crash the service.
	defer func() {
		if r := recover(); r != nil {
			l.problemAt(1, "", "YAML parser failed: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		l.syntaxProblem(data, err)
		return nil, false
	}
	// Further documents are refused, except empty ones: a stray trailing
	// "---" holds nothing that could be lost.
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l.syntaxProblem(data, err)
			return nil, false
		}
		if len(extra.Content) != 1 || !isNull(extra.Content[0]) {
			l.problemAt(max(extra.Line, 1), "", "the file holds more than one YAML document: keep everything in one")
			return nil, false
		}
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, true
		}
		return doc.Content[0], true
	}
	return &doc, true
}

// syntaxProblem reports a yaml.v3 error at the right line. yaml.v3 counts
// lines from 1 for scanner errors but from 0 for parser errors (those
// are the "did not find expected ..." family and the directive checks),
// and gives no line at all for a few errors whose place we can find.
func (l *loader) syntaxProblem(data []byte, err error) {
	msg := err.Error()
	line := 0
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if isParserError(msg) {
			line = refineLine(data, line+1, msg)
		}
	} else {
		if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
			line = lineOf(data, bytes.Index(data, []byte("*"+m[1])))
		} else if strings.Contains(msg, "UTF-8") {
			line = lineOf(data, firstInvalidUTF8(data))
		} else if strings.Contains(msg, "control characters") {
			line = lineOf(data, bytes.IndexFunc(data, isControl))
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	l.problemAt(max(line, 1), "", "YAML syntax error: %s", msg)
}

// refineLine finds where a parser error really is. yaml.v3 reports the
// start of the enclosing block or flow collection, which for a
// mis-indented key can be far above it. The first prefix of the file,
// from that line on, that fails with the same message ends at the line
// where the parser gave up. The search is bounded; without a match the
// collection's line stands.
func refineLine(data []byte, from int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	end := bytes.Join(lines[:min(from-1, len(lines))], nil)
	for k := from; k <= len(lines) && k < from+200; k++ {
		end = append(end, lines[k-1]...)
		var n yaml.Node
		err := yaml.Unmarshal(end, &n)
		if err == nil {
			continue
		}
		if m := syntaxLine.FindStringSubmatch(err.Error()); m != nil && m[2] == msg {
			return k
		}
	}
	return from
}

// isParserError tells yaml.v3's parser errors from its scanner errors by message.
func isParserError(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// lineOf is the 1-based line of byte offset i, or 0 when i < 0.
func lineOf(data []byte, i int) int {
	if i < 0 || i > len(data) {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// isControl matches the characters YAML forbids in a file.
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
}

var secretType = reflect.TypeOf(Secret{})

// decode fills v from n, walking the Go type by its yaml tags. Every
// mismatch is recorded as a problem and decoding goes on with the next
// key, so that one run reports everything.
func (l *loader) decode(n *yaml.Node, v reflect.Value, path string) {
	if n == nil || !l.visit(n, path) {
		return
	}
	if n.Kind == yaml.AliasNode {
		l.alias(n, path, func(target *yaml.Node) { l.decode(target, v, path) })
		return
	}
	if isNull(n) {
		if parent, _, ok := cutLast(path); ok && nullRefused[parent] != "" {
			l.problemAt(n.Line, path, "%s", nullRefused[parent])
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		l.decode(n, v.Elem(), path)
	case reflect.Struct:
		l.decodeStruct(n, v, path)
	case reflect.Map:
		l.decodeMap(n, v, path)
	case reflect.Slice:
		l.decodeSlice(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			l.mismatch(n, path, "text")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			l.mismatch(n, path, "true or false")
			return
		}
		v.SetBool(strings.EqualFold(n.Value, "true"))
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			l.mismatch(n, path, "a whole number")
			return
		}
		v.SetInt(int64(i))
	default:
		// Only reachable if format.go gains a field type decode does not know.
		l.problemAt(n.Line, path, "internal: cannot decode into %s", v.Type())
	}
}

// visit counts a node against maxVisits and reports once when the budget is gone.
func (l *loader) visit(n *yaml.Node, path string) bool {
	if l.exhausted {
		return false
	}
	l.visits++
	if l.visits > maxVisits {
		l.exhausted = true
		l.problemAt(n.Line, path, "the file is too large or expands too many aliases")
		return false
	}
	return true
}

// alias runs f on the alias's target unless the target is already being
// expanded (an anchor that contains an alias to itself).
func (l *loader) alias(n *yaml.Node, path string, f func(*yaml.Node)) {
	t := n.Alias
	if t == nil {
		return
	}
	if l.expanding[t] {
		l.problemAt(n.Line, path, "alias *%s refers to itself", n.Value)
		return
	}
	l.expanding[t] = true
	f(t)
	delete(l.expanding, t)
}

// nullRefused names the mappings whose entries may not be left empty (~ or
// null), and what to say instead: an empty principal is almost always a
// line whose settings were lost, and `{}` says "none" on purpose.
var nullRefused = map[string]string{
	"principals": "a principal needs a mapping: write {} for one with no settings",
}

// cutLast splits a path at its last dot: "principals.p001" → "principals", "p001".
func cutLast(path string) (parent, key string, ok bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

// fieldOf is how a problem names path: the document itself has no path.
func fieldOf(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// mismatch reports a value of the wrong YAML type. Scalars are quoted
// (shortened) so the reader sees what was written.
func (l *loader) mismatch(n *yaml.Node, path, want string) {
	l.broken[path] = true
	l.problemAt(l.lineOr(path, n), fieldOf(path), "want %s, got %s", want, describe(n))
}

// lineOr is the recorded line of path (the key's line), else the node's.
func (l *loader) lineOr(path string, n *yaml.Node) int {
	if line, ok := l.lines[path]; ok {
		return line
	}
	return n.Line
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return strconv.Quote(v)
}

// pair is one key: value entry of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries with merge keys (<<: *anchor) expanded:
// the mapping's own keys win over merged ones, earlier merges over later.
// A key given twice in one mapping is a problem.
func (l *loader) pairs(n *yaml.Node, path string) []pair {
	seen := map[string]*yaml.Node{}
	var out, merges []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, pair{k, v})
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) || k.Value == "" {
			l.problemAt(k.Line, fieldOf(path), "keys must be plain, non-empty text")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.problemAt(k.Line, joinPath(path, k.Value), "duplicate key: first given at line %d", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, m := range merges {
		for _, p := range l.merged(m.value, path) {
			if _, ok := seen[p.key.Value]; !ok {
				seen[p.key.Value] = p.key
				out = append(out, p)
			}
		}
	}
	return out
}

// merged returns the entries a merge key's value contributes: one mapping
// or a list of them, usually given as aliases.
func (l *loader) merged(n *yaml.Node, path string) []pair {
	if !l.visit(n, path) {
		return nil
	}
	var out []pair
	switch n.Kind {
	case yaml.AliasNode:
		l.alias(n, path, func(t *yaml.Node) { out = l.merged(t, path) })
	case yaml.MappingNode:
		out = l.pairs(n, path)
	case yaml.SequenceNode:
		seen := map[string]bool{}
		for _, item := range n.Content {
			for _, p := range l.merged(item, path) {
				if !seen[p.key.Value] {
					seen[p.key.Value] = true
					out = append(out, p)
				}
			}
		}
	default:
		l.problemAt(n.Line, path, "<< must merge a mapping or a list of mappings, got %s", describe(n))
	}
	return out
}

// field is how a YAML key reaches a struct field.
type field struct {
	index  int
	secret bool // the field is a Secret
	file   bool // the key is the Secret's KEY_file form
}

// fieldsOf maps each accepted key of a struct type to its field. A Secret
// field named KEY accepts KEY and KEY_file.
func fieldsOf(t reflect.Type) map[string]field {
	fields := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		if f.Type == secretType {
			fields[name] = field{index: i, secret: true}
			fields[name+"_file"] = field{index: i, secret: true, file: true}
			continue
		}
		fields[name] = field{index: i}
	}
	return fields
}

func (l *loader) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		l.mismatch(n, path, "a mapping")
		return
	}
	fields := fieldsOf(v.Type())
	secretKeys := map[int]*yaml.Node{} // Secret field index → the last key that set it
	for _, p := range l.pairs(n, path) {
		key := p.key.Value
		sub := joinPath(path, key)
		f, ok := fields[key]
		if !ok {
			l.problemAt(p.key.Line, sub, "unknown key%s", suggest(key, fields))
			continue
		}
		l.lines[sub] = p.key.Line
		if f.secret {
			secretKeys[f.index] = p.key
			l.decodeSecret(p.value, v.Field(f.index), sub, f.file)
			continue
		}
		l.decode(p.value, v.Field(f.index), sub)
	}
	for idx, last := range secretKeys {
		if s := v.Field(idx).Interface().(Secret); s.Env != "" && s.File != "" {
			name, _, _ := strings.Cut(v.Type().Field(idx).Tag.Get("yaml"), ",")
			l.problemAt(last.Line, joinPath(path, name),
				"secrets must be ${ENV} references or %s_file paths: give one, not both", name)
		}
	}
}

// decodeSecret fills the Env or File half of a Secret. The value is never
// echoed in a problem: a plain literal here may be a real credential.
func (l *loader) decodeSecret(n *yaml.Node, v reflect.Value, path string, file bool) {
	if !l.visit(n, path) {
		return
	}
	if n.Kind == yaml.AliasNode {
		l.alias(n, path, func(t *yaml.Node) { l.decodeSecret(t, v, path, file) })
		return
	}
	if isNull(n) {
		return
	}
	name := strings.TrimSuffix(path[strings.LastIndexByte(path, '.')+1:], "_file")
	if n.Kind != yaml.ScalarNode {
		l.problemAt(l.lineOr(path, n), path, "want a ${ENV} reference or a %s_file path, got %s", name, describe(n))
		return
	}
	s := v.Addr().Interface().(*Secret)
	if file {
		p := n.Value
		if p == "" {
			l.problemAt(l.lineOr(path, n), path, "want the path of a file holding the secret")
			return
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(l.baseDir, p)
		}
		s.File = p
		return
	}
	env, ok := parseEnvRef(n.Value)
	if !ok {
		l.problemAt(l.lineOr(path, n), path,
			"secrets must be ${ENV} references or %s_file paths, not plain text", name)
		return
	}
	s.Env = env
}

func (l *loader) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		l.mismatch(n, path, "a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, p := range l.pairs(n, path) {
		key := p.key.Value
		sub := joinPath(path, key)
		l.lines[sub] = p.key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		l.decode(p.value, elem, sub)
		v.SetMapIndex(reflect.ValueOf(key), elem)
	}
}

func (l *loader) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		l.mismatch(n, path, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		l.lines[sub] = item.Line
		l.decode(item, s.Index(i), sub)
	}
	v.Set(s)
}

// suggest names the closest known key, or lists them all.
func suggest(key string, fields map[string]field) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	best, bestDist := "", 3
	for _, name := range names {
		if d := editDistance(key, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	return " (known keys: " + strings.Join(names, ", ") + ")"
}

// editDistance is the Levenshtein distance between a and b, bounded in
// cost by only ever being called with short keys.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
