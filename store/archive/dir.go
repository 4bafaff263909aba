package archive

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"

	"github.com/elevate-pim/elevate/core"
)

var _ core.AuditArchive = (*Dir)(nil)

// SegmentEvents is the most events one segment file holds (a variable so
// that tests can make segments small).
var SegmentEvents = 50_000

// segmentName matches audit-FIRST-LAST.jsonl.gz (zero-padded sequence numbers).
var segmentName = regexp.MustCompile(`^audit-([0-9]{20})-([0-9]{20})\.jsonl\.gz$`)

// Dir is an audit archive of segment files in one directory. It is safe
// for concurrent use within a process; the scheduler's job lease keeps
// replicas from archiving at once.
type Dir struct {
	path string

	mu   sync.Mutex
	head core.AuditHead // newest archived event, once known
	read *cursor        // the last segment read sequentially, to continue from
}

// segment is one file: the sequence numbers it holds, first to last.
type segment struct {
	first, last int64
	name        string
}

// cursor is an open segment positioned after event next-1.
type cursor struct {
	seg  segment
	next int64
	f    *os.File
	zr   *gzip.Reader
	dec  *json.Decoder
}

// OpenDir returns the archive in directory path, creating it if needed.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("audit archive %s: %w", path, err)
	}
	return &Dir{path: path}, nil
}

// String names the archive in messages.
func (d *Dir) String() string { return "audit archive " + d.path }

// Close releases the file a sequential read keeps open.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropCursor()
	return nil
}

// segments lists the segment files, oldest first.
func (d *Dir) segments() ([]segment, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("audit archive %s: %w", d.path, err)
	}
	var out []segment
	for _, e := range entries {
		m := segmentName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		first, _ := strconv.ParseInt(m[1], 10, 64)
		last, _ := strconv.ParseInt(m[2], 10, 64)
		out = append(out, segment{first: first, last: last, name: e.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out, nil
}

// AuditHead returns the newest archived event's sequence number and hash,
// the zero head when nothing is archived.
func (d *Dir) AuditHead(ctx context.Context) (core.AuditHead, error) {
	if err := ctx.Err(); err != nil {
		return core.AuditHead{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastHead()
}

// lastHead reads the newest event of the newest segment (cached after).
func (d *Dir) lastHead() (core.AuditHead, error) {
	if d.head.Seq > 0 {
		return d.head, nil
	}
	segs, err := d.segments()
	if err != nil || len(segs) == 0 {
		return core.AuditHead{}, err
	}
	last := segs[len(segs)-1]
	var head core.AuditHead
	err = d.scan(last, func(e *core.AuditEvent) bool {
		head = core.AuditHead{Seq: e.Seq, Hash: e.Hash}
		return true
	})
	if err != nil {
		return core.AuditHead{}, err
	}
	if head.Seq != last.last {
		return core.AuditHead{}, fmt.Errorf("audit archive: %s ends at event %d, not %d as named", last.name, head.Seq, last.last)
	}
	d.head = head
	return head, nil
}

// scan decodes every event of seg in order until fn returns false.
func (d *Dir) scan(seg segment, fn func(*core.AuditEvent) bool) error {
	c, err := d.open(seg)
	if err != nil {
		return err
	}
	defer c.close()
	for {
		var e core.AuditEvent
		if err := c.dec.Decode(&e); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("audit archive %s: %w", seg.name, err)
		}
		if !fn(&e) {
			return nil
		}
	}
}

func (d *Dir) open(seg segment) (*cursor, error) {
	f, err := os.Open(filepath.Join(d.path, seg.name))
	if err != nil {
		return nil, fmt.Errorf("audit archive: %w", err)
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit archive %s: %w", seg.name, err)
	}
	return &cursor{seg: seg, next: seg.first, f: f, zr: zr, dec: json.NewDecoder(zr)}, nil
}

func (c *cursor) close() {
	c.zr.Close()
	c.f.Close()
}

func (d *Dir) dropCursor() {
	if d.read != nil {
		d.read.close()
		d.read = nil
	}
}

// AuditRange returns up to limit archived events after the sequence
// number after, in order. Reading on from where the previous call ended
// continues in the open segment instead of decoding it again.
func (d *Dir) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := core.ValidateAuditRange(after, limit); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.AuditEvent
	for pos := after; len(out) < limit; {
		want := pos + 1
		if d.read == nil || d.read.next != want {
			d.dropCursor()
			segs, err := d.segments()
			if err != nil {
				return nil, err
			}
			i := sort.Search(len(segs), func(i int) bool { return segs[i].last >= want })
			if i == len(segs) {
				return out, nil // past the archive's end
			}
			if d.read, err = d.open(segs[i]); err != nil {
				return nil, err
			}
			d.read.next = want // skip to it
		}
		c := d.read
		var e core.AuditEvent
		err := c.dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			d.dropCursor()
			if c.next <= c.seg.last && c.next >= c.seg.first {
				return nil, fmt.Errorf("audit archive %s ends before event %d: events were removed", c.seg.name, c.next)
			}
			continue // on in the next segment
		} else if err != nil {
			d.dropCursor()
			return nil, fmt.Errorf("audit archive %s: %w", c.seg.name, err)
		}
		if e.Seq < c.next {
			continue // before the cursor: skipping into the segment
		}
		c.next, pos = e.Seq+1, e.Seq
		out = append(out, e)
	}
	return out, nil
}

// Archive appends events, which must continue the archive (the first
// follows its head by sequence number and previous hash), as segment files
// of at most SegmentEvents events each, each synced before it is renamed
// into place.
func (d *Dir) Archive(ctx context.Context, events []core.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	head, err := d.lastHead()
	if err != nil {
		return err
	}
	if err := core.ContinuesArchive(head, events); err != nil {
		return err
	}
	for len(events) > 0 {
		n := min(len(events), SegmentEvents)
		if err := d.writeSegment(events[:n]); err != nil {
			return err
		}
		last := events[n-1]
		d.head = core.AuditHead{Seq: last.Seq, Hash: last.Hash}
		events = events[n:]
	}
	return nil
}

// writeSegment writes one segment file atomically.
func (d *Dir) writeSegment(events []core.AuditEvent) error {
	name := fmt.Sprintf("audit-%020d-%020d.jsonl.gz", events[0].Seq, events[len(events)-1].Seq)
	tmp, err := os.CreateTemp(d.path, ".segment-*")
	if err != nil {
		return fmt.Errorf("audit archive: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	bw := bufio.NewWriter(tmp)
	zw := gzip.NewWriter(bw)
	enc := json.NewEncoder(zw)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			tmp.Close()
			return fmt.Errorf("audit archive: %w", err)
		}
	}
	err = errors.Join(zw.Close(), bw.Flush(), tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(d.path, name))
	}
	if err == nil {
		err = syncDir(d.path)
	}
	if err != nil {
		return fmt.Errorf("audit archive: write %s: %w", name, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
