//go:build ignore

// Command floor is the least a Go client can do to copy many small objects, for
// scripts/bench.sh (BENCH_FLOOR=1) to measure what the client side of a small-object
// workload costs at the bottom: one net/http request per object signed with the AWS SDK's
// SigV4 signer (UNSIGNED-PAYLOAD), no SDK operation stack, no checksum, no retry, no
// temporary file; a download lists with the SDK's ListObjectsV2 paginator and writes each
// file in place. It is not a tool: it only shows how far haul's per-object cost is from
// the floor of net/http. With -sdk, each object is one PutObject or GetObject call of the
// AWS SDK for Go v2 instead (UNSIGNED-PAYLOAD, no retries, no checksum asked for or
// checked): the floor for a client that makes its S3 calls through the SDK, as haul does.
//
//	go run scripts/floor/main.go [-c 16] DIR s3://bucket/prefix/   # upload every file
//	go run scripts/floor/main.go [-c 16] s3://bucket/prefix/ DIR   # download every object
//	go run scripts/floor/main.go [-c 4] s3://bucket/key FILE        # one object, in ranges
//
// One object is fetched in 8 MiB ranges, -c at a time, each written at its offset into
// FILE (pwrite), with no checksum: the bytes a parallel download cannot avoid copying.
//
// It reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const unsigned = "UNSIGNED-PAYLOAD"

type client struct {
	endpoint, region string
	creds            aws.Credentials
	signer           *v4.Signer
	http             *http.Client
	api              *s3.Client
}

func main() {
	workers := flag.Int("c", 16, "requests in flight")
	sdk := flag.Bool("sdk", false, "one SDK PutObject or GetObject call per object")
	flag.Parse()
	if flag.NArg() != 2 {
		log.Fatal("usage: floor [-c N] DIR s3://bucket/prefix/ | s3://bucket/prefix/ DIR")
	}
	src, dst := flag.Arg(0), flag.Arg(1)
	if !isSet("c") && strings.HasPrefix(src, "s3://") && !strings.HasSuffix(src, "/") {
		*workers = 4 // haul's parts in flight on 2 CPUs
	}
	c := &client{
		endpoint: strings.TrimSuffix(os.Getenv("AWS_ENDPOINT_URL"), "/"),
		region:   os.Getenv("AWS_REGION"),
		creds:    aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")},
		signer:   v4.NewSigner(),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers,
			WriteBufferSize: 256 << 10, ReadBufferSize: 256 << 10}},
	}
	if c.region == "" {
		c.region = "us-east-1"
	}
	c.api = s3.New(s3.Options{Region: c.region, BaseEndpoint: aws.String(c.endpoint), UsePathStyle: true,
		Credentials: credentials.StaticCredentialsProvider{Value: c.creds}, HTTPClient: c.http,
		Retryer: aws.NopRetryer{}, RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
	if strings.HasPrefix(src, "s3://") && !strings.HasSuffix(src, "/") {
		if err := c.ranges(strings.TrimPrefix(src, "s3://"), dst, *workers); err != nil {
			log.Fatal(err)
		}
		return
	}
	jobs := make(chan [2]string) // local path, bucket/key
	var failed atomic.Int64
	var wg sync.WaitGroup
	down := strings.HasPrefix(src, "s3://")
	for range *workers {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for j := range jobs {
				var err error
				switch {
				case down && *sdk:
					err = c.sdkGet(j[1], j[0], buf)
				case down:
					err = c.get(j[1], j[0], buf)
				case *sdk:
					err = c.sdkPut(j[0], j[1])
				default:
					err = c.put(j[0], j[1])
				}
				if err != nil && failed.Add(1) <= 5 {
					log.Print(err)
				}
			}
		})
	}
	var err error
	if down {
		err = c.list(src, dst, jobs)
	} else {
		err = walk(src, dst, jobs)
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		log.Fatal(err)
	}
	if n := failed.Load(); n > 0 {
		log.Fatalf("%d objects failed", n)
	}
}

func walk(dir, dst string, jobs chan<- [2]string) error {
	base := strings.TrimPrefix(dst, "s3://")
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err == nil {
			jobs <- [2]string{p, base + filepath.ToSlash(rel)}
		}
		return err
	})
}

func (c *client) list(src, dir string, jobs chan<- [2]string) error {
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(src, "s3://"), "/")
	made := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(c.api, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			path := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(*o.Key, prefix)))
			if d := filepath.Dir(path); !made[d] {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
				made[d] = true
			}
			jobs <- [2]string{path, bucket + "/" + *o.Key}
		}
	}
	return nil
}

func (c *client) do(method, key string, body []byte, rng string) (*http.Response, error) {
	u := c.endpoint + "/" + (&url.URL{Path: key}).EscapedPath()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Content-Sha256", unsigned)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	if err := c.signer.SignHTTP(context.Background(), c.creds, req, unsigned, "s3", c.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		err = fmt.Errorf("%s %s: %s", method, key, resp.Status)
	}
	return resp, err
}

func (c *client) put(path, key string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	resp, err := c.do(http.MethodPut, key, b, "")
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

func (c *client) get(key, path string, buf []byte) error {
	resp, err := c.do(http.MethodGet, key, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(f, resp.Body, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

const rangeSize = 8 << 20

// ranges downloads one object in rangeSize ranges, workers at a time, into path.
func (c *client) ranges(key, path string, workers int) error {
	resp, err := c.do(http.MethodHead, key, nil, "")
	if err != nil {
		return err
	}
	resp.Body.Close()
	size := resp.ContentLength
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	offs := make(chan int64)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for off := range offs {
				end := min(off+rangeSize, size) - 1
				resp, err := c.do(http.MethodGet, key, nil, fmt.Sprintf("bytes=%d-%d", off, end))
				if err == nil {
					_, err = io.CopyBuffer(io.NewOffsetWriter(f, off), resp.Body, buf)
					resp.Body.Close()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for off := int64(0); off < size; off += rangeSize {
		offs <- off
	}
	close(offs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return f.Close()
}

func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}

func (c *client) sdkPut(path, bucketKey string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	bucket, key, _ := strings.Cut(bucketKey, "/")
	_, err = c.api.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key,
		Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b)))}, unsignedPayload)
	return err
}

func (c *client) sdkGet(bucketKey, path string, buf []byte) error {
	bucket, key, _ := strings.Cut(bucketKey, "/")
	out, err := c.api.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(f, out.Body, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
