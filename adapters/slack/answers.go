package slack

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/elevate-pim/elevate/bot"
)

// maxAnswerBytes bounds what the answer cache holds (keys and bodies);
// past it the cache starts again empty.
const maxAnswerBytes = 4 << 20

// answerCache keeps the encoded acknowledgement bodies of recent answers,
// keyed by everything their rendering reads. Help, menus and refusals
// repeat word for word, and rendering and encoding a few kilobytes of
// Block Kit JSON is most of what answering them costs. A body is a pure
// function of its key, so an answer can only ever be served for a
// message that renders to exactly it.
type answerCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	bytes int
}

// keyBuffers hold answer keys while they are looked up: a hit then
// allocates nothing.
var keyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// body returns m's acknowledgement body, from the cache or encoded now.
// The caller must not change it.
func (c *answerCache) body(m bot.Message) ([]byte, error) {
	kb := keyBuffers.Get().(*[]byte)
	defer keyBuffers.Put(kb)
	*kb = appendAnswerKey((*kb)[:0], m)
	c.mu.Lock()
	b, ok := c.m[string(*kb)]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Slack reads < > & the same either way; its escapes (&lt;) stay short
	if err := enc.Encode(ackBody(m)); err != nil {
		return nil, err
	}
	b = buf.Bytes()
	key := string(*kb)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(key)+len(b) > maxAnswerBytes {
		c.m, c.bytes = map[string][]byte{}, 0
	}
	c.m[key] = b
	c.bytes += len(key) + len(b)
	return b, nil
}

// appendAnswerKey appends to dst every field of m that ackBody reads
// (blocks, fallback and the response type; a Form or File is never
// answered in an acknowledgement), each length-prefixed so that no two
// messages share a key.
func appendAnswerKey(dst []byte, m bot.Message) []byte {
	str := func(s string) {
		dst = strconv.AppendInt(dst, int64(len(s)), 10)
		dst = append(dst, ':')
		dst = append(dst, s...)
	}
	count := func(n int) {
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, ';')
	}
	dst = strconv.AppendBool(dst, m.Ephemeral)
	dst = append(dst, ';')
	str(string(m.Tone))
	str(m.Title)
	str(m.Text)
	count(len(m.Fields))
	for _, f := range m.Fields {
		str(f.Label)
		str(f.Value)
	}
	count(len(m.Buttons))
	for _, x := range m.Buttons {
		str(x.Label)
		str(x.Command)
		str(string(x.Style))
	}
	return dst
}
