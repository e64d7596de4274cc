//go:build !linux

package source

// pseudoFS: kernel file systems are recognised on Linux only.
func pseudoFS(int) bool { return false }
