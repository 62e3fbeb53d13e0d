package s3test

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// IsListPage returns a matcher for the requests of page number page (from 1) of
// ListObjectsV2 listings of exactly prefix: page 1 is the request without a continuation
// token, and each token not seen before is the page after the one last requested. A
// token seen before is its page again, so a retried page matches as that page, and a
// listing started again from page 1 matches page 2 onwards again. It keeps state: use one
// matcher per rule, and do not list the same prefix twice at once through it.
//
// With Add(-1, IsListPage("src/", 2), Fault{Kind: InternalError}) every attempt at the
// second page of a listing of src/ fails, and every retry of the listing does too.
func IsListPage(prefix string, page int) func(*http.Request) bool {
	var mu sync.Mutex
	pages := map[string]int{} // page number of each token seen
	cur := 0                  // page number of the last request
	return func(r *http.Request) bool {
		q := r.URL.Query()
		if !IsList(r) || q.Get("list-type") != "2" || q.Get("prefix") != prefix {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		tok := q.Get("continuation-token")
		switch n, seen := pages[tok]; {
		case tok == "":
			cur = 1
		case seen:
			cur = n
		default:
			cur++
			pages[tok] = cur
		}
		return cur == page
	}
}

var (
	nextTokenElem = regexp.MustCompile(`(?s)<NextContinuationToken>.*?</NextContinuationToken>`)
	contentsElem  = regexp.MustCompile(`(?s)<Contents>.*?</Contents>`)
)

// rewriteFault passes r on to the server as it is (its headers are signed), holds the whole
// answer and sends it on with its body rewritten as kind says and its Content-Length set
// to match. A gzipped body is sent on plain; a status other than 200, or a body in another
// encoding, is passed unchanged.
func rewriteFault(forward http.Handler, w http.ResponseWriter, r *http.Request, kind Kind) {
	hw := &holdWriter{header: http.Header{}}
	forward.ServeHTTP(hw, r)
	if hw.status == 0 {
		hw.status = http.StatusOK
	}
	body := hw.body.Bytes()
	if hw.status == http.StatusOK && strings.EqualFold(hw.header.Get("Content-Encoding"), "gzip") {
		if plain, err := gunzip(body); err == nil {
			body = plain
			hw.header.Del("Content-Encoding")
		}
	}
	if hw.status == http.StatusOK && hw.header.Get("Content-Encoding") == "" {
		switch kind {
		case DropContinuationToken:
			body = nextTokenElem.ReplaceAll(body, nil)
		case ReverseListing:
			body = reverseContents(body)
		}
	}
	maps.Copy(w.Header(), hw.header)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(hw.status)
	_, _ = w.Write(body)
}

// reverseContents returns body with its <Contents> elements in reverse order, each in the
// place of another; what lies between them stays where it was.
func reverseContents(body []byte) []byte {
	locs := contentsElem.FindAllIndex(body, -1)
	out := make([]byte, 0, len(body))
	prev := 0
	for i, loc := range locs {
		swap := locs[len(locs)-1-i]
		out = append(out, body[prev:loc[0]]...)
		out = append(out, body[swap[0]:swap[1]]...)
		prev = loc[1]
	}
	return append(out, body[prev:]...)
}

func gunzip(body []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// holdWriter keeps a whole response (status, headers, body) instead of sending it.
type holdWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *holdWriter) Header() http.Header { return h.header }

func (h *holdWriter) WriteHeader(code int) {
	if h.status == 0 && code >= 200 { // not an informational 1xx
		h.status = code
	}
}

func (h *holdWriter) Write(p []byte) (int, error) { return h.body.Write(p) }
