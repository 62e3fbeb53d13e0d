package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestProfileGivesEndpointAndCredentials runs haul with no endpoint or keys in the
// environment: --profile must find endpoint_url in the shared config file and the keys in
// the shared credentials file, with AWS_CA_BUNDLE set as on these machines.
func TestProfileGivesEndpointAndCredentials(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config")
		creds := filepath.Join(dir, "credentials")
		writeText(t, cfg, "[profile haul-test]\nregion = us-east-1\nendpoint_url = "+srv.Endpoint+"\n")
		writeText(t, creds, "[haul-test]\naws_access_key_id = "+srv.AccessKey+"\naws_secret_access_key = "+srv.SecretKey+"\n")
		file := filepath.Join(dir, "f.txt")
		randomFile(t, file, 100)

		cmd := haulCmd(t, nil, "--profile", "haul-test", "cp", file, "s3://"+bucket+"/via-profile")
		cmd.Env = append(withoutAWS(cmd.Env), "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+creds,
			"AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt", "AWS_EC2_METADATA_DISABLED=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("haul --profile: %v\n%s", err, out)
		}
		if got := keys(t, srv, bucket, ""); len(got) != 1 || got[0] != "via-profile" {
			t.Fatalf("keys %v, want [via-profile]", got)
		}
	})
}

// withoutAWS drops every AWS_* variable so that only what a test sets is seen.
func withoutAWS(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
