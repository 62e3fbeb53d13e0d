//go:build release

package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// root is the repository, where make release-snapshot ran goreleaser: the artifacts' paths
// are relative to it.
const root = "../.."

var dist = filepath.Join(root, "dist")

// The targets every release builds.
var targets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// metadata is what the test reads of goreleaser's dist/metadata.json.
type metadata struct {
	ProjectName string `json:"project_name"`
	Version     string `json:"version"`
	Commit      string `json:"commit"`
}

// artifact is an entry of goreleaser's dist/artifacts.json.
type artifact struct {
	Name, Path, Goos, Goarch, Type string
}

func (a artifact) target() string { return a.Goos + "/" + a.Goarch }

// snapshot is what make release-snapshot left in dist/.
type snapshot struct {
	md       metadata
	binaries map[string]artifact // by target
	archives map[string]artifact // by target
}

// readSnapshot reads dist/ and fails the test unless it was built from the commit checked
// out, with a binary and an archive for every target.
func readSnapshot(t *testing.T) snapshot {
	t.Helper()
	var s snapshot
	readJSON(t, filepath.Join(dist, "metadata.json"), &s.md)
	var arts []artifact
	readJSON(t, filepath.Join(dist, "artifacts.json"), &arts)
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v (the test compares the snapshot's commit with the checkout's)", err)
	}
	if got := strings.TrimSpace(string(head)); s.md.Commit != got {
		t.Fatalf("dist/ was built from %s, the checkout is at %s: run make release-snapshot", s.md.Commit, got)
	}
	s.binaries, s.archives = map[string]artifact{}, map[string]artifact{}
	for _, a := range arts {
		switch a.Type {
		case "Binary":
			s.binaries[a.target()] = a
		case "Archive":
			s.archives[a.target()] = a
		}
	}
	for _, tg := range targets {
		if _, ok := s.binaries[tg]; !ok {
			t.Errorf("no %s binary in dist/artifacts.json", tg)
		}
		if _, ok := s.archives[tg]; !ok {
			t.Errorf("no %s archive in dist/artifacts.json", tg)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return s
}

// TestSnapshotBinaryReportsItsVersion runs the linux binary built for this machine (linux on
// amd64 or arm64) and checks that haul version, --version and version --json give the
// snapshot's version and commit.
func TestSnapshotBinaryReportsItsVersion(t *testing.T) {
	s := readSnapshot(t)
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Fatalf("this test runs the linux/amd64 or linux/arm64 binary; it cannot run on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	bin := filepath.Join(root, s.binaries["linux/"+runtime.GOARCH].Path)
	wantVersion := "v" + s.md.Version
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", bin, arg, err, out)
		}
		lines := strings.Split(string(out), "\n")
		if lines[0] != "haul "+wantVersion {
			t.Errorf("haul %s: first line %q, want %q\n%s", arg, lines[0], "haul "+wantVersion, out)
		}
		if !slices.ContainsFunc(lines, func(l string) bool {
			f := strings.Fields(l)
			return len(f) >= 2 && f[0] == "revision" && f[1] == s.md.Commit
		}) {
			t.Errorf("haul %s: no line \"revision %s\"\n%s", arg, s.md.Commit, out)
		}
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("haul version --json: %v", err)
	}
	var v struct{ Version, Revision, OS, Arch string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("haul version --json: %q: %v", out, err)
	}
	if v.Version != wantVersion || v.Revision != s.md.Commit || v.OS != "linux" || v.Arch != runtime.GOARCH {
		t.Errorf("haul version --json: %+v; want version %s, revision %s, linux/%s", v, wantVersion, s.md.Commit, runtime.GOARCH)
	}
}

// TestSnapshotBinariesAreStaticAndTrimmed reads each binary's build info: built for its
// target with cgo off (so a static binary on linux, with no libc to match) and -trimpath.
func TestSnapshotBinariesAreStaticAndTrimmed(t *testing.T) {
	s := readSnapshot(t)
	for _, tg := range targets {
		t.Run(tg, func(t *testing.T) {
			info, err := buildinfo.ReadFile(filepath.Join(root, s.binaries[tg].Path))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, st := range info.Settings {
				got[st.Key] = st.Value
			}
			goos, goarch, _ := strings.Cut(tg, "/")
			want := map[string]string{"CGO_ENABLED": "0", "GOOS": goos, "GOARCH": goarch, "-trimpath": "true"}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("build setting %s = %q, want %q", k, got[k], w)
				}
			}
			if info.Main.Path != "github.com/haul-s3/haul" || info.Path != "github.com/haul-s3/haul/cmd/haul" {
				t.Errorf("built %s of module %s, want github.com/haul-s3/haul/cmd/haul", info.Path, info.Main.Path)
			}
		})
	}
}

