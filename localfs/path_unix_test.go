//go:build unix

package localfs

// goodHere are keys SafeJoin takes on Unix but refuses on Windows (see path_windows_test.go).
var goodHere = []string{"a:b", "c:", "NUL", "con/x", "a/COM1", "b/lpt9 "}

// badHere is empty: on Unix only the checks common to every platform refuse a key.
var badHere []string
