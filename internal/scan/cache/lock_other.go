//go:build !unix

package cache

import "os"

// tryLock does not lock on this platform: every Trim walks the directory.
func tryLock(*os.File) bool { return false }
