package journal

import (
	"maps"

	"github.com/haul-s3/haul/object"
)

// Upload returns a copy of the recorded multipart upload to bucket/key, if there is one.
func (j *Journal) Upload(bucket, key string) (Upload, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	u, ok := j.uploads[objKey(bucket, key)]
	if !ok {
		return Upload{}, false
	}
	c := *u
	c.Parts = maps.Clone(u.Parts)
	return c, true
}

// Uploaded reports whether bucket/key was finished from a source with fingerprint fp.
func (j *Journal) Uploaded(bucket, key string, fp Fingerprint) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	got, ok := j.done[objKey(bucket, key)]
	return ok && got == fp
}

// StartUpload records a new multipart upload, replacing any earlier one to the same key.
func (j *Journal) StartUpload(u Upload) error {
	src := u.Source
	return j.write(record{Op: "upload", Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Source: &src, PartSize: u.PartSize})
}

// PartDone records a completed part of an upload.
func (j *Journal) PartDone(bucket, key, uploadID string, p object.Part) error {
	return j.write(record{Op: "part", Bucket: bucket, Key: key, UploadID: uploadID, Part: p.Number, ETag: p.ETag, Size: p.Size,
		SumAlg: p.Checksum.Algorithm, Sum: p.Checksum.Value})
}

// Forget drops the record of the upload to bucket/key (it was aborted or is gone).
func (j *Journal) Forget(bucket, key string) error {
	return j.write(record{Op: "forget", Bucket: bucket, Key: key})
}

// UploadDone records that bucket/key now holds the file with fingerprint fp.
func (j *Journal) UploadDone(bucket, key string, fp Fingerprint) error {
	return j.write(record{Op: "done", Bucket: bucket, Key: key, Source: &fp})
}

// Download returns a copy of the recorded download into target, if there is one.
func (j *Journal) Download(target string) (Download, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	d, ok := j.downloads[target]
	if !ok {
		return Download{}, false
	}
	c := *d
	c.Ranges = maps.Clone(d.Ranges)
	return c, true
}

// Downloaded reports whether target was finished from an object of size bytes.
func (j *Journal) Downloaded(target string, size int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	got, ok := j.done["file:"+target]
	return ok && got.Size == size
}

// StartDownload records a new download into target through d.Temp.
func (j *Journal) StartDownload(target string, d Download) error {
	return j.write(record{Op: "download", Bucket: d.Bucket, Key: d.Key, ETag: d.ETag, Size: d.Size, Temp: d.Temp, PartSize: d.PartSize, Target: target})
}

// RangeDone records that size bytes at offset of target's temporary file are written and
// synced.
func (j *Journal) RangeDone(target string, offset, size int64) error {
	return j.write(record{Op: "range", Target: target, Offset: offset, Size: size})
}

// DownloadDone records that target is complete.
func (j *Journal) DownloadDone(target string, size int64) error {
	return j.write(record{Op: "dl_done", Target: target, Size: size})
}
