package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestStat puts an object with the SDK (content type, cache control, user metadata and a
// SHA-256 checksum) and one with haul (multipart): stat says what the server says of each,
// as aligned "Field: value" lines and as one JSON object, and a missing key or bucket is
// an error that names it (exit 1, as ls gives).
func TestStat(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		data := []byte("the bytes of a small object\n")
		sum := sha256.Sum256(data)
		sha := base64.StdEncoding.EncodeToString(sum[:])
		url := "s3://" + bucket + "/dir/a.txt"
		_, err := srv.Client(t).PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("dir/a.txt"),
			Body: bytes.NewReader(data), ContentType: aws.String("text/plain; charset=utf-8"), CacheControl: aws.String("max-age=60"),
			Metadata: map[string]string{"owner": "ops", "stage": "two"}, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		if err != nil {
			t.Fatal(err)
		}
		head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("dir/a.txt")})
		if err != nil {
			t.Fatal(err)
		}
		// The servers differ: versitygw names the storage class STANDARD, MinIO and moto
		// leave it out (as S3 does for STANDARD); moto does not say whether a checksum is
		// of the whole object.
		storageClass := map[string]string{"versitygw": "STANDARD"}[srv.Kind]
		sha256Text := sha + " (full object)"
		checksumType := "FULL_OBJECT"
		if srv.Kind == "moto" {
			sha256Text, checksumType = sha, ""
		}
		want := map[string]string{
			"URL": url, "Size": fmt.Sprintf("%d (%d B)", len(data), len(data)),
			"ETag": strings.Trim(aws.ToString(head.ETag), `"`), "Last modified": aws.ToTime(head.LastModified).UTC().Format("2006-01-02T15:04:05Z"),
			"Content type": "text/plain; charset=utf-8", "Cache control": "max-age=60", "Storage class": storageClass,
			"Checksum SHA256": sha256Text, "Metadata owner": "ops", "Metadata stage": "two",
		}
		if got := statFields(t, must(t, srv, "stat", url).stdout); fmt.Sprint(got) != fmt.Sprint(nonEmpty(want)) {
			t.Fatalf("stat printed\n%v\nwant\n%v", got, nonEmpty(want))
		}

		var j struct {
			Event, URL, Bucket, Key, ETag string
			LastModified                  string `json:"last_modified"`
			StorageClass                  string `json:"storage_class"`
			ContentType                   string `json:"content_type"`
			CacheControl                  string `json:"cache_control"`
			ChecksumType                  string `json:"checksum_type"`
			Size                          int64
			Checksums, Metadata           map[string]string
		}
		r := must(t, srv, "--json", "stat", url)
		if strings.Count(r.stdout, "\n") != 1 || json.Unmarshal([]byte(r.stdout), &j) != nil {
			t.Fatalf("stat --json printed more or less than one JSON object:\n%s", r.stdout)
		}
		if j.Event != "stat" || j.LastModified != want["Last modified"] || j.URL != url || j.Bucket != bucket || j.Key != "dir/a.txt" || j.Size != int64(len(data)) || j.ETag != want["ETag"] ||
			j.StorageClass != storageClass || j.ContentType != want["Content type"] || j.CacheControl != "max-age=60" ||
			fmt.Sprint(j.Checksums) != fmt.Sprint(map[string]string{"SHA256": sha}) || j.ChecksumType != checksumType ||
			fmt.Sprint(j.Metadata) != fmt.Sprint(map[string]string{"owner": "ops", "stage": "two"}) {
			t.Fatalf("stat --json: %+v\nfrom %s", j, r.stdout)
		}
		if strings.Contains(r.stdout, `"storage_class"`) != (storageClass != "") {
			t.Fatalf("stat --json: a storage class the server did not give is not left out:\n%s", r.stdout)
		}

		// A multipart object uploaded by haul: versitygw and MinIO give its CRC32C as a
		// checksum of the parts' checksums (the -3 suffix); moto gives none. haul's own
		// whole-file checksum is in the user metadata on every server.
		dir := t.TempDir()
		randomFile(t, filepath.Join(dir, "big.bin"), 11<<20)
		must(t, srv, "-q", "cp", filepath.Join(dir, "big.bin"), "s3://"+bucket+"/big.bin", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		got := statFields(t, must(t, srv, "stat", "s3://"+bucket+"/big.bin").stdout)
		crc, composite := got["Checksum CRC32C"]
		if composite != (srv.Kind != "moto") || composite && !(strings.HasSuffix(crc, "-3 (composite)")) ||
			!strings.HasPrefix(got["Metadata haul-checksum"], "CRC32C:") || !strings.HasSuffix(got["ETag"], "-3") {
			t.Fatalf("stat of a multipart object: %v", got)
		}

		for _, c := range []struct{ arg, want string }{
			{"s3://" + bucket + "/missing", "HeadObject s3://" + bucket + "/missing: NoSuchKey"},
			{"s3://" + bucket + "-gone/k", `bucket "` + bucket + `-gone" does not exist`},
		} {
			r := haul(t, srv, nil, "stat", c.arg)
			if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("stat %s: exit %d, want 1 with %q\n%s%s", c.arg, r.code, c.want, r.stdout, r.stderr)
			}
			r = haul(t, srv, nil, "--json", "stat", c.arg)
			if evs := jsonLines[map[string]any](t, r.stdout); r.code != 1 || len(evs) != 1 || evs[0]["event"] != "summary" || evs[0]["error"] == nil {
				t.Fatalf("stat --json %s: exit %d, want 1 and a summary with the error\n%s", c.arg, r.code, r.stdout)
			}
		}
		if r := haul(t, srv, nil, "stat", "s3://"+bucket+"/dir/"); r.code != 2 || !strings.Contains(r.stderr, "names a prefix") {
			t.Fatalf("stat of a prefix: exit %d, want 2\n%s", r.code, r.stderr)
		}
	})
}

