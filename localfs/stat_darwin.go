package localfs

import (
	"os"
	"syscall"
)

// identity returns the inode-change time (Unix ns) and inode number of a file as os.Stat
// saw it; zeros when the platform's stat does not give them.
func identity(info os.FileInfo) (change int64, inode uint64) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return st.Ctimespec.Nano(), st.Ino
}
