// Package s3test starts real S3-compatible servers (VersityGW, MinIO and
// moto) on 127.0.0.1 for tests, and provides helpers to talk to them.
//
// Servers listen on free loopback ports and keep their data in temporary
// directories. Use Shared for a server that lives for the whole test binary
// (and call RunMain from TestMain so it is stopped), or Start for a private
// server owned by one test:
//
//	func TestMain(m *testing.M) { os.Exit(s3test.RunMain(m)) }
//
//	func TestUpload(t *testing.T) {
//		for _, kind := range s3test.Kinds() {
//			t.Run(kind, func(t *testing.T) {
//				srv := s3test.Shared(t, kind)
//				bucket := srv.NewBucket(t)
//				client := srv.Client(t)
//				// ...
//			})
//		}
//	}
//
// The versitygw and minio binaries are installed into the repository's
// .tools/bin by `make tools` (scripts/install-tools.sh); moto_server is taken
// from PATH and tests for it are skipped when it is missing, or fail when
// HAUL_TEST_SERVERS names moto. A versitygw or MinIO that is missing or does
// not start fails every test that asks for it.
//
// With HAUL_TEST_SERVER_REPORT (ReportEnv) naming a file, each test binary
// appends a line per server kind and outcome (started, could not start,
// skipped, not used), which `make test` prints after `go test`.
package s3test
