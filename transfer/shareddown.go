package transfer

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
)

// This file is a download shared among runs: the runs of a sharded job (cp -r --shard I/N
// --shard-parts-over SIZE, S3 to a directory that every run sees: NFS, a Kubernetes
// ReadWriteMany volume) each fetch a range of the parts of every object larger than SIZE
// into one temporary file next to the target, and the last to finish checks the whole and
// renames it into place. The runs do not talk to each other; they agree through files:
//
//   - The temporary file is ".<name>.haul-split-<16 hex>" in the target's directory, the hex
//     from the bucket, key and ETag: every run of a job derives the same name for one
//     version of the object, and another version gets another file. It is the object's
//     size plus a trailer of splitTrailerLen bytes holding a random split ID, written by
//     the run that created the file (O_EXCL) before any other uses it. A run that finds
//     the file opens it (never truncating) and reads the ID.
//   - Each run fetches the parts of its shard of the object's Layout (NewLayout of its
//     size and Options.PartSize, as shared uploads lay files out) with ranged GETs pinned to
//     the ETag, writes each at its offset, computes the CRC of what it received (of the
//     algorithm of the object's whole checksum: haul-checksum, else the server's
//     full-object CRC), syncs the file, and records its share in a marker
//     "<temporary file>.shard-I-of-N" (written under another name and renamed, so never
//     torn): JSON with the ETag, size, part size, its parts [first, end), the split ID and
//     the CRC of its range. A marker with another split ID is of an earlier temporary file
//     of that name and does not count.
//   - A run whose marker is there with the file's split ID and its own layout has written
//     its range already (an earlier run of the shard): it fetches nothing again.
//   - After recording, a run that finds the N markers there, all with the file's ID and
//     layout, finishes: it combines the N range CRCs in order into the CRC of the whole
//     object and compares it with the object's checksum (with none, it reads the file back
//     to check what a plain download checks: the MD5 ETag, or the parts against the server's
//     part checksums or the multipart ETag); if they agree it cuts the trailer off, sets the
//     file's time as downloads do, renames the file onto the target and removes the
//     markers. If not, it removes the markers and the file and fails with a
//     *SplitVerifyError: the job must be run again. Two runs that finish at once both
//     check; the second's rename finds the file gone, and it counts the object done when
//     the target holds it (its size and time).
//   - A run that finds the target holding the version already (its size and time) fetches
//     nothing (and removes markers that a run which died after its rename left, when the
//     temporary file is gone).
//   - A run that finds the temporary file without a split ID for splitWait fails, unless
//     the file has the object's size and every marker agrees: a run checked it and cut
//     the trailer off (the only way a file comes to that size) but died before renaming
//     it, and this run renames it.
//
// What an abandoned job leaves, in each target's directory: the temporary file
// ".<name>.haul-split-<hex>" (the object's size plus 32 bytes) and its markers
// ".<name>.haul-split-<hex>.shard-I-of-N" (and, of a run killed while it wrote one,
// ".<name>.haul-split-<hex>.shard-I-of-N.tmp-<digits>"). Running the same job again, with
// the same N and part size, uses and then removes them; a job given up, or one whose
// object has changed since (its temporary file has the old ETag's name), leaves them for
// the user: `find DIR -name '.*.haul-split-*' -delete` once no run of the job is at work.

// splitTrailerLen is the length of the trailer of a shared download's temporary file, past
// the object's bytes: splitTrailerTag and the split ID in hex.
const splitTrailerLen = 32

// splitTrailerTag begins the trailer; the rest (16 bytes) is the split ID in hex.
const splitTrailerTag = "\nhaul-split-id: "

// splitWait is how long a run waits for the run that created a shared download's temporary
// file to write its split ID.
var splitWait = 30 * time.Second

// splitMarker is a run's record of its share of a shared download: what it wrote and the
// CRC of it.
type splitMarker struct {
	ETag      string `json:"etag"`
	Size      int64  `json:"size"`
	PartSize  int64  `json:"part_size"`
	First     int32  `json:"first"`
	End       int32  `json:"end"`
	SplitID   string `json:"split_id"`
	Algorithm string `json:"algorithm,omitempty"` // of CRC; empty: none computed
	CRC       uint64 `json:"crc"`                 // of the bytes of parts [First, End)
}

