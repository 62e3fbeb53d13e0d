package s3store

import "testing"

func TestProviderRecognition(t *testing.T) {
	for endpoint, want := range map[string]string{
		"":                                     "aws",
		"https://s3.eu-west-1.amazonaws.com":   "aws",
		"https://storage.googleapis.com":       "gcs",
		"https://oss-cn-hangzhou.aliyuncs.com": "oss",
		"http://127.0.0.1:9000":                "",
		"https://minio.example.com":            "", // a name is not proof: ask the server
		"https://notamazonaws.com":             "",
	} {
		if got := providerByEndpoint(endpoint); got != want {
			t.Errorf("endpoint %q: %q, want %q", endpoint, got, want)
		}
	}
	for server, want := range map[string]string{
		"MinIO": "minio", "VERSITYGW": "versitygw", "AmazonS3": "aws", "Ceph Object Gateway (squid)": "ceph",
		"AliyunOSS": "oss", "UploadServer": "gcs", "Werkzeug/3.1.8 Python/3.11.7": "other", "": "other",
	} {
		if got := providerByServer(server); got != want {
			t.Errorf("Server %q: %q, want %q", server, got, want)
		}
	}
	for _, name := range ProviderNames() {
		p, _ := LookupProvider(name)
		if !p.Accepts(p.Default) || (p.Addressing != "path" && p.Addressing != "virtual") {
			t.Errorf("%s: default %s not accepted, or addressing %q", name, p.Default, p.Addressing)
		}
	}
}
