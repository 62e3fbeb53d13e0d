package transfer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"testing"

	"github.com/haul-s3/haul/object"
)

func TestCorruptedPartIsRefusedAndResent(t *testing.T) {
	for _, alg := range []string{object.ChecksumCRC32C, object.ChecksumCRC32, object.ChecksumCRC64NVME, object.ChecksumSHA256, object.ChecksumSHA1, object.ChecksumMD5} {
		t.Run(alg, func(t *testing.T) {
			fs := newFake()
			fs.corrupt = func(c fakeCall, attempt int, data []byte) {
				if c.Part == 2 && attempt == 1 {
					data[100] ^= 1
				}
			}
			data := randomBytes(12*mib, 31)
			p := filepath.Join(t.TempDir(), "f")
			writeFile(t, p, data)
			e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Object: object.Options{Checksum: alg}}))
			if _, err := e.UploadFile(context.Background(), p, dst); err != nil {
				t.Fatal(err)
			}
			if got, _ := fs.object(dst); !bytes.Equal(got, data) {
				t.Fatal("a corrupted part became part of the object")
			}
			if fs.partAttempts("k", 2) != 2 || fs.partAttempts("k", 1) != 1 {
				t.Fatalf("part 2 sent %d times, part 1 %d; want the corrupted part alone resent", fs.partAttempts("k", 2), fs.partAttempts("k", 1))
			}
		})
	}
}

func TestChecksumValues(t *testing.T) {
	// Known answers for "123456789", the standard CRC check input.
	tests := map[string]string{
		object.ChecksumCRC32C:    "4waSgw==",     // 0xE3069283
		object.ChecksumCRC32:     "y/Q5Jg==",     // 0xCBF43926
		object.ChecksumCRC64NVME: "rosUhgp5mIg=", // 0xAE8B14860A799888
	}
	for alg, want := range tests {
		got := object.Sum(alg, []byte("123456789"))
		if got.Value != want {
			raw, _ := base64.StdEncoding.DecodeString(got.Value)
			t.Errorf("%s = %s (%x), want %s", alg, got.Value, raw, want)
		}
	}
}

func TestFileChangedAfterChecksumIsReportedAsChanged(t *testing.T) {
	fs := newFake()
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, randomBytes(12*mib, 33))
	fs.hook = func(c fakeCall, attempt int) error {
		if c.Op == "UploadPart" && c.Part == 2 && attempt == 1 {
			writeFile(t, p, randomBytes(12*mib, 34)) // same size, new bytes and mtime
		}
		return nil
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1, Object: object.Options{Checksum: object.ChecksumCRC32C}}))
	_, err := e.UploadFile(context.Background(), p, dst)
	if !errors.Is(err, errChanged) {
		t.Fatalf("err = %v, want the file reported as changed", err)
	}
	if fs.partAttempts("k", 2) != 1 {
		t.Fatalf("part 2 sent %d times; a changed file must not be retried", fs.partAttempts("k", 2))
	}
}
