package syncplan

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// verdict is the decision on a key both sides hold.
type verdict struct {
	send   bool
	reason string // why it is sent, or the rule that found it unchanged
	rec    Record // the state record of an unchanged key
	record bool   // rec is to be written
	// known is, for an unchanged key whose rec has no checksum, the whole-object checksum
	// the comparison saw on the object (haul's own, from a HEAD) without reading the file:
	// what the receipt records, never the state (which trusts only a checksum of what was
	// read).
	known object.Checksum
}

// The rules that find a key unchanged, as the plan and the summary name them.
const (
	ByState    = "state"                // the state file's record matches both sides
	ByMtime    = "mtime"                // haul-mtime (or, downloading, LastModified) equals the local mtime
	BySum      = "same checksum"        // the local file's checksum equals the object's
	ByAssumed  = "assumed-same"         // an object from another tool, not older than the file
	BySize     = "same size"            // Options.SizeOnly
	ByExisting = "exists"               // Options.IgnoreExisting
	ByNewer    = "newer at destination" // Options.Update
)

// sameVerdict is the verdict that key is unchanged by reason, with the state record of
// both sides as they are (and sum, the content's checksum, when known).
func sameVerdict(key string, local, obj *Entry, reason string, sum object.Checksum) verdict {
	return verdict{reason: reason, record: true, rec: Record{Key: key, Size: local.Size, Mtime: local.ModTime.UnixNano(),
		Change: local.Change, Inode: local.Inode, Seen: local.Seen, ETag: obj.ETag, LastModified: obj.ModTime.UnixNano(), Sum: sum}}
}

// trustsRecord reports whether the state's record may decide: deciding by content, only
// a record with the content's checksum may.
func (s *Sync) trustsRecord(rec Record, hasRec bool) bool {
	return hasRec && (!s.o.Checksum || rec.Sum.Algorithm != "")
}

// decideQuick applies the rules that need neither a request nor a read of the file: the
// options, the sizes, a state record that matches both sides, and, downloading, a file
// time equal to the object's. ok is false when the key needs the others (decide): most
// keys of a second run are decided here, on the merge's goroutine.
func (s *Sync) decideQuick(key string, local, obj *Entry, rec Record, hasRec bool) (v verdict, ok bool) {
	up := s.o.Dir == Up
	switch {
	case s.o.IgnoreExisting:
		return verdict{reason: ByExisting}, true
	case s.o.Update && (up && obj.ModTime.After(local.ModTime) || !up && local.ModTime.After(obj.ModTime)):
		return verdict{reason: ByNewer}, true
	case local.Size != obj.Size:
		from, to := obj.Size, local.Size
		if !up {
			from, to = to, from
		}
		return verdict{send: true, reason: "size " + bytesize.Format(from) + " -> " + bytesize.Format(to)}, true
	case s.o.SizeOnly:
		return verdict{reason: BySize}, true
	}
	// Rule 2: the state.
	if s.trustsRecord(rec, hasRec) {
		switch match(rec, local, obj) {
		case matchFull:
			return sameVerdict(key, local, obj, ByState, rec.Sum), true
		case matchButIdentity:
			return verdict{}, false // rewritten with size and mtime put back: read it again
		}
	}
	// Rule 3, downloading: a file haul wrote from an object without haul-mtime has its
	// LastModified, which HEAD gives to the second only. A state record of another ETag
	// says the object was replaced since (within the same second, it can keep the time).
	if !up && !s.o.Checksum && local.ModTime.Unix() == obj.ModTime.Unix() && (!hasRec || rec.ETag == obj.ETag) {
		return sameVerdict(key, local, obj, ByMtime, object.Checksum{}), true
	}
	return verdict{}, false
}