// TestSnapshotChecksumsMatchArtifacts checks the checksums file: each line's digest is its
// file's, and it lists every archive and the container image, nothing else.
func TestSnapshotChecksumsMatchArtifacts(t *testing.T) {
	s := readSnapshot(t)
	sums := readChecksums(t, filepath.Join(dist, s.md.ProjectName+"_"+s.md.Version+"_checksums.txt"))
	want := []string{s.md.ProjectName + "_" + s.md.Version + "_image.tar"}
	for _, a := range s.archives {
		want = append(want, a.Name)
	}
	var listed []string
	for name, sum := range sums {
		listed = append(listed, name)
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Errorf("the checksums file lists %s: %v", name, err)
			continue
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: SHA-256 %x, the checksums file says %s", name, got, sum)
		}
	}
	slices.Sort(want)
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("the checksums file lists\n%v\nwant\n%v", listed, want)
	}
}

// TestSnapshotArchivesHoldTheBinaries opens each archive: the binary in it is the one built
// for its target, beside the README and the CHANGELOG.
func TestSnapshotArchivesHoldTheBinaries(t *testing.T) {
	s := readSnapshot(t)
	for _, tg := range targets {
		t.Run(tg, func(t *testing.T) {
			bin := "haul"
			if strings.HasPrefix(tg, "windows/") {
				bin = "haul.exe"
			}
			files := readArchive(t, filepath.Join(root, s.archives[tg].Path))
			for _, name := range []string{bin, "README.md", "CHANGELOG.md"} {
				if _, ok := files[name]; !ok {
					t.Errorf("%s: no %s in it (it has %v)", s.archives[tg].Name, name, keys(files))
				}
			}
			built, err := os.ReadFile(filepath.Join(root, s.binaries[tg].Path))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(files[bin], built) {
				t.Errorf("%s: its %s is not the %s binary built", s.archives[tg].Name, bin, tg)
			}
		})
	}
}

// TestSnapshotImage opens the container image (an OCI image layout in a tar archive): an
// index of linux/amd64 and linux/arm64 images, each one layer holding that target's binary
// and a CA bundle, run as haul with a user that is not root.
func TestSnapshotImage(t *testing.T) {
	s := readSnapshot(t)
	img := readArchive(t, filepath.Join(dist, s.md.ProjectName+"_"+s.md.Version+"_image.tar"))
	blob := func(digest string) []byte {
		t.Helper()
		b, ok := img["blobs/"+strings.Replace(digest, ":", "/", 1)]
		if !ok {
			t.Fatalf("no blob %s in the image archive", digest)
		}
		if sum := sha256.Sum256(b); "sha256:"+hex.EncodeToString(sum[:]) != digest {
			t.Fatalf("blob %s has digest %x", digest, sum)
		}
		return b
	}
	type descriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Annotations map[string]string `json:"annotations"`
		Platform    *struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		} `json:"platform"`
	}
	var top struct{ Manifests []descriptor }
	unmarshal(t, img["index.json"], &top)
	if len(top.Manifests) != 1 || top.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "haul:"+s.md.Version {
		t.Fatalf("index.json: want one image index named haul:%s, got %+v", s.md.Version, top.Manifests)
	}
	var idx struct{ Manifests []descriptor }
	unmarshal(t, blob(top.Manifests[0].Digest), &idx)
	var platforms []string
	for _, m := range idx.Manifests {
		if m.Platform == nil {
			t.Fatalf("image %s has no platform", m.Digest)
		}
		tg := m.Platform.OS + "/" + m.Platform.Architecture
		platforms = append(platforms, tg)
		t.Run(tg, func(t *testing.T) {
			var man struct {
				Config descriptor
				Layers []descriptor
			}
			unmarshal(t, blob(m.Digest), &man)
			var cfg struct {
				OS, Architecture string
				Config           struct{ Entrypoint []string }
			}
			unmarshal(t, blob(man.Config.Digest), &cfg)
			if cfg.OS+"/"+cfg.Architecture != tg {
				t.Errorf("config is for %s/%s, the index says %s", cfg.OS, cfg.Architecture, tg)
			}
			if len(man.Layers) != 1 {
				t.Fatalf("%d layers, want 1", len(man.Layers))
			}
			zr, err := gzip.NewReader(bytes.NewReader(blob(man.Layers[0].Digest)))
			if err != nil {
				t.Fatal(err)
			}
			layer := readTar(t, zr)
			if len(cfg.Config.Entrypoint) != 1 {
				t.Fatalf("entrypoint %q, want the binary", cfg.Config.Entrypoint)
			}
			built, err := os.ReadFile(filepath.Join(root, s.binaries[tg].Path))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(layer[strings.TrimPrefix(cfg.Config.Entrypoint[0], "/")], built) {
				t.Errorf("the entrypoint %s is not the %s binary built (layer: %v)", cfg.Config.Entrypoint[0], tg, keys(layer))
			}
			if !x509.NewCertPool().AppendCertsFromPEM(layer["etc/ssl/certs/ca-certificates.crt"]) {
				t.Errorf("no CA certificates in /etc/ssl/certs/ca-certificates.crt (layer: %v)", keys(layer))
			}
		})
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("image platforms %v, want linux/amd64 and linux/arm64", platforms)
	}
}

