//go:build unix

package vulndb

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the whole file read-only; release unmaps it.
func mapFile(f *os.File, size int64) (data []byte, release func() error, err error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("vulndb: %s: file too large to map", f.Name())
	}
	data, err = unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("vulndb: map %s: %w", f.Name(), err)
	}
	return data, func() error { return unix.Munmap(data) }, nil
}

// advise tells the kernel how a mapping from mapFile will be read (advice
// only: the mapping works the same without it). normal: a page fault
// reads the block device's read-ahead window around it (8 MiB on the
// bench machine, which made a cold scan read 16.5 MB of the 18 MB test
// database, and 28 MB of a 430 MB one, to look up a few hundred pages,
// competing with the layers for the disk); atRandom: it reads its page;
// inOrder: read-ahead as large as the kernel likes, for hashing the whole
// file.
func advise(data []byte, a access) {
	if len(data) == 0 {
		return
	}
	adv := unix.MADV_NORMAL
	switch a {
	case atRandom:
		adv = unix.MADV_RANDOM
	case inOrder:
		adv = unix.MADV_SEQUENTIAL
	}
	_ = unix.Madvise(data, adv)
}

// willNeed starts reading data[off:off+n] in the background; data is a
// mapping from mapFile (which starts on a page).
func willNeed(data []byte, off, n uint64) {
	if n == 0 {
		return
	}
	start := off &^ uint64(os.Getpagesize()-1)
	// Advice only, as in advise.
	_ = unix.Madvise(data[start:off+n], unix.MADV_WILLNEED)
}

// lockFile takes an exclusive advisory lock on f without blocking; it
// reports false when another process holds it.
func lockFile(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if err == unix.EWOULDBLOCK {
		return false, nil
	}
	return err == nil, err
}
