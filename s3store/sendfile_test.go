package s3store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/haul-s3/haul/object"
)

// sectionBody is a FileBody that counts how it was read.
type sectionBody struct {
	*io.SectionReader
	f         *os.File
	off, n    int64
	readBytes atomic.Int64
	sent      atomic.Int64
}

func (b *sectionBody) Read(p []byte) (int, error) {
	n, err := b.SectionReader.Read(p)
	b.readBytes.Add(int64(n))
	return n, err
}
func (b *sectionBody) FileSection() (*os.File, int64, int64) { return b.f, b.off, b.n }
func (b *sectionBody) Sent(n int64)                          { b.sent.Add(n) }

// An UploadPart body that is a section of a file goes, over plain HTTP on Linux, by
// sendfile: the server gets exactly the section, the body's Read is never called, Sent
// accounts for every byte, and the connection is used again for the next part (nothing
// past the section was read or sent). A body under sendfileMin, and a PutObject body, are
// read as before.
func TestUploadPartSendsAFileSectionBySendfile(t *testing.T) {
	data := make([]byte, 5<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var mu sync.Mutex
	var got [][]byte
	var peers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the body: %v", err)
		}
		mu.Lock()
		got = append(got, b)
		peers = append(peers, r.RemoteAddr)
		mu.Unlock()
		w.Header().Set("ETag", `"e"`)
	}))
	defer srv.Close()
	s := testStore(t, Config{Endpoint: srv.URL})
	ref := object.Ref{Bucket: "bkt", Key: "k"}

	sections := []struct{ off, n int64 }{
		{7, 2<<20 + 3},          // sendfile
		{2<<20 + 10, 1<<20 + 1}, // sendfile, on the same connection
		{100, sendfileMin - 1},  // read
	}
	for i, sec := range sections {
		body := &sectionBody{SectionReader: io.NewSectionReader(f, sec.off, sec.n), f: f, off: sec.off, n: sec.n}
		if _, err := s.UploadPart(context.Background(), ref, "u", int32(i+1), body, sec.n, object.Checksum{}); err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if want := data[sec.off : sec.off+sec.n]; !bytes.Equal(got[i], want) {
			t.Fatalf("part %d: the server got %d bytes, not the %d of the section", i+1, len(got[i]), len(want))
		}
		bySendfile := sendfileOS && sec.n >= sendfileMin
		switch {
		case bySendfile && (body.readBytes.Load() != 0 || body.sent.Load() != sec.n):
			t.Errorf("part %d: read %d bytes through Read and reported %d sent; want 0 and %d (sendfile)", i+1, body.readBytes.Load(), body.sent.Load(), sec.n)
		case !bySendfile && (body.readBytes.Load() != sec.n || body.sent.Load() != 0):
			t.Errorf("part %d: read %d bytes through Read and reported %d sent; want %d and 0", i+1, body.readBytes.Load(), body.sent.Load(), sec.n)
		}
	}
	if peers[0] != peers[1] {
		t.Errorf("the second part came on a new connection (%s, then %s): the first was not left clean", peers[0], peers[1])
	}

	body := &sectionBody{SectionReader: io.NewSectionReader(f, 0, 3<<20), f: f, off: 0, n: 3 << 20}
	if _, err := s.PutObject(context.Background(), ref, body, 3<<20, &object.Options{}, object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	if body.readBytes.Load() != 3<<20 || body.sent.Load() != 0 || !bytes.Equal(got[len(got)-1], data[:3<<20]) {
		t.Errorf("PutObject: read %d, sent %d: want every byte read, none by sendfile", body.readBytes.Load(), body.sent.Load())
	}
}

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// opaqueReader hides every method but Read, as the SDK's wrapping of a body does.
type opaqueReader struct{ r io.Reader }

func (o opaqueReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// A small body goes with its headers in one write (net/http would flush the headers on
// their own first for a body it does not know to be in memory); a bigger body is streamed
// as before; a body whose reader fails is not sent, and the request fails with the
// reader's error.
func TestSmallBodyGoesWithTheHeadersInOneWrite(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	}))
	defer srv.Close()
	var writes atomic.Int64
	dial := (&net.Dialer{}).DialContext
	c := fileSender{&http.Client{Transport: &http.Transport{WriteBufferSize: 256 << 10,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			return countingConn{conn, &writes}, err
		}}}}
	send := func(body io.Reader, n int64) error {
		req, err := http.NewRequest(http.MethodPut, srv.URL+"/b/k", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = n
		writes.Store(0)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	for _, tc := range []struct {
		size     int64
		inMemory bool
	}{{4 << 10, true}, {smallBodyMax, true}, {smallBodyMax + 1, false}} {
		if err := send(opaqueReader{bytes.NewReader(make([]byte, tc.size))}, tc.size); err != nil {
			t.Fatalf("%d bytes: %v", tc.size, err)
		}
		if got.Load() != tc.size {
			t.Errorf("%d bytes: the server got %d", tc.size, got.Load())
		}
		if w := writes.Load(); tc.inMemory != (w == 1) {
			t.Errorf("%d bytes: %d writes; want one only for a body of at most %d bytes", tc.size, w, smallBodyMax)
		}
	}

	errBody := errors.New("the file changed")
	got.Store(-1)
	err := send(io.MultiReader(bytes.NewReader(make([]byte, 100)), iotest.ErrReader(errBody)), 200)
	if !errors.Is(err, errBody) {
		t.Errorf("a failing body: %v, want the reader's error", err)
	}
	if writes.Load() != 0 || got.Load() != -1 {
		t.Errorf("a failing body: %d writes, the server got %d bytes; want nothing sent", writes.Load(), got.Load())
	}
}

// memoryBody is a MemoryBody whose Read counts the bytes it gives.
type memoryBody struct {
	*bytes.Reader
	b          []byte
	read, sent int64
}

func (m *memoryBody) Read(p []byte) (int, error) {
	n, err := m.Reader.Read(p)
	m.read += int64(n)
	return n, err
}
func (m *memoryBody) Bytes() []byte { return m.b }
func (m *memoryBody) Sent(n int64)  { m.sent += n }

// A MemoryBody's bytes are sent as they are, not read through the SDK's wrapping of the
// body and copied, and reported with Sent; one already read from is read and copied.
func TestMemoryBodyIsSentWithoutACopy(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	c := fileSender{srv.Client()}
	for _, readFirst := range []int64{0, 10} {
		want := bytes.Repeat([]byte("haul"), 1000)
		mb := &memoryBody{Reader: bytes.NewReader(want), b: want}
		if readFirst > 0 {
			mb.Read(make([]byte, readFirst))
		}
		req, err := http.NewRequestWithContext(withMemoryBody(t.Context(), mb), http.MethodPut, srv.URL+"/b/k", opaqueReader{mb})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(want)) - readFirst
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !bytes.Equal(got, want[readFirst:]) {
			t.Errorf("read first %d: the server got %d bytes, want %d", readFirst, len(got), len(want)-int(readFirst))
		}
		if readFirst == 0 && (mb.read != 0 || mb.sent != int64(len(want))) {
			t.Errorf("read %d bytes, Sent %d; want 0 and %d: the bytes sent as they are", mb.read, mb.sent, len(want))
		}
		if readFirst > 0 && (mb.sent != 0 || mb.read != int64(len(want))) {
			t.Errorf("read first %d: read %d, Sent %d; want all read, none Sent", readFirst, mb.read, mb.sent)
		}
	}
}