// SplitVerifyError is a download shared among runs whose whole does not match the
// object's checksum: a range was corrupted on its way, and which is not known. The
// temporary file and the markers were removed; the job must be run again (every shard).
type SplitVerifyError struct {
	VerifyError
}

func (e *SplitVerifyError) Error() string {
	if e.Part > 0 {
		return fmt.Sprintf("GetObject %s: part %d of the object in the file the shards wrote does not match the server's %s of that part: corrupted in transit; the file was not written and its partial download was removed: run every shard of the job again",
			e.Ref, e.Part, e.Algorithm)
	}
	return fmt.Sprintf("GetObject %s: the %s of the bytes the shards received is %s, the object's is %s: corrupted in transit; the file was not written and its partial download was removed: run every shard of the job again",
		e.Ref, e.Algorithm, e.Got, e.Want)
}

// Retryable reports false: only a run of every shard fetches the parts again.
func (e *SplitVerifyError) Retryable() bool { return false }

// splitTempName returns the name of the temporary file that the runs sharing the download
// of version etag of src to target write into. The target's name is cut (at a character)
// so that the markers' names stay within 255 bytes.
func splitTempName(target string, src object.Ref, etag string) string {
	dir, base := filepath.Split(target)
	const maxBase = 255 - 72 // ".", ".haul-split-" and 16 hex, a marker's suffix and its temporary name's
	for len(base) > maxBase {
		_, n := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-n]
	}
	sum := sha256.Sum256([]byte(src.Bucket + "/" + src.Key + "\x00" + strings.Trim(etag, `"`)))
	return filepath.Join(dir, "."+base+".haul-split-"+hex.EncodeToString(sum[:8]))
}

// markerName returns the name of the marker of shard index of count.
func markerName(temp string, index, count int) string {
	return fmt.Sprintf("%s.shard-%d-of-%d", temp, index, count)
}

// downloadShare carries out the task's share of a download split among runs (a Download
// item with a Share) and returns the bytes of its shard's parts.
func (t *task) downloadShare(ctx context.Context, sh Share) (int64, error) {
	src, path := t.it.Object, t.it.Path
	info, err := t.head(ctx, src)
	if err != nil {
		return max(t.it.Size, 0), err
	}
	t.it.ETag = info.ETag
	lay, err := NewLayout(info.Size, t.e.opts.PartSize)
	if err != nil {
		return info.Size, fmt.Errorf("download %s: %w", src, err)
	}
	first, end := lay.Shard(sh.Index, sh.Count)
	out := &ShareOutcome{Layout: lay, First: first, End: end}
	t.share = out
	mtime := info.LastModified
	if m, ok := StoredMtime(info.Metadata); ok {
		mtime = m
	}
	holds := func() bool { return holdsVersion(path, info.Size, mtime) }
	temp := splitTempName(path, src, info.ETag)
	if holds() {
		if _, err := os.Lstat(temp); errors.Is(err, os.ErrNotExist) {
			removeMarkers(temp, sh.Count) // left by a run that died after its rename
		}
		t.notice("the file holds the object already (its size and time): nothing fetched")
		out.Completed = sh.Owner // the owner's receipt line states it
		return lay.bytes(first, end), nil
	}
	if err := t.makeDir(filepath.Dir(path)); err != nil {
		return lay.bytes(first, end), err
	}
	sd := &splitDown{t: t, src: src, info: info, lay: lay, sh: sh, path: path, mtime: mtime,
		temp: temp, alg: t.splitAlgorithm(info)}
	if sd.alg == "" && t.e.opts.VerifyRequired && !IsMD5ETag(info.ETag) && multipartCount(info.ETag) == 0 {
		return lay.bytes(first, end), &UnverifiedError{Ref: src, Reason: "the object has no checksum haul can check and its ETag is not an MD5"}
	}
	f, id, err := sd.open(ctx, holds)
	var stuck *splitStuckError
	if errors.As(err, &stuck) {
		if out.Completed, err = sd.recover(ctx); err == nil {
			t.notice(fmt.Sprintf("the shared download's file %s was checked and left by a run that died before renaming it: renamed into place", filepath.Base(temp)))
			return lay.bytes(first, end), nil
		}
	}
	if err != nil || f == nil {
		if err == nil {
			t.notice("the other shards finished the object meanwhile: nothing fetched")
		}
		return lay.bytes(first, end), err
	}
	defer f.Close()
	sd.id = id
	if err := sd.fetchShare(ctx, f, out); err != nil {
		return lay.bytes(first, end), err
	}
	if out.Completed, err = sd.finishIfLast(ctx, f); err == nil {
		t.notice(splitNote(out, sd.temp))
	}
	return lay.bytes(first, end), err
}

