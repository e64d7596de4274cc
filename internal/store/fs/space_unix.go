//go:build linux || darwin

package fs

import "syscall"

// diskSpace returns the bytes available to unprivileged writers and the
// size of the filesystem holding path.
func diskSpace(path string) (free, total int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), true
}
