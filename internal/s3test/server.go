package s3test

import (
	"os"
	"path/filepath"
	"strings"
)

// Server is a running S3-compatible server.
type Server struct {
	Kind      string // "versitygw", "minio", "moto"
	Endpoint  string // "http://127.0.0.1:PORT"
	AccessKey string
	SecretKey string
	Region    string // "us-east-1"

	proc *process
}

// Kinds returns the server kinds the suite should run against: the
// comma-separated HAUL_TEST_SERVERS environment variable, or
// "versitygw,minio,moto" when it names none. It never returns an empty list,
// so a loop over it cannot run no test and pass. A missing moto_server skips
// the moto tests, unless HAUL_TEST_SERVERS names moto: then they fail.
func Kinds() []string {
	if kinds := namedKinds(os.Getenv(serversEnv)); len(kinds) > 0 {
		return kinds
	}
	return []string{"versitygw", "minio", "moto"}
}

// serversEnv is the environment variable that picks the server kinds (see Kinds).
const serversEnv = "HAUL_TEST_SERVERS"

// namedKinds returns the kinds that servers, a value of serversEnv, names: none for "".
func namedKinds(servers string) []string {
	var kinds []string
	for _, k := range strings.Split(servers, ",") {
		if k = strings.TrimSpace(k); k != "" {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// Env returns environment variables for running the haul binary against
// this server. Append them to os.Environ(); later entries win. The AWS config
// and credentials files point at empty files so that ~/.aws does not leak in.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_REGION=" + s.Region,
		"AWS_DEFAULT_REGION=" + s.Region,
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_CONFIG_FILE=" + s.proc.emptyConfig,
		"AWS_SHARED_CREDENTIALS_FILE=" + s.proc.emptyCreds,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// ToolsBin returns the absolute path of the repository's .tools/bin. The
// HAUL_TOOLS_BIN environment variable overrides it; otherwise it is found by
// walking up from the working directory to the directory holding go.mod.
func ToolsBin() string {
	if dir := os.Getenv("HAUL_TOOLS_BIN"); dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			return abs
		}
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join(".tools", "bin")
	}
	if root, ok := moduleRoot(wd); ok {
		return filepath.Join(root, ".tools", "bin")
	}
	return filepath.Join(wd, ".tools", "bin")
}
