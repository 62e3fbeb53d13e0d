// Command ociimage makes haul's container image from the linux binaries of a goreleaser
// dist directory, with no Docker daemon and no registry: a scratch image holding the binary
// and a CA certificate bundle, for linux/amd64 and linux/arm64 in one image index, written
// as an OCI image layout directory and as a tar archive of it. It is a module of its own so
// that haul's go.mod does not carry go-containerregistry.
//
// Usage (from scripts/release-image.sh, after goreleaser):
//
//	go run . -dist ../../dist -created 2026-12-01T02:30:07Z
//
// It reads dist/metadata.json (version, commit, date) and dist/artifacts.json (the binaries)
// and writes dist/haul_VERSION_image/ and dist/haul_VERSION_image.tar, and appends the tar's
// SHA-256 to the checksums file goreleaser wrote. Every time in the image is -created (the
// commit's), so the same binaries and CA bundle give the same image digest.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are in the image.
const (
	binPath = "usr/local/bin/haul"
	caPath  = "etc/ssl/certs/ca-certificates.crt"
	nonroot = "65532:65532" // the user haul runs as, as in distroless's nonroot images
)

// metadata is what ociimage reads of goreleaser's dist/metadata.json.
type metadata struct {
	ProjectName string    `json:"project_name"`
	Version     string    `json:"version"`
	Commit      string    `json:"commit"`
	Date        time.Time `json:"date"`
}

// artifact is what ociimage reads of an entry of goreleaser's dist/artifacts.json.
type artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"`
}

func main() {
	dist := flag.String("dist", "dist", "goreleaser's dist directory")
	ca := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "CA certificate bundle to put in the image (Debian: the ca-certificates package)")
	created := flag.String("created", "", "the time of every file and of the image, RFC 3339: the commit's (git show -s --format=%cI)")
	flag.Parse()
	t, err := time.Parse(time.RFC3339, *created)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ociimage: -created:", err)
		os.Exit(2)
	}
	if err := run(*dist, *ca, t.UTC()); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

func run(dist, caFile string, created time.Time) error {
	var md metadata
	if err := readJSON(filepath.Join(dist, "metadata.json"), &md); err != nil {
		return err
	}
	var arts []artifact
	if err := readJSON(filepath.Join(dist, "artifacts.json"), &arts); err != nil {
		return err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("reading the CA bundle (on Debian: apt-get install ca-certificates): %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(ca) {
		return fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		bin, err := linuxBinary(dist, arts, arch)
		if err != nil {
			return err
		}
		img, err := image(bin, ca, arch, md, created)
		if err != nil {
			return fmt.Errorf("linux/%s: %w", arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	name := fmt.Sprintf("%s_%s_image", md.ProjectName, md.Version)
	dir := filepath.Join(dist, name)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	ref := map[string]string{"org.opencontainers.image.ref.name": "haul:" + md.Version}
	if err := p.AppendIndex(idx, layout.WithAnnotations(ref)); err != nil {
		return err
	}
	archive := dir + ".tar"
	if err := tarDir(dir, archive, created); err != nil {
		return err
	}
	return appendChecksum(dist, md, archive)
}

// image makes the image for one architecture: one layer with the binary and the CA bundle.
func image(bin, ca []byte, arch string, md metadata, created time.Time) (v1.Image, error) {
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	for _, d := range []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "usr/", "usr/local/", "usr/local/bin/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	// /tmp for the temporary files of downloads made in the container's own file system.
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: created, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{caPath, 0o644, ca}, {binPath, 0o755, bin}} {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: created, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar.Bytes())), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Created = v1.Time{Time: created}
	cfg.History = nil
	cfg.Config = v1.Config{
		Entrypoint: []string{"/" + binPath},
		Env:        []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=/" + caPath},
		User:       nonroot,
		WorkingDir: "/tmp",
		Labels: map[string]string{
			"org.opencontainers.image.title":    md.ProjectName,
			"org.opencontainers.image.version":  md.Version,
			"org.opencontainers.image.revision": md.Commit,
			"org.opencontainers.image.source":   "https://github.com/haul-s3/haul",
			"org.opencontainers.image.created":  created.Format(time.RFC3339),
		},
	}
	return mutate.ConfigFile(img, cfg)
}

// linuxBinary returns the bytes of the linux binary for arch among goreleaser's artifacts.
func linuxBinary(dist string, arts []artifact, arch string) ([]byte, error) {
	for _, a := range arts {
		if a.Type == "Binary" && a.Goos == "linux" && a.Goarch == arch {
			return os.ReadFile(artifactPath(dist, a))
		}
	}
	return nil, fmt.Errorf("no linux/%s binary in %s/artifacts.json", arch, dist)
}

// tarDir writes the files under dir, in name order with time t, to the tar archive path: the
// OCI image layout as one file, which docker load, podman load and skopeo take.
func tarDir(dir, path string, t time.Time) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range names {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		if fi.IsDir() {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755, ModTime: t, Format: tar.FormatPAX}); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644, Size: int64(len(data)), ModTime: t, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// appendChecksum adds archive's line to the checksums file goreleaser wrote, in its format
// (sha256sum's: the hex digest, two spaces, the file name), so one file covers every artifact.
func appendChecksum(dist string, md metadata, archive string) error {
	sums := filepath.Join(dist, fmt.Sprintf("%s_%s_checksums.txt", md.ProjectName, md.Version))
	if _, err := os.Stat(sums); err != nil {
		return fmt.Errorf("goreleaser's checksums file: %w", err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(archive) + "\n"
	old, err := os.ReadFile(sums)
	if err != nil {
		return err
	}
	if bytes.Contains(old, []byte("  "+filepath.Base(archive)+"\n")) {
		return errors.New(sums + " already lists " + filepath.Base(archive) + ": run goreleaser again first")
	}
	f, err := os.OpenFile(sums, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// artifactPath returns where a's file is: goreleaser records paths relative to the
// directory it ran in, the one that holds dist.
func artifactPath(dist string, a artifact) string {
	if filepath.IsAbs(a.Path) {
		return a.Path
	}
	return filepath.Join(filepath.Dir(dist), a.Path)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (run goreleaser first: make release-snapshot)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
