package source

import "golang.org/x/sys/unix"

// Magic numbers golang.org/x/sys/unix does not name (linux/magic.h).
const (
	configfsMagic = 0x62656570
	mqueueMagic   = 0x19800202
	fusectlMagic  = 0x65735543
)

// pseudoFS reports whether the open directory fd is on a kernel file
// system whose files describe the running system, not an image: procfs,
// sysfs, cgroup, devpts and the like. Reading them can block or never end.
func pseudoFS(fd int) bool {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return false
	}
	switch uint32(st.Type) {
	case unix.PROC_SUPER_MAGIC, unix.SYSFS_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC,
		unix.DEVPTS_SUPER_MAGIC, unix.DEBUGFS_MAGIC, unix.TRACEFS_MAGIC, unix.SECURITYFS_MAGIC,
		unix.PSTOREFS_MAGIC, unix.BPF_FS_MAGIC, configfsMagic, mqueueMagic,
		unix.HUGETLBFS_MAGIC, fusectlMagic, unix.BINFMTFS_MAGIC, unix.EFIVARFS_MAGIC:
		return true
	}
	return false
}
