package memory

import (
	"context"
	"sort"

	"github.com/elevate-pim/elevate/core"
)

// PutCopy records a copy of request's approval message, replacing the one with the same key.
func (s *Store) PutCopy(ctx context.Context, request string, c core.MessageCopy) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := core.ValidateCopy(request, c); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.copies[request] == nil {
		s.copies[request] = make(map[string]core.MessageCopy)
	}
	s.copies[request][c.Key()] = c
	return nil
}

// Copies returns the copies of request's approval message, sorted by key.
func (s *Store) Copies(ctx context.Context, request string) ([]core.MessageCopy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.MessageCopy, 0, len(s.copies[request]))
	for _, c := range s.copies[request] {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

// DropCopies forgets the copies of request's approval message.
func (s *Store) DropCopies(ctx context.Context, request string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.copies, request)
	return nil
}
