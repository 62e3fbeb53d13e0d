//go:build ignore

// Command countproxy is a reverse proxy in front of one S3 server that counts the requests
// passing through it by S3 operation, for scripts/bench-sync.sh. It keeps the Host header
// the client signed, so SigV4 signatures stay valid; it handles path-style addressing
// (every tool in the bench is pointed at a 127.0.0.1 endpoint, which they all address
// path-style).
//
//	go run scripts/countproxy/main.go -listen 127.0.0.1:9100 -target http://127.0.0.1:9000
//
// GET /__counts returns the counts since the last call as JSON, {"ListObjectsV2":1,...}, and
// resets them; with ?format=text it returns "ListObjectsV2=1 PutObject=20" (sorted, one
// line; "-" when there were none). It first waits (up to 5 s) for requests still in flight
// to finish, so a client that has exited is fully counted. A request answered with a status
// of 300 or more is counted under "Op/status" (HeadObject/404) instead of Op. ("__counts"
// cannot be a bucket name: bucket names have no underscores.)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "S3 server URL to forward to, e.g. http://127.0.0.1:9000")
	flag.Parse()
	to, err := url.Parse(*target)
	if err != nil || to.Host == "" {
		log.Fatalf("countproxy: -target %q is not a URL", *target)
	}
	c := &counter{counts: map[string]int{}}
	rp := &httputil.ReverseProxy{
		// Director, not Rewrite: the outgoing Host stays the one the client signed.
		Director: func(r *http.Request) {
			r.URL.Scheme = to.Scheme
			r.URL.Host = to.Host
		},
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2048,
			MaxIdleConnsPerHost: 2048,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		FlushInterval: -1,
		ErrorLog:      log.New(log.Writer(), "countproxy: ", 0),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__counts" {
			c.serveCounts(w, r)
			return
		}
		op := operation(r)
		c.start()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() { c.done(op, sw.status) }()
		rp.ServeHTTP(sw, r)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("countproxy: %v", err)
	}
	fmt.Printf("countproxy: listening on http://%s, forwarding to %s\n", ln.Addr(), to)
	log.Fatal(http.Serve(ln, mux))
}

// counter holds the counts since the last read and the number of requests in flight.
type counter struct {
	mu       sync.Mutex
	counts   map[string]int
	inflight int
}

func (c *counter) start() {
	c.mu.Lock()
	c.inflight++
	c.mu.Unlock()
}

func (c *counter) done(op string, status int) {
	if status >= 300 {
		op = fmt.Sprintf("%s/%d", op, status)
	}
	c.mu.Lock()
	c.counts[op]++
	c.inflight--
	c.mu.Unlock()
}

// serveCounts waits for requests in flight (5 s at most), then writes and resets the counts.
func (c *counter) serveCounts(w http.ResponseWriter, r *http.Request) {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		if c.inflight == 0 || time.Now().After(deadline) {
			break
		}
		c.mu.Unlock()
	}
	counts := c.counts
	c.counts = map[string]int{}
	c.mu.Unlock()
	if r.URL.Query().Get("format") == "text" {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
		}
		if len(parts) == 0 {
			parts = append(parts, "-")
		}
		fmt.Fprintln(w, strings.Join(parts, " "))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(counts)
}

// operation names the S3 operation of a path-style request.
func operation(r *http.Request) string {
	q := r.URL.Query()
	path := strings.TrimPrefix(r.URL.Path, "/")
	_, key, _ := strings.Cut(path, "/")
	has := func(k string) bool { _, ok := q[k]; return ok }
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case path == "":
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
	case key == "": // bucket-level
		switch r.Method {
		case http.MethodGet:
			switch {
			case q.Get("list-type") == "2":
				return "ListObjectsV2"
			case has("uploads"):
				return "ListMultipartUploads"
			case has("versions"):
				return "ListObjectVersions"
			case has("location"):
				return "GetBucketLocation"
			case len(q) == 0 || has("prefix") || has("delimiter") || has("marker") || has("max-keys"):
				return "ListObjects"
			}
			return "GetBucket?" + firstKey(q)
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPost:
			if has("delete") {
				return "DeleteObjects"
			}
		case http.MethodPut:
			if len(q) == 0 {
				return "CreateBucket"
			}
			return "PutBucket?" + firstKey(q)
		case http.MethodDelete:
			return "DeleteBucket"
		}
	default: // object-level
		switch r.Method {
		case http.MethodGet:
			switch {
			case has("uploadId"):
				return "ListParts"
			case has("tagging"), has("acl"), has("attributes"), has("retention"), has("legal-hold"):
				return "GetObject?" + firstKey(q)
			}
			return "GetObject"
		case http.MethodHead:
			return "HeadObject"
		case http.MethodPut:
			switch {
			case has("partNumber") && copySource:
				return "UploadPartCopy"
			case has("partNumber"):
				return "UploadPart"
			case copySource:
				return "CopyObject"
			case has("tagging"), has("acl"), has("retention"), has("legal-hold"):
				return "PutObject?" + firstKey(q)
			}
			return "PutObject"
		case http.MethodPost:
			switch {
			case has("uploads"):
				return "CreateMultipartUpload"
			case has("uploadId"):
				return "CompleteMultipartUpload"
			}
		case http.MethodDelete:
			if has("uploadId") {
				return "AbortMultipartUpload"
			}
			return "DeleteObject"
		}
	}
	return r.Method + "?" + firstKey(q)
}

// firstKey returns the alphabetically first query parameter name, or "".
func firstKey(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// statusWriter records the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if code >= 200 { // not a 1xx (100 Continue) passed on before the answer
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes through, for the proxy's streaming of bodies.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
