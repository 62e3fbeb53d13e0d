package syncplan

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// The decision on a key two S3 locations both hold (Dir Copy). SYNC.md's rules are made
// for a file and an object; between two objects they become:
//
//  1. sizes differ: copy;
//  2. equal ETags: unchanged, no request (an ETag is the MD5 of a single-part object, or
//     the MD5 of its parts' MD5s: equal ETags of equal size are the same bytes; a copy made
//     by the server keeps a single-part source's ETag);
//  3. otherwise one HEAD of each: a checksum both sides have (haul-checksum, the server's
//     whole-object x-amz-checksum-*, or an ETag that is an MD5) decides: equal is unchanged,
//     different is a copy;
//  4. no checksum to compare: with --checksum, a copy ("unverifiable"); else equal
//     haul-mtime on both sides (two objects uploaded from files of the same time, or one
//     copied from the other) is unchanged; else a destination not older than the source
//     is "assumed-same" (aws-cli's rule for S3 to S3), and a source newer than its copy is
//     copied again.
//
// No state file is kept: both sides are listings with sizes and ETags, so a second run
// costs LIST pages, and two HEADs only for the same-size pairs whose ETags differ (a copy
// in parts, which has an ETag of its own parts). Rule 4's time test compares two servers'
// clocks when the sides are on two servers: the plan says so with "assumed-same", counted
// apart.

// ByETag is the rule that found two objects unchanged by their equal ETags.
const ByETag = "same etag"

// decideObjectsQuick applies the rules that need no request: the options, the sizes and
// the ETags. ok is false when the pair needs HEADs (decideObjects).
func (s *Sync) decideObjectsQuick(src, dst *Entry) (v verdict, ok bool) {
	switch {
	case s.o.IgnoreExisting:
		return verdict{reason: ByExisting}, true
	case s.o.Update && dst.ModTime.After(src.ModTime):
		return verdict{reason: ByNewer}, true
	case src.Size != dst.Size:
		return verdict{send: true, reason: "size " + bytesize.Format(dst.Size) + " -> " + bytesize.Format(src.Size)}, true
	case s.o.SizeOnly:
		return verdict{reason: BySize}, true
	case src.ETag != "" && strings.EqualFold(src.ETag, dst.ETag):
		return verdict{reason: ByETag}, true
	}
	return verdict{}, false
}

// decideObjects decides a pair of objects of the same size whose ETags differ: one HEAD of
// each side, then a shared checksum, then the times.
func (s *Sync) decideObjects(ctx context.Context, key string, src, dst *Entry) (verdict, error) {
	if v, ok := s.decideObjectsQuick(src, dst); ok {
		return v, nil
	}
	from, err := s.headOn(ctx, s.sourceStore(), s.sourceRef(key))
	if err != nil {
		return verdict{}, err
	}
	to, err := s.headOn(ctx, s.st, s.ref(key))
	if err != nil {
		return verdict{}, err
	}
	if a, b, ok := sharedChecksum(from, to); ok {
		if a.Value == b.Value {
			return verdict{reason: BySum, known: b}, nil
		}
		return verdict{send: true, reason: strings.ToLower(a.Algorithm) + " differs"}, nil
	}
	if s.o.Checksum {
		return verdict{send: true, reason: "unverifiable: the objects have no checksum in common to compare"}, nil
	}
	fm, fok := transfer.StoredMtime(from.Metadata)
	tm, tok := transfer.StoredMtime(to.Metadata)
	known, _ := transfer.StoredChecksum(to.Metadata) // the destination's own, for the receipt
	switch {
	case fok && tok && fm.Equal(tm):
		return verdict{reason: ByMtime, known: known}, nil
	case !dst.ModTime.Before(src.ModTime):
		return verdict{reason: ByAssumed, known: known}, nil
	}
	return verdict{send: true, reason: "changed: source modified " + src.ModTime.UTC().Format(time.RFC3339Nano) +
		", destination " + dst.ModTime.UTC().Format(time.RFC3339Nano)}, nil
}

// sharedChecksum returns a checksum of the whole object that both a and b have, of the
// same algorithm: haul's (haul-checksum), the server's whole-object one, or an ETag that
// is an MD5 (32 hex digits: a single-part object; under SSE-KMS or SSE-C an ETag that only
// looks like one makes equal bytes look different, which costs a copy, never a skip).
func sharedChecksum(a, b object.Info) (object.Checksum, object.Checksum, bool) {
	bs := checksumsOf(b)
	for _, x := range checksumsOf(a) {
		for _, y := range bs {
			if strings.EqualFold(x.Algorithm, y.Algorithm) {
				return x, y, true
			}
		}
	}
	return object.Checksum{}, object.Checksum{}, false
}

// checksumsOf returns the checksums of an object's whole bytes that a HEAD told, values in
// base64.
func checksumsOf(info object.Info) []object.Checksum {
	var cs []object.Checksum
	if c, ok := transfer.StoredChecksum(info.Metadata); ok {
		cs = append(cs, c)
	}
	if info.Checksum.Algorithm != "" {
		cs = append(cs, info.Checksum)
	}
	if transfer.IsMD5ETag(info.ETag) {
		b, _ := hex.DecodeString(info.ETag) // IsMD5ETag checked it
		cs = append(cs, object.Checksum{Algorithm: object.ChecksumMD5, Value: base64.StdEncoding.EncodeToString(b)})
	}
	return cs
}

// headOn asks st for an object's metadata, under the engine's retry policy; the error is
// the store's, which names the request, bucket and key.
func (s *Sync) headOn(ctx context.Context, st Store, ref object.Ref) (object.Info, error) {
	s.mu.Lock()
	s.counts.Heads++
	s.mu.Unlock()
	var info object.Info
	err := s.e.Retry(ctx, func(ctx context.Context) error {
		var err error
		info, err = st.HeadObject(ctx, ref)
		return err
	})
	return info, err
}