// splitAlgorithm returns the CRC algorithm of the object's whole checksum that the runs
// check their ranges against: haul's (haul-checksum), else the server's full-object CRC;
// "" when it has neither or verification is off.
func (t *task) splitAlgorithm(info object.Info) string {
	if t.e.opts.SkipVerify {
		return ""
	}
	if c, ok := StoredChecksum(info.Metadata); ok {
		return c.Algorithm
	}
	if crcSpecs[info.Checksum.Algorithm] != nil {
		return info.Checksum.Algorithm
	}
	return ""
}

// wholeChecksum returns the object's whole checksum that splitAlgorithm took the algorithm
// of: haul's, else the server's.
func wholeChecksum(info object.Info) object.Checksum {
	if c, ok := StoredChecksum(info.Metadata); ok {
		return c
	}
	return info.Checksum
}

// holdsVersion reports whether the file at path has size bytes and the time mtime, as a
// download of the version with them leaves it.
func holdsVersion(path string, size int64, mtime time.Time) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == size && (mtime.IsZero() || fi.ModTime().Equal(mtime))
}

// splitDown is one run's share of a shared download.
type splitDown struct {
	t     *task
	src   object.Ref
	info  object.Info
	lay   Layout
	sh    Share
	path  string // the target
	mtime time.Time
	temp  string // the shared temporary file
	alg   string // the CRC computed of each range; "" for none
	id    string // the temporary file's split ID
}

// open opens the shared temporary file, creating it with its trailer when there is none,
// and returns it with its split ID. It returns no file (and no error) when the target
// holds the version meanwhile (holds).
func (sd *splitDown) open(ctx context.Context, holds func() bool) (*os.File, string, error) {
	var (
		f   *os.File
		id  string
		err error
	)
	ok := pollUntil(ctx, splitWait, func() bool {
		if holds() {
			return true
		}
		if f, err = os.OpenFile(sd.temp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
			id, err = sd.create(f)
			return true
		}
		if !errors.Is(err, os.ErrExist) {
			return true
		}
		if f, err = os.OpenFile(sd.temp, os.O_RDWR, 0); errors.Is(err, os.ErrNotExist) {
			f, err = nil, nil // removed meanwhile: look again
			return false
		} else if err != nil {
			return true
		}
		if id = readSplitID(f, sd.info.Size); id != "" {
			return true
		}
		f.Close() // its creator has not written the ID yet, or the target is being renamed
		f = nil
		return false
	})
	switch {
	case err != nil:
		if f != nil {
			f.Close()
		}
		return nil, "", err
	case f != nil || ok:
		return f, id, nil
	case ctx.Err() != nil:
		return nil, "", ctx.Err()
	}
	return nil, "", &splitStuckError{src: sd.src, temp: sd.temp}
}

// splitStuckError is a shared download's temporary file that has had no split ID for
// splitWait: the run that created it died before writing it, or the run that checked it
// and cut the trailer off died before renaming it (recover).
type splitStuckError struct {
	src  object.Ref
	temp string
}

func (e *splitStuckError) Error() string {
	return fmt.Sprintf("download %s: the temporary file %s has had no split ID for %s: the run that created it died before writing one; remove it (and its markers, %s.shard-*) and run the job again",
		e.src, e.temp, splitWait, filepath.Base(e.temp))
}

