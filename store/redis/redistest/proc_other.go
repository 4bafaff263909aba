//go:build !linux

package redistest

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's; Main and the test cleanups stop the server instead.
func dieWithParent(*exec.Cmd) {}
