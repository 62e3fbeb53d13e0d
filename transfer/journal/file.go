package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/haul-s3/haul/object"
)

// ErrLocked is wrapped by Open's error when another process holds the journal.
var ErrLocked = errors.New("the journal is in use by another haul process")

// errLockHeld is what lock (lock_unix.go, lock_windows.go) returns when the lock is taken.
var errLockHeld = errors.New("lock held")

// Journal is an open journal file and the state it records.
type Journal struct {
	path string

	mu        sync.Mutex
	f         *os.File
	header    Header
	uploads   map[string]*Upload     // by bucket + "/" + key
	done      map[string]Fingerprint // finished uploads by bucket/key; finished downloads by target
	downloads map[string]*Download   // by target path
}

func objKey(bucket, key string) string { return bucket + "/" + key }

// Open opens the journal at path, creating it (and its directory) with header h when it
// does not exist, and takes an exclusive lock on it. An existing journal is read back; Open
// fails, without changing it, if it is locked by another process, of another format or
// version, or damaged anywhere but its last line.
func Open(path string, h Header) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := lock(f); err != nil {
		f.Close()
		if errors.Is(err, errLockHeld) {
			return nil, fmt.Errorf("journal %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("journal %s: lock: %w", path, err)
	}
	j := &Journal{path: path, f: f, uploads: map[string]*Upload{}, done: map[string]Fingerprint{}, downloads: map[string]*Download{}}
	if err := j.load(h); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

// load reads the records, or writes the header into an empty file.
func (j *Journal) load(h Header) error {
	data, err := io.ReadAll(j.f)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		h.Format, h.Version = Format, Version
		if h.Created.IsZero() {
			h.Created = time.Now().UTC()
		}
		j.header = h
		if err := j.f.Truncate(0); err != nil {
			return err
		}
		return j.append(h)
	}
	end, err := j.parse(data)
	if err != nil {
		return err
	}
	if end != len(data) { // drop the torn record so later appends start on a clean line
		if err := j.f.Truncate(int64(end)); err != nil {
			return err
		}
	}
	_, err = j.f.Seek(0, io.SeekEnd)
	return err
}

// parse reads the header and applies every whole record of data. It returns the length of
// the whole records: a torn last line (no newline) is left out.
func (j *Journal) parse(data []byte) (int, error) {
	end := len(data)
	if data[end-1] != '\n' { // a torn last record: the run was killed while writing it
		end = bytes.LastIndexByte(data, '\n') + 1
	}
	sc := bufio.NewScanner(bytes.NewReader(data[:end]))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			if err := json.Unmarshal(sc.Bytes(), &j.header); err != nil || j.header.Format != Format {
				return 0, errors.New("not a haul journal (or its header is damaged); remove it to start over")
			}
			if j.header.Version != Version {
				return 0, fmt.Errorf("journal format version %d is not supported by this haul (which writes version %d); finish the run with the haul that wrote it, or remove the journal to start over", j.header.Version, Version)
			}
			continue
		}
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return 0, &DamagedError{Line: n, Err: err}
		}
		j.apply(r)
	}
	if j.header.Format == "" {
		return 0, errors.New("not a haul journal (or its header is damaged); remove it to start over")
	}
	return end, sc.Err()
}

// apply updates the in-memory state with one record.
func (j *Journal) apply(r record) {
	switch r.Op {
	case "upload":
		u := &Upload{Bucket: r.Bucket, Key: r.Key, UploadID: r.UploadID, PartSize: r.PartSize, Parts: map[int32]object.Part{}}
		if r.Source != nil {
			u.Source = *r.Source
		}
		j.uploads[objKey(r.Bucket, r.Key)] = u
		delete(j.done, objKey(r.Bucket, r.Key))
	case "part":
		if u := j.uploads[objKey(r.Bucket, r.Key)]; u != nil && u.UploadID == r.UploadID {
			u.Parts[r.Part] = object.Part{Number: r.Part, ETag: r.ETag, Size: r.Size,
				Checksum: object.Checksum{Algorithm: r.SumAlg, Value: r.Sum}}
		}
	case "forget":
		delete(j.uploads, objKey(r.Bucket, r.Key))
	case "done":
		delete(j.uploads, objKey(r.Bucket, r.Key))
		if r.Source != nil {
			j.done[objKey(r.Bucket, r.Key)] = *r.Source
		}
	case "download":
		j.downloads[r.Target] = &Download{Bucket: r.Bucket, Key: r.Key, ETag: r.ETag, Size: r.Size, Temp: r.Temp, PartSize: r.PartSize, Ranges: map[int64]int64{}}
		delete(j.done, "file:"+r.Target)
	case "range":
		if d := j.downloads[r.Target]; d != nil {
			d.Ranges[r.Offset] = r.Size
		}
	case "dl_done":
		delete(j.downloads, r.Target)
		j.done["file:"+r.Target] = Fingerprint{Size: r.Size}
	}
}

// append writes one record and syncs it to disk.
func (j *Journal) append(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// write appends r and applies it.
func (j *Journal) write(r record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal %s is closed", j.path)
	}
	if err := j.append(r); err != nil {
		return err
	}
	j.apply(r)
	return nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Header returns the journal's header.
func (j *Journal) Header() Header { return j.header }

// Close releases the lock and closes the file, keeping it for a later run.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// Remove deletes the journal (the run finished) and closes it: on Unix in that order, so the
// lock is held until the name is gone; on Windows, which cannot delete an open file, closed
// first (see removeWhileOpen).
func (j *Journal) Remove() error {
	if !removeWhileOpen {
		cerr := j.Close()
		if err := os.Remove(j.path); err != nil {
			return err
		}
		return cerr
	}
	err := os.Remove(j.path)
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	return err
}

// Inspect reads and checks the whole journal at path without writing or locking it, and
// returns its header, so `haul resume` can refuse a damaged journal before running anything.
func Inspect(path string) (Header, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Header{}, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{path: path, uploads: map[string]*Upload{}, done: map[string]Fingerprint{}, downloads: map[string]*Download{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return Header{}, fmt.Errorf("journal %s is empty", path)
	}
	if _, err := j.parse(data); err != nil {
		return Header{}, fmt.Errorf("journal %s: %w", path, err)
	}
	return j.header, nil
}
