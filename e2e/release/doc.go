// Package release checks a release snapshot: what make release-snapshot built into dist/
// (goreleaser's binaries, archives and checksums file, and the container image), and what
// go install github.com/haul-s3/haul/cmd/haul@version gives. Its tests have the build tag
// release and are run by make release-test, not by make test, because the builds take
// minutes: go test -tags release ./e2e/release/ after make release-snapshot.
package release
