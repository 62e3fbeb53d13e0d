package s3test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// Credentials and region used by every server started by this package.
const (
	accessKey = "s3testaccess"
	secretKey = "s3testsecret"
	region    = "us-east-1"
)

// skipError is a launch failure that should skip the test, not fail it.
type skipError struct{ msg string }

func (e *skipError) Error() string { return e.msg }

// kindSpec describes how to run one kind of server.
type kindSpec struct {
	ports   int // number of free ports the server needs
	command func(bin, dataDir string, ports []int) *exec.Cmd
}

// specFor returns the spec for kind, or false for an unknown kind.
func specFor(kind string) (kindSpec, bool) {
	switch kind {
	case "versitygw":
		return kindSpec{ports: 1, command: versitygwCommand}, true
	case "minio":
		return kindSpec{ports: 2, command: minioCommand}, true
	case "moto":
		return kindSpec{ports: 1, command: motoCommand}, true
	}
	return kindSpec{}, false
}

// binaryFor returns the executable for kind, or an error saying how to get it.
func binaryFor(kind string) (string, error) {
	if kind == "moto" {
		bin, err := exec.LookPath("moto_server")
		if err != nil {
			return "", motoMissing(os.Getenv(serversEnv))
		}
		return bin, nil
	}
	bin := filepath.Join(ToolsBin(), kind)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("s3test: %s binary is missing at %s: "+
			"run `make tools` (scripts/install-tools.sh): %w", kind, bin, err)
	}
	return bin, nil
}

// motoMissing is the error for moto_server missing from PATH, given servers, the value of
// serversEnv: a skip when moto is only one of the default kinds (moto is optional), a
// failure when servers names it, since a skip would then hide that what was asked for did
// not run.
func motoMissing(servers string) error {
	const how = "moto_server is not on PATH (pip install 'moto[server]')"
	if slices.Contains(namedKinds(servers), "moto") {
		return fmt.Errorf("s3test: %s, and %s names moto: failing rather than skipping", how, serversEnv)
	}
	return &skipError{"s3test: " + how + "; skipping moto tests"}
}

// lookupKind returns the spec and executable for kind.
func lookupKind(kind string) (kindSpec, string, error) {
	spec, ok := specFor(kind)
	if !ok {
		return kindSpec{}, "", errors.New("s3test: unknown server kind " +
			strconv.Quote(kind) + " (known: versitygw, minio, moto)")
	}
	bin, err := binaryFor(kind)
	return spec, bin, err
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// versitygwCommand runs VersityGW with the posix backend in single-account
// mode; --quiet drops per-request logging, --keep-alive reuses connections.
func versitygwCommand(bin, dataDir string, ports []int) *exec.Cmd {
	return exec.Command(bin,
		"--access", accessKey, "--secret", secretKey, "--region", region,
		"--port", addr(ports[0]), "--quiet", "--keep-alive",
		"posix", dataDir)
}

// minioCommand runs a single-drive MinIO server with the console, update
// checks and call-home off, and CI mode on (smaller buffer pool).
func minioCommand(bin, dataDir string, ports []int) *exec.Cmd {
	cmd := exec.Command(bin, "server",
		"--address", addr(ports[0]), "--console-address", addr(ports[1]),
		dataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+accessKey, "MINIO_ROOT_PASSWORD="+secretKey,
		"MINIO_SITE_REGION="+region, "MINIO_BROWSER=off", "MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off", "MINIO_CI_CD=1")
	return cmd
}

// motoCommand runs moto's standalone server (it accepts any credentials).
func motoCommand(bin, _ string, ports []int) *exec.Cmd {
	return exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(ports[0]))
}