// TestGoInstallReportsTheModuleVersion runs go install github.com/haul-s3/haul/cmd/haul@v0.99.1
// against a module proxy on disk that serves this checkout as v0.99.1 (the dependencies come
// from the module cache), into an empty module cache: what a user of go install gets from a
// tagged release, nothing linked. The haul it installs must say v0.99.1. The proxy's zip is
// checked as the real proxy's would be: a file name Windows reserves, say, fails the install.
func TestGoInstallReportsTheModuleVersion(t *testing.T) {
	const version = "v0.99.1"
	if out, err := exec.Command("go", "-C", root, "mod", "download").CombinedOutput(); err != nil {
		t.Fatalf("go mod download (the dependencies, for the proxy on disk): %v\n%s", err, out)
	}
	cacheOut, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	dir := filepath.Join(proxy, "github.com", "haul-s3", "haul", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2026-12-01T00:00:00Z"}`),
		version + ".mod":  gomod,
		version + ".zip":  moduleZip(t, "github.com/haul-s3/haul@"+version),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gobin := t.TempDir()
	install := exec.Command("go", "install", "github.com/haul-s3/haul/cmd/haul@"+version)
	install.Dir = t.TempDir() // outside any module
	install.Env = append(os.Environ(),
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(strings.TrimSpace(string(cacheOut)), "cache", "download"),
		"GOSUMDB=off", "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw", "GOBIN="+gobin, "GOWORK=off")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install github.com/haul-s3/haul/cmd/haul@%s: %v\n%s", version, err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "haul"), "version", "--json").Output()
	if err != nil {
		t.Fatalf("haul version --json: %v", err)
	}
	var v struct{ Version string }
	if err := json.Unmarshal(out, &v); err != nil || v.Version != version {
		t.Errorf("haul version --json: %s (%v); want version %s", out, err, version)
	}
}

// moduleZip zips the files of this checkout that git knows (less those of modules nested in
// it) as a module zip, each under prefix (module@version).
func moduleZip(t *testing.T, prefix string) []byte {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	var nested []string // directories holding a go.mod of their own
	for _, f := range files {
		if d, ok := strings.CutSuffix(f, "/go.mod"); ok {
			nested = append(nested, d+"/")
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		if slices.ContainsFunc(nested, func(d string) bool { return strings.HasPrefix(f, d) }) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(prefix + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run make release-snapshot first (make release-test does)", err)
	}
	unmarshal(t, data, v)
}

func unmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%q: %v", data, err)
	}
}

// readChecksums reads a sha256sum-style file into digests by file name.
func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("%s: line %q is not \"<sha256>  <file>\"", path, sc.Text())
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

// readArchive returns the regular files of a .tar.gz, .tar or .zip archive by name.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		files := map[string][]byte{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	return readTar(t, r)
}

func readTar(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if files[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
