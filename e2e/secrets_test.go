package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestSecretsNeverPrinted runs a full set of commands (copies up and down, single and -r,
// killed and resumed with --resume; sync both ways with --delete; ls, rm, uploads ls and
// abort, resume; commands refused for a wrong secret, a wrong session token or an unknown
// access key; commands against an endpoint that is not there), once with --debug and once
// with --debug --json, and looks through every byte they print to stdout and stderr, every
// journal and every sync state file they leave, for the credentials and for the marks of a
// signature or a presigned URL (X-Amz-Signature, Signature=, Credential=, ...).
//
// The credentials differ by server, because the servers differ in what they accept:
//   - moto accepts any credentials and any session token, so it runs with made-up ones
//     that look like AWS's (a secret with '/' and '+', a long session token);
//   - MinIO refuses a session token it did not issue (InvalidTokenId), so the test asks
//     its STS (AssumeRole, signed with the root keys) for temporary credentials: a random
//     access key, secret and a real session token;
//   - versitygw refuses any session token (InvalidToken) and has no STS, and knows only the
//     keys it was started with: it runs with those (s3testaccess/s3testsecret) and no token.
//
// The access key ID is not a secret in AWS's model (it is in every request's Authorization
// header and in CloudTrail), but haul never needs to print it either, so it is checked too.
func TestSecretsNeverPrinted(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		creds := credsFor(t, srv)
		for _, mode := range []struct {
			name  string
			flags []string
		}{
			{"debug", []string{"--debug"}},
			{"json", []string{"--debug", "--json"}},
		} {
			t.Run(mode.name, func(t *testing.T) {
				w := &leakWatch{srv: srv, creds: creds, flags: mode.flags, state: t.TempDir()}
				w.runAll(t)
				w.checkTree(t, w.state)
			})
		}
	})
}

// testCreds are the credentials one server's run uses.
type testCreds struct {
	accessKey, secretKey, token string
}

func (c testCreds) env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + c.accessKey, "AWS_SECRET_ACCESS_KEY=" + c.secretKey, "AWS_SESSION_TOKEN=" + c.token}
}

// credsFor returns the credentials to run against srv with (see TestSecretsNeverPrinted).
func credsFor(t *testing.T, srv *s3test.Server) testCreds {
	t.Helper()
	switch srv.Kind {
	case "moto":
		return testCreds{
			accessKey: "AKIAHAULLEAKCHECK7Q2Z",
			secretKey: "hAuL/leak+Check/9xQ2vRt7Lm3Pz8Wk4Ns6Yb1Cd5Ej0",
			token:     "FwoGZXIvYXdzEHaulLeakCheckSessionToken/zq81+Tm2Kp7Rv4Wx9Ys3Bn6Lf0Hd5Gc1Ja8Eu2Ow==",
		}
	case "minio":
		return minioTempCreds(t, srv)
	}
	return testCreds{accessKey: srv.AccessKey, secretKey: srv.SecretKey}
}

// minioTempCreds asks MinIO's STS for temporary credentials (AssumeRole with the root keys).
// The SDK's STS client is not a dependency of haul, so the request is signed by hand.
func minioTempCreds(t *testing.T, srv *s3test.Server) testCreds {
	t.Helper()
	body := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "DurationSeconds": {"3600"}}.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	root := aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}
	if err := v4.NewSigner().SignHTTP(t.Context(), root, req, hex.EncodeToString(sum[:]), "sts", srv.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Creds struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
		} `xml:"AssumeRoleResult>Credentials"`
	}
	if err := xml.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusOK || out.Creds.SessionToken == "" {
		t.Fatalf("MinIO AssumeRole: HTTP %d, %v:\n%s", resp.StatusCode, err, raw)
	}
	return testCreds{accessKey: out.Creds.AccessKeyID, secretKey: out.Creds.SecretAccessKey, token: out.Creds.SessionToken}
}

// wrongSecret is the secret of the wrong-credentials commands: it must not be printed either.
const wrongSecret = "wR0ng/Secret+HaulLeakCheck/5tUv8XyZ2aBcDeFgHi"

// leakWatch runs haul with one set of credentials and output flags, and checks everything
// each run prints as it goes.
type leakWatch struct {
	srv   *s3test.Server
	creds testCreds
	flags []string // --debug, --json
	state string   // XDG_STATE_HOME: the journals and sync state files
	runs  int      // outputs checked, so that a test that checked nothing fails
}

