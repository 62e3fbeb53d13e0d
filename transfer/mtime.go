package transfer

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haul-s3/haul/object"
)

// MtimeMetadata is the user-metadata key (x-amz-meta-haul-mtime) under which haul records
// an uploaded file's modification time, in Unix nanoseconds (decimal). A download sets the
// file's time from it (else from the object's LastModified), so a file that goes up and
// comes back keeps its time to the nanosecond, and haul sync can tell an unchanged file
// without reading it.
const MtimeMetadata = "haul-mtime"

// withMetadata returns o with key set to value in its metadata (o is not changed); a key
// given by the caller in another case is replaced.
func withMetadata(o *object.Options, key, value string) *object.Options {
	c := *o
	c.Metadata = make(map[string]string, len(o.Metadata)+1)
	for k, v := range o.Metadata {
		if !strings.EqualFold(k, key) {
			c.Metadata[k] = v
		}
	}
	c.Metadata[key] = value
	return &c
}

// withMtimeMetadata records a file's modification time in the upload's metadata.
func withMtimeMetadata(o *object.Options, mtime time.Time) *object.Options {
	return withMetadata(o, MtimeMetadata, strconv.FormatInt(mtime.UnixNano(), 10))
}

// StoredMtime returns the modification time recorded in an object's metadata, if any.
func StoredMtime(meta map[string]string) (time.Time, bool) {
	for k, v := range meta {
		if strings.EqualFold(k, MtimeMetadata) {
			ns, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ns <= 0 {
				return time.Time{}, false
			}
			return time.Unix(0, ns), true
		}
	}
	return time.Time{}, false
}

// seenMetadata keeps the user metadata the first GET of a download brought (ranged GETs run
// at once), for the file's time once it is written.
type seenMetadata struct {
	once sync.Once
	meta map[string]string
}

func (s *seenMetadata) see(meta map[string]string) {
	if meta != nil {
		s.once.Do(func() { s.meta = meta })
	}
}