// statFields reads stat's "Field: value" lines, failing unless every value starts in the
// same column.
func statFields(t *testing.T, stdout string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	col := -1
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		name, _, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("stat printed a line that is not Field: value: %q", line)
		}
		at := len(name) + 1 + len(line[len(name)+1:]) - len(strings.TrimLeft(line[len(name)+1:], " "))
		if col >= 0 && at != col {
			t.Fatalf("stat's values are not aligned:\n%s", stdout)
		}
		col = at
		fields[name] = line[at:]
	}
	return fields
}

// nonEmpty returns m without its empty values.
func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// TestCat writes a small object and a multipart one (three parts) to stdout, nothing on
// stderr; through a proxy that corrupts every GET, cat writes the bytes it got and then
// fails saying they were corrupted (exit 1), as cp s3://bucket/key - does; a missing key
// fails with exit 1 and prints nothing on stdout.
func TestCat(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		files := map[string][]byte{
			"small.bin": randomFile(t, filepath.Join(dir, "small.bin"), 100_000),
			"big.bin":   randomFile(t, filepath.Join(dir, "big.bin"), 11<<20),
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		for name, data := range files {
			r := must(t, srv, "cat", "s3://"+bucket+"/"+name)
			if r.stdout != string(data) || r.stderr != "" {
				t.Fatalf("cat %s: %d bytes, want %d; stderr %q", name, len(r.stdout), len(data), r.stderr)
			}
			always, corrupted := srv.CorruptResponses(t, -1)
			r = haul(t, always, nil, "cat", "s3://"+bucket+"/"+name)
			if r.code != 1 || corrupted() == 0 || !strings.Contains(r.stderr, "corrupted in transit") {
				t.Fatalf("cat %s with every GET corrupted (%d): exit %d, want 1 saying so:\n%s", name, corrupted(), r.code, r.stderr)
			}
		}
		r := haul(t, srv, nil, "cat", "s3://"+bucket+"/missing")
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "NoSuchKey") {
			t.Fatalf("cat of a missing key: exit %d, want 1 and NoSuchKey\n%s", r.code, r.stderr)
		}
	})
}

