//go:build ignore

// Command sink is an S3 endpoint that keeps nothing: it reads every request body and
// throws it away, echoes the checksum headers it was sent, and answers
// CreateMultipartUpload and CompleteMultipartUpload with enough XML for a client to go
// on. scripts/bench-sendcost.sh points haul and curl at it to measure what sending costs
// the client alone, with no server work on the same CPUs beyond reading the socket.
//
//	go run scripts/sink/main.go            # prints the address it listens on, then serves
//	go run scripts/sink/main.go -sum FILE  # prints FILE's CRC32C (base64), read once
package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
)

func main() {
	sum := flag.String("sum", "", "print this file's CRC32C and exit")
	flag.Parse()
	if *sum != "" {
		f, err := os.Open(*sum)
		if err != nil {
			log.Fatal(err)
		}
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		if _, err := io.CopyBuffer(h, f, make([]byte, 256<<10)); err != nil {
			log.Fatal(err)
		}
		fmt.Println(base64.StdEncoding.EncodeToString(h.Sum(nil)))
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	log.Fatal(http.Serve(ln, http.HandlerFunc(serve)))
}

func serve(w http.ResponseWriter, r *http.Request) {
	if _, err := io.CopyBuffer(io.Discard, r.Body, make([]byte, 256<<10)); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for k, v := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
			w.Header()[k] = v
		}
	}
	w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>`)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"d41d8cd98f00b204e9800998ecf8427e-1"</ETag></CompleteMultipartUploadResult>`)
	}
}
