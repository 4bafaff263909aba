package core

import "errors"

// dir is the directory in force. Read it once per decision where several
// reads must agree: a reload may swap it between two calls.
func (s *Service) dir() *Directory { return s.current.Load() }

// SetDirectory swaps in a new directory (principals, groups, roles and
// their policies), as a config reload does after validating the file.
// Requests already made keep what they committed; every decision from now
// on reads the new directory.
func (s *Service) SetDirectory(d *Directory) error {
	if d == nil {
		return errors.New("core: a directory is required")
	}
	d.index() // before it is in force: no command waits for the build
	s.current.Store(d)
	return nil
}