// TestDu counts known objects at depths 0, 1 and 2, and over a whole bucket: each prefix's
// line after those inside it and counting them, the total last; "d1-x" sorts before "d1/"
// and "d10/" after it, so a prefix's keys are not taken for contiguous by their first
// letters.
func TestDu(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		c := srv.Client(t)
		for key, size := range map[string]int{"p/a.txt": 1, "p/d1-x": 2, "p/d1/sub/z": 30, "p/d1/x": 10, "p/d1/y": 20,
			"p/d10/v": 5, "p/d2/w": 40, "pother": 100, "q/zz": 1000} {
			if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: bytes.NewReader(make([]byte, size))}); err != nil {
				t.Fatal(err)
			}
		}
		type line struct {
			key            string
			objects, bytes float64
		}
		for _, tc := range []struct {
			url   string
			depth string
			want  []line
		}{
			{"/p/", "0", []line{{"p/", 7, 108}}},
			{"/p", "1", []line{{"p/d1/", 3, 60}, {"p/d10/", 1, 5}, {"p/d2/", 1, 40}, {"p/", 7, 108}}},
			{"/p/", "2", []line{{"p/d1/sub/", 1, 30}, {"p/d1/", 3, 60}, {"p/d10/", 1, 5}, {"p/d2/", 1, 40}, {"p/", 7, 108}}},
			{"", "1", []line{{"p/", 7, 108}, {"q/", 1, 1000}, {"", 9, 1208}}},
		} {
			url := "s3://" + bucket + tc.url
			evs, sum := jsonRun(t, srv, 0, "du", "--depth", tc.depth, url)
			var got []line
			for _, ev := range evs["prefix"] {
				key, _ := ev["key"].(string) // none for the whole bucket
				got = append(got, line{key, ev["objects"].(float64), ev["bytes"].(float64)})
			}
			total := tc.want[len(tc.want)-1]
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || len(evs) != 1 {
				t.Fatalf("du --depth %s %s: %v (events %v), want %v", tc.depth, url, got, kinds(evs), tc.want)
			}
			counts(t, "du", sum, map[string]float64{"objects": total.objects, "bytes": total.bytes, "prefixes": float64(len(tc.want) - 1)}, "")

			r := must(t, srv, "du", "-d", tc.depth, url)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			last := fmt.Sprintf("%d objects  s3://%s/%s (total)", int(total.objects), bucket, total.key)
			if len(lines) != len(tc.want) || !strings.HasSuffix(lines[len(lines)-1], last) {
				t.Fatalf("du -d %s %s printed\n%s\nwant %d lines, the last ending %q", tc.depth, url, r.stdout, len(tc.want), last)
			}
		}
		r := haul(t, srv, nil, "du", "s3://"+bucket+"/none/")
		if r.code != 0 || !strings.Contains(r.stdout, "0 objects  s3://"+bucket+"/none/ (total)") || !strings.Contains(r.stderr, "no objects under") {
			t.Fatalf("du of an empty prefix: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestPresign fetches presigned URLs with a plain net/http client and no credentials: a
// GET returns the object's bytes, a PUT (--put) stores a body that then reads back, and a
// URL whose signature no longer matches (another key put in its path) is refused where
// the server checks signatures. --expires is written into the URL, 7 days at most.
func TestPresign(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		data := randomFile(t, filepath.Join(t.TempDir(), "f"), 70_000)
		putWithSDK(t, srv, bucket, "dir/get me.bin", data)

		r := must(t, srv, "presign", "s3://"+bucket+"/dir/get me.bin")
		url := strings.TrimSpace(r.stdout)
		if !strings.Contains(url, "X-Amz-Expires=3600") || strings.Count(r.stdout, "\n") != 1 {
			t.Fatalf("presign printed %q, want one URL valid for 3600 s", r.stdout)
		}
		status, body := httpDo(t, http.MethodGet, url, nil)
		if status != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("GET of the presigned URL: %d, %d bytes, want 200 and the %d bytes", status, len(body), len(data))
		}
		// moto does not check signatures unless told to: it serves the tampered URL too.
		tampered := strings.Replace(url, "get%20me.bin", "other.bin", 1)
		putWithSDK(t, srv, bucket, "dir/other.bin", data)
		wantTampered := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[srv.Kind == "moto"]
		if status, body := httpDo(t, http.MethodGet, tampered, nil); tampered == url || status != wantTampered {
			t.Fatalf("GET of the URL with another key: %d, want %d\n%s", status, wantTampered, body)
		}

		r = must(t, srv, "--json", "presign", "--put", "--expires", "7d", "s3://"+bucket+"/up/new.bin")
		var j struct{ Event, Method, URL, Src, Expires string }
		if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || j.Event != "presigned" || j.Method != http.MethodPut ||
			j.Src != "s3://"+bucket+"/up/new.bin" || j.Expires == "" || !strings.Contains(j.URL, "X-Amz-Expires=604800") {
			t.Fatalf("presign --json --put: %v %+v\n%s", err, j, r.stdout)
		}
		if status, body := httpDo(t, http.MethodPut, j.URL, data[:1000]); status != http.StatusOK {
			t.Fatalf("PUT to the presigned URL: %d\n%s", status, body)
		}
		if got := objectBytes(t, srv, bucket, "up/new.bin"); !bytes.Equal(got, data[:1000]) {
			t.Fatalf("the object PUT through the presigned URL reads back as %d bytes, want the 1000 sent", len(got))
		}

		for _, args := range [][]string{
			{"presign", "--expires", "8d", "s3://" + bucket + "/k"},
			{"presign", "--expires", "0s", "s3://" + bucket + "/k"},
			{"presign", "s3://" + bucket + "/dir/"},
			{"--no-sign-request", "presign", "s3://" + bucket + "/k"},
		} {
			if r := haul(t, srv, nil, args...); r.code != 2 || r.stdout != "" || r.stderr == "" {
				t.Fatalf("haul %s: exit %d, want 2 with a message\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
	})
}

// httpDo sends one request with the standard library's client and no credentials, and
// returns the status and body.
func httpDo(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, got
}

// TestRb: rb refuses a bucket that holds objects, and one that holds only an incomplete
// upload (the servers would remove it, parts and all), saying that --force empties it;
// rb --force deletes every object, aborts every upload and removes the bucket; an empty
// bucket goes without --force. A versioned bucket keeps its versions when its objects are
// deleted: rb --force then says so and exits 1 with the bucket still there.
func TestRb(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		c := srv.Client(t)
		bucket := srv.NewBucket(t)
		putObjects(t, srv, bucket, 10, "a", "d/b", "d/e/c")
		upload := func(bucket string) {
			t.Helper()
			up, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("d/part")})
			if err == nil {
				_, err = c.UploadPart(t.Context(), &s3.UploadPartInput{Bucket: &bucket, Key: up.Key, UploadId: up.UploadId,
					PartNumber: aws.Int32(1), Body: bytes.NewReader(make([]byte, 1000))})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r := haul(t, srv, nil, "rb", "s3://"+bucket)
		if r.code != 1 || !strings.Contains(r.stderr, "s3://"+bucket+" is not empty; --force deletes every object") || !strings.Contains(r.stderr, "BucketNotEmpty") ||
			!bucketExists(t, srv, bucket) || len(keys(t, srv, bucket, "")) != 3 {
			t.Fatalf("rb of a bucket with objects: exit %d, want 1 saying --force empties it, and the bucket as it was\n%s", r.code, r.stderr)
		}
		upload(bucket)
		evs, sum := jsonRun(t, srv, 0, "rb", "--force", "s3://"+bucket)
		counts(t, "rb --force", sum, map[string]float64{"deleted": 3, "aborted": 1, "failed": 0, "removed": 1}, "")
		if fmt.Sprint(kinds(evs)) != fmt.Sprint(map[string]int{"deleted": 3, "aborted": 1, "removed": 1}) || bucketExists(t, srv, bucket) {
			t.Fatalf("rb --force: events %v, bucket still there: %v", kinds(evs), bucketExists(t, srv, bucket))
		}

		onlyUpload := srv.NewBucket(t)
		upload(onlyUpload)
		r = haul(t, srv, nil, "rb", "s3://"+onlyUpload)
		if r.code != 1 || !strings.Contains(r.stderr, "holds 1 incomplete multipart upload") || !bucketExists(t, srv, onlyUpload) {
			t.Fatalf("rb of a bucket with only an incomplete upload: exit %d, want 1 saying so\n%s", r.code, r.stderr)
		}
		empty := srv.NewBucket(t)
		if r := must(t, srv, "rb", "s3://"+empty); r.stdout != "remove_bucket: s3://"+empty+"\n" || bucketExists(t, srv, empty) {
			t.Fatalf("rb of an empty bucket printed %q; still there: %v", r.stdout, bucketExists(t, srv, empty))
		}
		if r := haul(t, srv, nil, "rb", "s3://"+empty); r.code != 1 || !strings.Contains(r.stderr, "does not exist") {
			t.Fatalf("rb of a missing bucket: exit %d, want 1\n%s", r.code, r.stderr)
		}
		if r := haul(t, srv, nil, "rb", "s3://"+onlyUpload+"/key"); r.code != 2 {
			t.Fatalf("rb of a key: exit %d, want 2\n%s", r.code, r.stderr)
		}

		versioned := srv.NewBucket(t)
		_, err := c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: &versioned,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		if srv.Kind == "versitygw" {
			// versitygw, as s3test starts it (posix, no versioning directory), has no versioning.
			if err == nil || !strings.Contains(err.Error(), "VersioningNotConfigured") {
				t.Fatalf("versitygw enabled versioning (%v): test rb of a versioned bucket on it too", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		putObjects(t, srv, versioned, 10, "a", "a")
		r = haul(t, srv, nil, "rb", "--force", "s3://"+versioned)
		if r.code != 1 || !strings.Contains(r.stderr, "still holds object versions or delete markers (its versioning is Enabled)") ||
			strings.Contains(r.stdout, "remove_bucket") || !bucketExists(t, srv, versioned) {
			t.Fatalf("rb --force of a versioned bucket: exit %d, want 1 saying why and the bucket there\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// bucketExists asks the server, with the SDK, whether the bucket is there.
func bucketExists(t *testing.T, srv *s3test.Server, bucket string) bool {
	t.Helper()
	_, err := srv.Client(t).HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: &bucket})
	var nf *types.NotFound
	switch {
	case err == nil:
		return true
	case errors.As(err, &nf):
		return false
	}
	t.Fatalf("HeadBucket %s: %v", bucket, err)
	return false
}

// TestCompletion: haul completion writes a script for each shell cobra supports, and the
// bash one, sourced in bash, completes command names and a command's flags by asking haul
// (its hidden __complete command). bash-completion's _get_comp_words_by_ref, which the
// script calls, is stood in for by the plain split of the words, which is what it gives
// for words without quotes, = or :.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "# bash completion V2 for haul",
		"zsh":        "#compdef haul",
		"fish":       "# fish completion for haul",
		"powershell": "# powershell completion for haul",
	} {
		r := haul(t, nil, nil, "completion", shell)
		if r.code != 0 || !strings.HasPrefix(r.stdout, want) || r.stderr != "" {
			t.Fatalf("haul completion %s: exit %d, output starting %q, want %q\n%s", shell, r.code, r.stdout[:min(len(r.stdout), 100)], want, r.stderr)
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the scripts were checked by their first lines only")
	}
	script := `_get_comp_words_by_ref() { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
source <(haul completion bash) || exit 1
complete -p haul || exit 1
ask() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); __start_haul 2>/dev/null; echo "${COMPREPLY[*]}"; }
ask haul c
ask haul rb --f
ask haul uploads a
`
	cmd := exec.CommandContext(t.Context(), bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(haulBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	want := "complete -o default -F __start_haul haul\ncat completion cp\n--force\nabort\n"
	if err != nil || string(out) != want {
		t.Fatalf("bash completion: %v\n%s\nwant\n%s", err, out, want)
	}
}

// TestStatEncryptionAndVersion: stat gives the SSE mode and KMS key of an object put with
// them, and the version ID of an object in a versioned bucket, where the server keeps them.
// The servers differ, and the test says how: moto keeps and returns SSE-S3 and SSE-KMS
// (any key ID); MinIO refuses both without a KMS (501 NotImplemented); versitygw accepts
// the headers and keeps nothing, so stat shows no encryption (nor does the server's own
// HEAD). MinIO and moto version; versitygw as s3test starts it does not (see TestRb).
func TestStatEncryptionAndVersion(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		c := srv.Client(t)
		bucket := srv.NewBucket(t)
		const keyID = "arn:aws:kms:us-east-1:123456789012:key/0000-test"
		for _, tc := range []struct {
			key, encryption string
			in              s3.PutObjectInput
		}{
			{"aes", "AES256", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAes256}},
			{"kms", "aws:kms (KMS key " + keyID + ")", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyID)}},
		} {
			in := tc.in
			in.Bucket, in.Key, in.Body = &bucket, aws.String(tc.key), strings.NewReader("x")
			_, err := c.PutObject(t.Context(), &in)
			switch srv.Kind {
			case "minio":
				if err == nil || !strings.Contains(err.Error(), "NotImplemented") {
					t.Fatalf("MinIO without a KMS took SSE (%v): test stat of it there too", err)
				}
				continue
			case "versitygw":
				tc.encryption = ""
			}
			if err != nil {
				t.Fatal(err)
			}
			got := statFields(t, must(t, srv, "stat", "s3://"+bucket+"/"+tc.key).stdout)
			if got["Encryption"] != tc.encryption {
				t.Fatalf("stat of an object put with %s: Encryption %q, want %q", tc.key, got["Encryption"], tc.encryption)
			}
			var j struct {
				SSE      string `json:"sse"`
				KMSKeyID string `json:"sse_kms_key_id"`
			}
			if err := json.Unmarshal([]byte(must(t, srv, "--json", "stat", "s3://"+bucket+"/"+tc.key).stdout), &j); err != nil ||
				j.SSE != string(in.ServerSideEncryption) && tc.encryption != "" || j.KMSKeyID != aws.ToString(in.SSEKMSKeyId) && tc.encryption != "" {
				t.Fatalf("stat --json of an object put with %s: %v %+v", tc.key, err, j)
			}
		}

		if srv.Kind == "versitygw" {
			return
		}
		versioned := srv.NewBucket(t)
		if _, err := c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: &versioned,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
		out, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &versioned, Key: aws.String("k"), Body: strings.NewReader("x")})
		if err != nil || aws.ToString(out.VersionId) == "" {
			t.Fatalf("put in a versioned bucket: %v, version %q", err, aws.ToString(out.VersionId))
		}
		if got := statFields(t, must(t, srv, "stat", "s3://"+versioned+"/k").stdout); got["Version ID"] != aws.ToString(out.VersionId) {
			t.Fatalf("stat in a versioned bucket: Version ID %q, want %q", got["Version ID"], aws.ToString(out.VersionId))
		}
	})
}