// needles returns what must never appear, by name; the last ones are matched ignoring case.
func (w *leakWatch) needles() (exact, anyCase map[string]string) {
	exact = map[string]string{
		"the secret access key":           w.creds.secretKey,
		"the secret access key, escaped":  url.QueryEscape(w.creds.secretKey),
		"the access key ID":               w.creds.accessKey,
		"the wrong secret access key":     wrongSecret,
		"the wrong secret, escaped":       url.QueryEscape(wrongSecret),
		"the session token":               w.creds.token,
		"the session token, escaped":      url.QueryEscape(w.creds.token),
		"the wrong session token":         "wRongHaulSessionToken" + w.creds.token,
		"the wrong session token escaped": url.QueryEscape("wRongHaulSessionToken" + w.creds.token),
	}
	for name, s := range exact {
		if s == "" {
			delete(exact, name)
		}
	}
	anyCase = map[string]string{
		"a presigned URL's signature":   "X-Amz-Signature",
		"a presigned URL's credential":  "X-Amz-Credential",
		"a presigned URL's token":       "X-Amz-Security-Token",
		"an Authorization header":       "Authorization:",
		"an Authorization's signature":  "Signature=",
		"an Authorization's credential": "Credential=",
	}
	return exact, anyCase
}

// check fails the test for each needle found in text, which came from what.
func (w *leakWatch) check(t *testing.T, what, text string) {
	t.Helper()
	w.runs++
	exact, anyCase := w.needles()
	for name, s := range exact {
		if i := strings.Index(text, s); i >= 0 {
			t.Errorf("%s holds %s: ...%s...", what, name, excerpt(text, i, len(s)))
		}
	}
	lower := strings.ToLower(text)
	for name, s := range anyCase {
		if i := strings.Index(lower, strings.ToLower(s)); i >= 0 {
			t.Errorf("%s holds %s: ...%s...", what, name, excerpt(text, i, len(s)))
		}
	}
}

func excerpt(text string, i, n int) string {
	return text[max(0, i-80):min(len(text), i+n+80)]
}

