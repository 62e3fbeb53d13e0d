package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/haul-s3/haul/object"
)

// streamDownload downloads src to a buffer and returns the bytes, what the Done event said,
// and the error.
func streamDownload(t *testing.T, st Store, o Options, src object.Ref) ([]byte, string, error) {
	t.Helper()
	var verified string
	o.Observer = ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			verified = ev.Verified
		}
	})
	var buf bytes.Buffer
	_, err := New(st, fastOpts(o)).DownloadStream(context.Background(), src, &buf)
	return buf.Bytes(), verified, err
}

// A download to a stream of a multipart object another tool wrote is checked too: the MD5
// of each part as it goes by, against the multipart ETag. The bytes cannot be taken back,
// so a corrupted body fails the item afterwards.
func TestStreamDownloadVerifiesForeignMultipart(t *testing.T) {
	for _, alg := range []string{"", object.ChecksumCRC32} {
		t.Run("checksum "+alg, func(t *testing.T) {
			fs := newFake()
			parts := foreignParts(80, 40_000, 40_000, 40_000, 15_000)
			fs.putParts(dst, alg, parts...)
			data, verified, err := streamDownload(t, fs, Options{}, dst)
			if err != nil || !bytes.Equal(data, bytes.Join(parts, nil)) || verified != "md5-parts" {
				t.Fatalf("err %v, right %v, verified %q; want the bytes, verified md5-parts", err, bytes.Equal(data, bytes.Join(parts, nil)), verified)
			}
			fs.getHook = func(c fakeCall, body io.ReadCloser) io.ReadCloser {
				return &flipReader{ReadCloser: body, at: 50_000}
			}
			_, _, err = streamDownload(t, fs, Options{}, dst)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("a corrupted stream: err %v, want a VerifyError", err)
			}
		})
	}
}

// A stream that nothing can verify says so, and with VerifyRequired fails before a byte is
// written.
func TestStreamDownloadUnverifiable(t *testing.T) {
	fs := newFake()
	parts := foreignParts(90, 40_000, 10_000)
	fs.putParts(dst, "", parts...)
	st := struct{ Store }{fs} // no part numbers
	data, verified, err := streamDownload(t, st, Options{}, dst)
	if err != nil || !bytes.Equal(data, bytes.Join(parts, nil)) || verified != "none" {
		t.Fatalf("err %v, verified %q; want the bytes, verified none", err, verified)
	}
	data, _, err = streamDownload(t, st, Options{VerifyRequired: true}, dst)
	var ue *UnverifiedError
	if !errors.As(err, &ue) || len(data) != 0 {
		t.Fatalf("required: err %v, %d bytes written; want an UnverifiedError and nothing written", err, len(data))
	}
}
