package localfs

// goodHere is empty: Windows takes no key that Unix refuses.
var goodHere []string

// badHere are keys SafeJoin refuses on Windows only: a colon names a drive ("c:") or an
// alternate data stream ("a:b"); NUL, CON, COM1 and the like name devices (with an
// extension too, before Windows 11, which this list leaves out).
var badHere = []string{"a:b", "c:", "NUL", "con/x", "a/COM1", "b/lpt9 "}
