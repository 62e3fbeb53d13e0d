package journal

import "os"

// inode returns 0: the FileInfo of os.Stat on Windows carries no file index, so a Windows
// fingerprint is size and modification time only (see Fingerprint).
func inode(os.FileInfo) uint64 { return 0 }