// cmd returns haul with the watch's credentials, state directory and output flags, against
// view (the server or a proxy in front of it), with env added last.
func (w *leakWatch) cmd(t *testing.T, view *s3test.Server, env []string, args ...string) *exec.Cmd {
	cmd := haulCmd(t, view, append(append([]string{}, w.flags...), args...)...)
	cmd.Env = append(cmd.Env, "XDG_STATE_HOME="+w.state)
	cmd.Env = append(cmd.Env, w.creds.env()...)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// What a run's exit code must be.
const (
	exitAny  = -1 // anything
	exitFail = -2 // anything but 0
)

// run runs haul and checks what it printed; want is the exit code wanted, exitFail or exitAny.
func (w *leakWatch) run(t *testing.T, want int, env []string, args ...string) result {
	t.Helper()
	cmd := w.cmd(t, w.srv, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(interface{ ExitCode() int })
		if !ok {
			t.Fatalf("running haul %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	r := result{out.String(), errb.String(), code}
	name := "haul " + strings.Join(args, " ")
	w.check(t, name+": stdout", r.stdout)
	w.check(t, name+": stderr", r.stderr)
	if want >= 0 && code != want || want == exitFail && code == 0 {
		t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, want, r.stdout, r.stderr)
	}
	return r
}

// kill runs haul against a proxy that delays requests matching slow, kills it with SIGKILL
// after n stderr lines hold marker, and checks what it printed and the journals it left.
func (w *leakWatch) kill(t *testing.T, slow func(*http.Request) bool, marker string, n int, args ...string) {
	t.Helper()
	cmd := w.cmd(t, w.srv.Delay(t, 200*time.Millisecond, slow), nil, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr := killAfter(t, cmd, marker, n)
	name := "killed haul " + strings.Join(args, " ")
	w.check(t, name+": stdout", out.String())
	w.check(t, name+": stderr", stderr)
	journals, _ := filepath.Glob(filepath.Join(w.state, "haul", "journals", "*"))
	if len(journals) == 0 {
		t.Fatalf("%s left no journal in %s", name, w.state)
	}
	for _, j := range journals {
		w.checkFile(t, j)
	}
}

func (w *leakWatch) checkFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w.check(t, path, string(data))
}

// checkTree checks every file under root.
func (w *leakWatch) checkTree(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			w.checkFile(t, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runAll runs the commands, checking each one's output as it goes, and the state files.
func (w *leakWatch) runAll(t *testing.T) {
	t.Helper()
	bucket := w.srv.NewBucket(t)
	s3 := func(key string) string { return "s3://" + bucket + "/" + key }
	local := t.TempDir()
	big := filepath.Join(local, "big.bin")
	randomFile(t, big, 24<<20)
	tree := filepath.Join(local, "tree")
	for _, name := range []string{"a.txt", "b/c.txt", "b/d/e.txt"} {
		randomFile(t, filepath.Join(tree, name), 10<<10)
	}
	dl := t.TempDir()
	parts := []string{"--part-size", "5MiB", "--concurrency", "2"}

	// Copies up: single (multipart), killed and resumed, a directory with --resume.
	w.run(t, 0, nil, append([]string{"cp", big, s3("up/big.bin")}, parts...)...)
	resumeUp := append([]string{"cp", "--resume", big, s3("up/resumed.bin")}, parts...)
	w.kill(t, s3test.IsUploadPart, "UploadPart", 2, resumeUp...)
	w.run(t, 0, nil, "uploads", "ls", s3(""))
	w.run(t, 0, nil, "resume")
	w.run(t, 0, nil, "cp", "-r", "--resume", tree, s3("tree/"))

	// Copies down: single (ranged), killed and resumed, a prefix with --resume.
	w.run(t, 0, nil, append([]string{"cp", s3("up/big.bin"), filepath.Join(dl, "big.bin")}, parts...)...)
	resumeDown := append([]string{"cp", "--resume", s3("up/resumed.bin"), filepath.Join(dl, "resumed.bin")}, parts...)
	w.kill(t, s3test.IsRangedGet, "GetObject", 2, resumeDown...)
	w.run(t, 0, nil, resumeDown...)
	w.run(t, 0, nil, "cp", "-r", "--resume", s3("tree/"), filepath.Join(dl, "tree"))

	// Sync up and down, each with something to delete, so that the state files hold records.
	w.run(t, 0, nil, "sync", tree, s3("sync/"))
	if err := os.Remove(filepath.Join(tree, "a.txt")); err != nil {
		t.Fatal(err)
	}
	randomFile(t, filepath.Join(tree, "new.txt"), 1<<10)
	w.run(t, 0, nil, "sync", "--delete", tree, s3("sync/"))
	down := filepath.Join(dl, "sync")
	randomFile(t, filepath.Join(down, "stale.txt"), 1<<10)
	w.run(t, 0, nil, "sync", "--delete", s3("sync/"), down)
	states, _ := filepath.Glob(filepath.Join(w.state, "haul", "sync", "*.state"))
	if len(states) < 2 {
		t.Fatalf("want a sync state file for each direction in %s, found %v", w.state, states)
	}

	// Listings and deletes; an incomplete upload to list.
	w.run(t, 0, nil, "ls")
	w.run(t, 0, nil, "ls", "-r", s3(""))
	w.kill(t, s3test.IsUploadPart, "UploadPart", 1, append([]string{"cp", "--resume", big, s3("up/left.bin")}, parts...)...)
	w.run(t, 0, nil, "uploads", "ls", s3(""))
	w.run(t, 0, nil, "uploads", "abort", s3(""))
	w.run(t, 0, nil, "rm", s3("up/big.bin"))
	w.run(t, 0, nil, "rm", "-r", s3("tree/"))

	// Refused credentials. moto accepts any, so there these commands succeed (their output
	// is still checked); the refusals themselves are shown on versitygw and MinIO.
	wantFail := exitFail
	if w.srv.Kind == "moto" {
		wantFail = exitAny
	}
	wrong := []string{"AWS_SECRET_ACCESS_KEY=" + wrongSecret}
	w.run(t, wantFail, wrong, "ls", s3(""))
	w.run(t, wantFail, wrong, "cp", big, s3("up/refused.bin"))
	w.run(t, wantFail, wrong, "sync", tree, s3("refused/"))
	if w.creds.token != "" {
		badToken := []string{"AWS_SESSION_TOKEN=wRongHaulSessionToken" + w.creds.token}
		w.run(t, wantFail, badToken, "ls", s3(""))
		w.run(t, wantFail, badToken, "cp", "-r", s3("sync/"), filepath.Join(dl, "refused"))
	}
	wrongID := []string{"AWS_ACCESS_KEY_ID=AKIAWRONGHAULLEAKCHK", "AWS_SECRET_ACCESS_KEY=" + wrongSecret}
	w.run(t, wantFail, wrongID, "ls", s3(""))

	// An endpoint that is not there: connection refused.
	gone := "--endpoint-url=" + closedEndpoint(t)
	w.run(t, exitFail, nil, gone, "ls", s3(""))
	w.run(t, exitFail, nil, gone, "cp", "--retries", "0", big, s3("up/gone.bin"))
	w.run(t, exitFail, nil, gone, "cp", "--retries", "0", s3("up/resumed.bin"), filepath.Join(dl, "gone.bin"))

	if w.runs < 40 {
		t.Fatalf("only %d outputs were checked", w.runs)
	}
}

// closedEndpoint returns the URL of a loopback port that nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return fmt.Sprintf("http://%s", addr)
}
