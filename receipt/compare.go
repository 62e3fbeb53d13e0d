package receipt

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"time"

	"github.com/haul-s3/haul/object"
)

// Found is what a check found of a line's object (a HEAD) or local file (a stat).
type Found struct {
	Exists bool
	Size   int64
	ETag   string    // an object's, without quotes
	Mtime  time.Time // a local file's
	// Checksums are the whole-object checksums an object carries (haul's, recorded at
	// upload; the server's): each is compared with the line's of the same algorithm.
	Checksums []object.Checksum
	// Read is, when the bytes were read back, what they sum to with the line's Content
	// hash (Content.Sum); "" when they were not read.
	Read string
	// Corrupt is, when the bytes read back did not match the object's own checksum, what
	// the check said.
	Corrupt string
}

// Local reports whether the line is checked against a local file (a download, or a sync's
// download found unchanged, or a local file a sync deleted) rather than an object.
func (l Line) Local() bool { return l.Path != "" }

// Content is what the bytes of a line's object or file must sum to.
type Content struct {
	Algorithm string // an object.Checksum* algorithm
	Want      string // base64, or, for an MD5 ETag, hex
	etag      bool
}

// ETag reports whether Want is the line's ETag taken for an MD5 (the line records no
// checksum): a match proves the bytes, a mismatch proves nothing unless the ETag is known
// to be the MD5 (under SSE-KMS or SSE-C it is not).
func (c Content) ETag() bool { return c.etag }

// New returns a hash of the content's algorithm.
func (c Content) New() hash.Hash {
	h, _ := object.NewHash(c.Algorithm)
	return h
}

// Sum is h's sum written as Want is.
func (c Content) Sum(h hash.Hash) string {
	if c.etag {
		return hex.EncodeToString(h.Sum(nil))
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

var md5ETag = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// Content returns what the line's bytes must sum to: its checksum, else the MD5 ETag of a
// single-part object; ok is false when the line gives neither (a multipart ETag).
func (l Line) Content() (c Content, ok bool) {
	if _, err := object.NewHash(l.ChecksumAlgorithm); err == nil && l.Checksum != "" {
		return Content{Algorithm: l.ChecksumAlgorithm, Want: l.Checksum}, true
	}
	if md5ETag.MatchString(l.ETag) {
		return Content{Algorithm: object.ChecksumMD5, Want: strings.ToLower(l.ETag), etag: true}, true
	}
	return Content{}, false
}

// The kinds of Difference.
const (
	Missing    = "missing"     // the object or file is not there
	Changed    = "changed"     // it is there, but not as the line states
	NotDeleted = "not deleted" // a deleted object or file is there again
	NotCovered = "not covered" // a file or object no line accounts for (Verify's Against)
)

// Difference is how what a check found differs from a line.
type Difference struct {
	Kind   string // Missing, Changed, NotDeleted, NotCovered
	Detail string // with Changed, what differs: "size 10 != receipt 12"
}

// Compare returns how f differs from what the line states, or nil when it agrees. A
// deletion must find nothing; anything else must find its object or file with the line's
// size and, where f has them, its ETag, checksums, mtime (a local file's, when the line
// has one) and content (f.Read).
func (l Line) Compare(f Found) *Difference {
	changed := func(format string, a ...any) *Difference {
		return &Difference{Kind: Changed, Detail: fmt.Sprintf(format, a...)}
	}
	switch {
	case l.Op == Delete && f.Exists:
		return &Difference{Kind: NotDeleted}
	case l.Op == Delete:
		return nil
	case !f.Exists:
		return &Difference{Kind: Missing}
	case f.Size != l.Size:
		return changed("size %d != receipt %d", f.Size, l.Size)
	case !l.Local() && l.ETag != "" && f.ETag != "" && !strings.EqualFold(f.ETag, l.ETag):
		return changed("etag %s != receipt %s", f.ETag, l.ETag)
	}
	for _, c := range f.Checksums {
		if c.Algorithm == l.ChecksumAlgorithm && l.Checksum != "" && c.Value != l.Checksum {
			return changed("checksum %s %s != receipt %s", c.Algorithm, c.Value, l.Checksum)
		}
	}
	if l.Local() && !l.Mtime.IsZero() && !f.Mtime.Equal(l.Mtime) {
		return changed("mtime %s != receipt %s", f.Mtime.UTC().Format(time.RFC3339Nano), l.Mtime.UTC().Format(time.RFC3339Nano))
	}
	if f.Corrupt != "" {
		return changed("%s", f.Corrupt)
	}
	if c, ok := l.Content(); ok && f.Read != "" && f.Read != c.Want {
		return changed("content %s %s != receipt %s", c.Algorithm, f.Read, c.Want)
	}
	return nil
}