// recover finishes a temporary file that a run checked and cut the trailer off (it has
// the object's size), but died before renaming: every marker is there and agrees, with
// one split ID. A file is cut to the object's size only once checked against them (see
// finishIfLast). It returns a *splitStuckError when the file is not such a file.
func (sd *splitDown) recover(ctx context.Context) (bool, error) {
	stuck := &splitStuckError{src: sd.src, temp: sd.temp}
	fi, err := os.Stat(sd.temp)
	if err != nil || fi.Size() != sd.info.Size {
		return false, stuck
	}
	m, err := readMarker(markerName(sd.temp, 0, sd.sh.Count))
	if err != nil {
		return false, stuck
	}
	sd.id = m.SplitID
	for i := range sd.sh.Count {
		if m, err := readMarker(markerName(sd.temp, i, sd.sh.Count)); err != nil || !sd.agrees(m, i) {
			return false, stuck
		}
	}
	return sd.rename(ctx)
}

// removeMarkers removes the markers of the shards of count of the temporary file temp.
func removeMarkers(temp string, count int) {
	for i := range count {
		os.Remove(markerName(temp, i, count))
	}
}

// create gives the temporary file f, just created, its size and a new split ID.
func (sd *splitDown) create(f *os.File) (string, error) {
	b := make([]byte, (splitTrailerLen-len(splitTrailerTag))/2)
	_, _ = rand.Read(b) // crypto/rand's Read never fails
	id := hex.EncodeToString(b)
	err := f.Truncate(sd.info.Size + splitTrailerLen)
	if err == nil {
		_, err = f.WriteAt([]byte(splitTrailerTag+id), sd.info.Size)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return id, nil
}

// readSplitID returns the split ID in the trailer of a shared download's temporary file
// of an object of size bytes, or "" when it has none (yet, or no longer).
func readSplitID(f *os.File, size int64) string {
	b := make([]byte, splitTrailerLen)
	if n, _ := f.ReadAt(b, size); n != len(b) {
		return ""
	}
	id, ok := strings.CutPrefix(string(b), splitTrailerTag)
	if _, err := hex.DecodeString(id); !ok || err != nil {
		return ""
	}
	return id
}

// fetchShare fetches the parts of the run's shard into f, unless its marker shows an
// earlier run of the shard did, and records them in its marker.
func (sd *splitDown) fetchShare(ctx context.Context, f *os.File, out *ShareOutcome) error {
	t, lay := sd.t, sd.lay
	name := markerName(sd.temp, sd.sh.Index, sd.sh.Count)
	if m, err := readMarker(name); err == nil && sd.agrees(m, sd.sh.Index) {
		out.Held = int(out.End - out.First)
		t.progress(lay.bytes(out.First, out.End))
		return nil
	}
	n := int(out.End - out.First)
	pieces := make([]pieceCRC, n)
	g, gctx := errgroup.WithContext(ctx)
	for i := range n {
		if gctx.Err() != nil || t.e.acquirePart(gctx) != nil {
			break
		}
		num := out.First + int32(i)
		g.Go(func() error {
			defer t.e.releasePart()
			off, length := lay.Part(num)
			return t.call(gctx, true, func(ctx context.Context) error {
				body, err := t.e.store.GetObject(ctx, sd.src, off, length, sd.info.ETag)
				if err != nil {
					return err
				}
				defer body.Close()
				h := sd.newHash()
				if err := t.receive(ctx, sd.src, body, f, off, length, h); err != nil {
					return err
				}
				pieces[i] = pieceCRC{value: crcValue(h), length: length}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	m := splitMarker{ETag: sd.info.ETag, Size: lay.Size, PartSize: lay.PartSize, First: out.First, End: out.End, SplitID: sd.id, Algorithm: sd.alg}
	if sd.alg != "" && n > 0 {
		m.CRC = combineValues(sd.alg, pieces)
	}
	out.Sent = n
	return writeMarker(name, m)
}

// newHash returns the hash of a range's bytes: the CRC of alg, or a CRC-32 that nothing
// reads when the object has no whole CRC.
func (sd *splitDown) newHash() hash.Hash {
	if h, err := object.NewHash(sd.alg); sd.alg != "" && err == nil {
		return h
	}
	return crc32.NewIEEE()
}

// combineValues returns the CRC value (of algorithm alg) of the pieces one after the other.
func combineValues(alg string, pieces []pieceCRC) uint64 {
	s := crcSpecs[alg]
	v := pieces[0].value
	for _, p := range pieces[1:] {
		v = s.combine(v, p.value, p.length)
	}
	return v
}

// agrees reports whether the marker m of shard index is of this run's temporary file (its
// split ID), version and layout.
func (sd *splitDown) agrees(m splitMarker, index int) bool {
	first, end := sd.lay.Shard(index, sd.sh.Count)
	return m.SplitID == sd.id && sameETag(m.ETag, sd.info.ETag) && m.Size == sd.lay.Size && m.PartSize == sd.lay.PartSize &&
		m.First == first && m.End == end && m.Algorithm == sd.alg
}

func readMarker(name string) (splitMarker, error) {
	var m splitMarker
	b, err := os.ReadFile(name)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	return m, err
}

// writeMarker writes the marker m to name, under another name first and then renamed, so
// that a reader finds the whole marker or none.
func writeMarker(name string, m splitMarker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// finishIfLast finishes the shared download when every shard's marker is there and agrees
// (see the top of this file), and reports whether this run renamed the file into place.
func (sd *splitDown) finishIfLast(ctx context.Context, f *os.File) (bool, error) {
	markers := make([]splitMarker, sd.sh.Count)
	for i := range markers {
		m, err := readMarker(markerName(sd.temp, i, sd.sh.Count))
		if err == nil && m.SplitID == sd.id && !sd.agrees(m, i) {
			first, end := sd.lay.Shard(i, sd.sh.Count)
			return false, fmt.Errorf("download %s: shard %d/%d wrote parts %d-%d of %d bytes (checksum %q) into %s, where this shard's layout makes its parts %d-%d of %d bytes (checksum %q): the shards were given different part sizes or verification settings; run them all again alike",
				sd.src, i, sd.sh.Count, m.First, m.End-1, m.PartSize, m.Algorithm, filepath.Base(sd.temp), first, end-1, sd.lay.PartSize, sd.alg)
		}
		if err != nil || !sd.agrees(m, i) {
			return false, nil // a shard is not done with this file yet: the last to be finishes
		}
		markers[i] = m
	}
	if err := sd.check(ctx, f, markers); err != nil {
		var ve *VerifyError
		var ue *UnverifiedError
		if errors.As(err, &ve) || errors.As(err, &ue) {
			sd.removeAll(f)
			if errors.As(err, &ve) {
				return false, &SplitVerifyError{VerifyError: *ve}
			}
		}
		return false, err
	}
	// The trailer off: from now on the file is the checked object. By name, not through f:
	// truncating sets the file's time, and f may be the target already (another run that
	// finished at the same time renamed it), whose time would then be lost.
	err := os.Truncate(sd.temp, sd.info.Size)
	if errors.Is(err, os.ErrNotExist) {
		return false, sd.finishedMeanwhile(ctx)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return false, err
	}
	return sd.rename(ctx)
}

// rename renames the checked temporary file (the trailer cut off) onto the target, sets its
// time, then removes the markers. It reports whether it renamed the file; a file gone
// meanwhile was renamed by another run (finishedMeanwhile). The time is set after the
// rename: another run finishing at the same time may truncate the file by its temporary
// name until then, which sets its time.
func (sd *splitDown) rename(ctx context.Context) (bool, error) {
	if err := os.Rename(sd.temp, sd.path); errors.Is(err, os.ErrNotExist) {
		return false, sd.finishedMeanwhile(ctx)
	} else if err != nil {
		return false, err
	}
	if !sd.mtime.IsZero() {
		if err := os.Chtimes(sd.path, sd.mtime, sd.mtime); err != nil {
			return true, err
		}
	}
	removeMarkers(sd.temp, sd.sh.Count)
	return true, nil
}

// finishedMeanwhile is a finishing run's answer when the temporary file is gone: another
// run finished at the same time, if the target holds the version, which it does once
// that run has set its time, a moment after its rename (looked for with backoff for up to
// completeSettle).
func (sd *splitDown) finishedMeanwhile(ctx context.Context) error {
	if pollUntil(ctx, completeSettle, func() bool { return holdsVersion(sd.path, sd.info.Size, sd.mtime) }) {
		return nil
	}
	return fmt.Errorf("download %s: the temporary file %s vanished while this shard finished it, and %s does not hold the object: run the job again", sd.src, sd.temp, sd.path)
}

// removeAll removes the markers and then the temporary file of a download that failed its
// check.
func (sd *splitDown) removeAll(f *os.File) {
	removeMarkers(sd.temp, sd.sh.Count)
	f.Close()
	os.Remove(sd.temp)
}

// check checks the whole temporary file f, its shards' markers there: the markers' range
// CRCs combined against the object's CRC, or, when it has none, the file read back against
// what a plain download checks (checkReadBack). It records what verified the item.
func (sd *splitDown) check(ctx context.Context, f *os.File, markers []splitMarker) error {
	t := sd.t
	if t.e.opts.SkipVerify {
		return nil
	}
	if sd.alg == "" {
		// Read through a descriptor opened now, not f, opened before the other shards
		// wrote: NFS shows a client what others wrote (and synced) at its next open.
		rf, err := os.Open(sd.temp)
		if err != nil {
			return err
		}
		defer rf.Close()
		if !os.SameFile(statOf(rf), statOf(f)) {
			return fmt.Errorf("download %s: the temporary file %s was replaced while this shard checked it: run the job again", sd.src, sd.temp)
		}
		return sd.checkReadBack(ctx, rf)
	}
	var pieces []pieceCRC
	for _, m := range markers {
		if m.First < m.End {
			pieces = append(pieces, pieceCRC{value: m.CRC, length: sd.lay.bytes(m.First, m.End)})
		}
	}
	want := wholeChecksum(sd.info)
	return t.check(sd.src, want, crcChecksum(sd.alg, combineValues(sd.alg, pieces)).Value)
}

// statOf returns what Stat says of f, or nil.
func statOf(f *os.File) os.FileInfo {
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	return fi
}

// checkReadBack checks the file f of an object without a whole CRC by reading it back:
// its parts against the server's checksums of them or the multipart ETag, or the whole
// against an MD5 ETag, as a plain download would; an object none of these covers is
// unverified (Verified "none"), which fails when verification is required.
func (sd *splitDown) checkReadBack(ctx context.Context, f *os.File) error {
	t, src, info := sd.t, sd.src, sd.info
	if IsMD5ETag(info.ETag) {
		h := md5.New() //nolint:gosec // S3's ETag of a single-part object is its MD5
		if err := readSection(f, 0, info.Size, h); err != nil {
			return err
		}
		return t.check(src, object.Checksum{Algorithm: object.ChecksumMD5, Value: info.ETag}, hex.EncodeToString(h.Sum(nil)))
	}
	if t.needsParts(info) {
		lay, _, err := t.learnParts(ctx, src, info)
		if err != nil {
			return err
		}
		if lay != nil {
			n := lay.count()
			sums := &partSums{md5s: make([][]byte, n), seen: make([]map[[16]byte]int, n)}
			for i := range n {
				ok, err := t.checkWrittenPart(ctx, src, f, lay, i, sums)
				if err != nil {
					return err
				}
				if !ok {
					return &VerifyError{Ref: src, Part: int32(i + 1), Algorithm: strings.ToLower(lay.algorithm)}
				}
			}
			if lay.byNumber {
				t.verified = strings.ToLower(lay.algorithm) + "-parts"
				return nil
			}
			return t.check(src, object.Checksum{Algorithm: "md5-parts", Value: info.ETag}, sums.etag())
		}
	}
	return t.unverifiedDownload(src)
}

// splitNote says what a run did with its share of a shared download.
func splitNote(o *ShareOutcome, temp string) string {
	s := fmt.Sprintf("shared download into %s: parts %d-%d of %d: %d fetched, %d fetched by an earlier run; ", filepath.Base(temp), o.First, o.End-1, o.Layout.Parts, o.Sent, o.Held)
	if o.First == o.End {
		s = fmt.Sprintf("shared download into %s: none of the %d parts is this shard's; ", filepath.Base(temp), o.Layout.Parts)
	}
	if o.Completed {
		return s + "every shard's range was there: checked and renamed into place"
	}
	return s + "the last shard to finish checks it and renames it into place"
}
