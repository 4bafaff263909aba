//go:build unix

package redistest

import "syscall"

// Pause stops the server with SIGSTOP: connections are accepted by the
// kernel and commands are written, but nothing is answered until Resume,
// as when Redis hangs. The test's cleanup resumes it.
func (s *Server) Pause() {
	s.t.Helper()
	if err := s.srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("pause redis-server: %v", err)
	}
	s.t.Cleanup(s.Resume)
}

// Resume lets a paused server go on (SIGCONT); Redis then runs what was
// written to it meanwhile. Resuming a running server does nothing.
func (s *Server) Resume() {
	s.srv.cmd.Process.Signal(syscall.SIGCONT)
}