// decide applies SYNC.md's rules, in order, to a key that local and obj (the object) both
// hold; the first that decides wins. Past decideQuick's, it may ask for the object's
// metadata (one HEAD) and read the local file (to compare checksums).
func (s *Sync) decide(ctx context.Context, key string, local, obj *Entry, rec Record, hasRec bool) (verdict, error) {
	if v, ok := s.decideQuick(key, local, obj, rec, hasRec); ok {
		return v, nil
	}
	up := s.o.Dir == Up
	base := sameVerdict(key, local, obj, "", object.Checksum{}).rec
	same := func(reason string, sum object.Checksum) verdict { // base, as setTime may have changed it
		r := base
		r.Sum = sum
		return verdict{reason: reason, rec: r, record: true}
	}
	if s.trustsRecord(rec, hasRec) && match(rec, local, obj) == matchButIdentity {
		sum, err := s.hashFile(ctx, local.Path, rec.Sum.Algorithm)
		switch {
		case err != nil:
			return verdict{}, err
		case sum == rec.Sum:
			return same(BySum, sum), nil
		}
		return verdict{send: true, reason: "content changed (size and mtime kept)"}, nil
	}
	info, err := s.head(ctx, key)
	if err != nil {
		return verdict{}, err
	}
	mtime, hasMtime := transfer.StoredMtime(info.Metadata)
	stored, haulSum := transfer.StoredChecksum(info.Metadata)
	if hasMtime && !s.o.Checksum && mtime.UnixNano() == local.ModTime.UnixNano() {
		v := same(ByMtime, object.Checksum{}) // (the object's checksum is not the file's: nothing read it)
		v.known = stored
		return v, nil
	}
	// Rules 4 and 5: a checksum both sides can be compared by.
	want, etag := comparable(info)
	if !haulSum && !hasMtime && up && !s.o.Checksum && !obj.ModTime.Before(local.ModTime) {
		return verdict{reason: ByAssumed}, nil // another tool's object, not older than the file
	}
	if want.Algorithm == "" && etag == "" {
		if s.o.Checksum {
			return verdict{send: true, reason: "unverifiable: the object has no checksum to compare"}, nil
		}
		return verdict{send: true, reason: "changed: " + timeChange(local.ModTime, obj.ModTime, up)}, nil
	}
	alg := want.Algorithm
	if alg == "" {
		alg = object.ChecksumMD5
	}
	got, err := s.hashFile(ctx, local.Path, alg)
	if err != nil {
		return verdict{}, err
	}
	equal := got == want
	if etag != "" {
		equal = strings.EqualFold(base64ToHex(got.Value), etag)
	}
	if !equal {
		return verdict{send: true, reason: fmt.Sprintf("%s differs", alg)}, nil
	}
	if !up { // the file keeps its bytes and takes the object's time
		t := obj.ModTime
		if hasMtime {
			t = mtime
		}
		if err := s.setTime(local, t, &base); err != nil {
			return verdict{}, err
		}
	}
	return same(BySum, got), nil
}

type matchKind int

const (
	matchNone        matchKind = iota
	matchFull                  // every field matches: unchanged
	matchButIdentity           // size and mtime match, ctime or inode does not
)

// match compares a state record with both sides as they are now.
func match(rec Record, local, obj *Entry) matchKind {
	remote := rec.Size == obj.Size && rec.ETag == obj.ETag && (rec.LastModified == 0 || rec.LastModified == obj.ModTime.UnixNano())
	if !remote || rec.Size != local.Size || rec.Mtime != local.ModTime.UnixNano() || rec.racy() {
		return matchNone
	}
	if rec.Change == local.Change && rec.Inode == local.Inode {
		return matchFull
	}
	if rec.Sum.Algorithm != "" {
		return matchButIdentity
	}
	return matchNone
}

// comparable returns a checksum of the whole object that a local file's can be compared
// with: haul's own (haul-checksum), the server's whole-object checksum, or an ETag that is
// an MD5 (single-part, not SSE-KMS: it is then 32 hex digits).
func comparable(info object.Info) (object.Checksum, string) {
	if c, ok := transfer.StoredChecksum(info.Metadata); ok {
		return c, ""
	}
	if info.Checksum.Algorithm != "" {
		return info.Checksum, ""
	}
	if transfer.IsMD5ETag(info.ETag) {
		return object.Checksum{}, info.ETag
	}
	return object.Checksum{}, ""
}

func base64ToHex(v string) string {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(b)
}

func timeChange(local, obj time.Time, up bool) string {
	if up {
		return "file modified " + local.UTC().Format(time.RFC3339Nano) + ", object " + obj.UTC().Format(time.RFC3339Nano)
	}
	return "object modified " + obj.UTC().Format(time.RFC3339Nano) + ", file " + local.UTC().Format(time.RFC3339Nano)
}

// head asks for the destination's object's metadata, under the engine's retry policy.
func (s *Sync) head(ctx context.Context, key string) (object.Info, error) {
	return s.headOn(ctx, s.st, s.ref(key))
}

// hashFile returns the checksum of the file at path with alg.
func (s *Sync) hashFile(ctx context.Context, path, alg string) (object.Checksum, error) {
	h, err := object.NewHash(alg)
	if err != nil {
		return object.Checksum{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return object.Checksum{}, &transfer.SourceError{Path: path, Err: err}
	}
	defer f.Close()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return object.Checksum{}, &transfer.SourceError{Path: path, Err: err}
	}
	s.mu.Lock()
	s.counts.Hashed++
	s.counts.HashedBytes += n
	s.mu.Unlock()
	return object.Checksum{Algorithm: alg, Value: base64.StdEncoding.EncodeToString(h.Sum(nil))}, nil
}

// ctxReader stops a long read when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// setTime gives an unchanged downloaded file the object's time (not in a dry run), and
// updates rec and local to the file as it then is (what Options.Unchanged, and so the
// receipt, tells of it).
func (s *Sync) setTime(local *Entry, t time.Time, rec *Record) error {
	if s.o.DryRun || t.IsZero() || t.Equal(local.ModTime) {
		return nil
	}
	if err := os.Chtimes(local.Path, t, t); err != nil {
		return err
	}
	f, err := localfs.Stat(local.Path, local.Key)
	if err != nil {
		return err
	}
	rec.Mtime, rec.Change, rec.Inode, rec.Seen = f.ModTime.UnixNano(), f.Change, f.Inode, time.Now().UnixNano()
	local.ModTime, local.Change, local.Inode = f.ModTime, f.Change, f.Inode
	return nil
}
