package s3store

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// FileBody is a request body that is a section of an open regular file. On Linux, over
// plain HTTP, the store sends an UploadPart body of this kind straight from the file with
// sendfile(2) (Go's net package does so when it copies an *os.File to a TCP connection), so
// its bytes never pass through the process: the kernel hands the page cache to the socket.
// The caller has read the section once already, for its checksum; this is the second read
// saved. Sent reports, as they go, the bytes sent that way. Read is used instead over TLS,
// for a body under sendfileMin, and for PutObject: a PutObject body's reader checks that the
// file did not change before it gives the final byte, which sendfile would pass by (a
// multipart upload checks before it completes).
type FileBody interface {
	io.ReadSeeker
	// FileSection returns the file and the section of it that is the body.
	FileSection() (f *os.File, off, length int64)
	// Sent reports n more bytes of the body sent since the last call.
	Sent(n int64)
}

// sendfileMin is the smallest body sent with sendfile: the HTTP transport first fills its
// write buffer (256 KiB, see New) by reading, so a smaller body would gain nothing.
const sendfileMin = 1 << 20

// sentPoll is how often the bytes a sendfile body has sent are reported (Sent): the file's
// offset, which sendfile advances, is read.
const sentPoll = 50 * time.Millisecond

// sendfileOS: where sendfile is used. Go sends files with sendfile or TransmitFile on other
// systems too, but how the file offset moves meanwhile (which Sent is computed from) is
// known and tested on Linux only.
const sendfileOS = runtime.GOOS == "linux"

// MemoryBody is a request body its caller holds in memory whole (a small file read once,
// to be summed and sent from the same bytes). The store sends Bytes as they are, with no
// copy, and reports them with Sent (as FileBody's: n more bytes sent other than through
// Read) before the request starts. Bytes must not change until the call returns.
type MemoryBody interface {
	io.ReadSeeker
	Bytes() []byte
	Sent(n int64)
}

type bodyKey struct{}

// withFileBody marks ctx as carrying a request whose body is a FileBody, for fileSender;
// UploadPart's only (see FileBody).
func withFileBody(ctx context.Context, body io.Reader) context.Context {
	if fb, ok := body.(FileBody); ok {
		return context.WithValue(ctx, bodyKey{}, fb)
	}
	return ctx
}

// withMemoryBody marks ctx as carrying a request whose body is a MemoryBody, for fileSender.
func withMemoryBody(ctx context.Context, body io.Reader) context.Context {
	if mb, ok := body.(MemoryBody); ok {
		return context.WithValue(ctx, bodyKey{}, mb)
	}
	return ctx
}

// fileSender is the HTTP client that sends a FileBody with sendfile over plain HTTP, and
// a body of at most smallBodyMax bytes from memory (doInMemory).
type fileSender struct{ aws.HTTPClient }

func (c fileSender) Do(req *http.Request) (*http.Response, error) {
	if req.ContentLength > 0 && req.ContentLength <= smallBodyMax && req.Body != nil {
		return c.doInMemory(req)
	}
	fb, ok := req.Context().Value(bodyKey{}).(FileBody)
	if !ok || !sendfileOS || req.URL.Scheme != "http" || req.ContentLength < sendfileMin {
		return c.HTTPClient.Do(req)
	}
	f, off, length := fb.FileSection()
	if length != req.ContentLength {
		return c.HTTPClient.Do(req)
	}
	// A descriptor of its own, so that the offset sendfile advances is this body's alone.
	own, err := os.Open(f.Name())
	if err != nil {
		return c.HTTPClient.Do(req)
	}
	if !sameFile(f, own) {
		own.Close()
		return c.HTTPClient.Do(req) // replaced since: Read then sees what the upload saw
	}
	if _, err := own.Seek(off, io.SeekStart); err != nil {
		own.Close()
		return c.HTTPClient.Do(req)
	}
	if req.Body != nil {
		req.Body.Close()
	}
	body := &sendfileBody{File: own, off: off, end: off + length, done: make(chan struct{})}
	req.Body = body
	req.GetBody = nil
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { body.report(fb, stop) })
	resp, err := c.HTTPClient.Do(req)
	close(stop)
	wg.Wait()
	if err == nil {
		fb.Sent(length - body.reported) // the rest went before the answer came
	}
	return resp, err
}

// sendfileBody is the request body that sendfile reads: the transport passes an
// io.LimitedReader of it to the connection, whose ReadFrom sends from any body that is a
// syscall.Conn (an embedded *os.File is). Read ends at the section's end (the transport
// reads on after the body to make sure that there is nothing more). Close closes the
// descriptor.
type sendfileBody struct {
	*os.File
	off, end int64
	reported int64 // bytes reported through Sent; read by Do after report ends
	once     sync.Once
	done     chan struct{}
}

func (b *sendfileBody) Read(p []byte) (int, error) {
	pos, err := b.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if pos >= b.end {
		return 0, io.EOF
	}
	if int64(len(p)) > b.end-pos {
		p = p[:b.end-pos]
	}
	return b.File.Read(p)
}

// WriteTo hides the embedded file's, which would read on past the section's end.
func (b *sendfileBody) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, struct{ io.Reader }{readerOf{b}})
}

// readerOf is a reader with no other method, for io.Copy.
type readerOf struct{ r io.Reader }

func (r readerOf) Read(p []byte) (int, error) { return r.r.Read(p) }

func (b *sendfileBody) Close() error {
	var err error
	b.once.Do(func() {
		err = b.File.Close()
		close(b.done)
	})
	return err
}

// report tells fb of the bytes sent, from the file offset, until stop or the body is closed.
func (b *sendfileBody) report(fb FileBody, stop <-chan struct{}) {
	t := time.NewTicker(sentPoll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-b.done:
			return
		case <-t.C:
		}
		pos, err := b.Seek(0, io.SeekCurrent)
		if err != nil {
			return
		}
		if n := pos - b.off - b.reported; n > 0 {
			b.reported += n
			fb.Sent(n)
		}
	}
}

func sameFile(a, b *os.File) bool {
	ai, err := a.Stat()
	if err != nil {
		return false
	}
	bi, err := b.Stat()
	return err == nil && os.SameFile(ai, bi)
}

// smallBodyMax is the largest request body sent from memory (doInMemory).
const smallBodyMax = 128 << 10

// doInMemory reads a small request body whole and sends it from memory. net/http sends
// the headers and a body it knows to be in memory (a bytes.Reader) in one write; any other
// body (the SDK wraps ours) costs a flush of the headers on their own, then a copy of the
// body through a new 32 KiB buffer: two writes, two TCP segments for the server to read,
// and the buffer, per small object. The body's reader runs as before (progress, the
// unchanged-file check), only before the request starts rather than during it; an error
// from it fails the request with that error before anything is sent.
func (c fileSender) doInMemory(req *http.Request) (*http.Response, error) {
	buf, err := bodyBytes(req)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(buf))
	return c.HTTPClient.Do(req)
}

// bodyBytes returns the bytes of a small request body: a MemoryBody's own, when nothing of
// it was read yet, else a copy read from the body.
func bodyBytes(req *http.Request) ([]byte, error) {
	if mb, ok := req.Context().Value(bodyKey{}).(MemoryBody); ok {
		b := mb.Bytes()
		if pos, err := mb.Seek(0, io.SeekCurrent); err == nil && pos == 0 && int64(len(b)) == req.ContentLength {
			mb.Sent(int64(len(b)))
			return b, nil
		}
	}
	buf := make([]byte, req.ContentLength)
	_, err := io.ReadFull(req.Body, buf)
	return buf, err
}
