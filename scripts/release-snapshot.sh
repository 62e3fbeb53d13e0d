#!/usr/bin/env bash
# release-snapshot.sh builds a release into dist/ and publishes nothing: goreleaser (pinned in
# scripts/install-tools.sh, installed into .tools/bin on first use) builds the binaries, the
# archives and the checksums file (.goreleaser.yaml); scripts/ociimage makes the container
# image from the linux binaries, with no Docker daemon and no registry, and adds it to the
# checksums file. Each step says how long it took.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

die() {
	echo "release-snapshot: $*" >&2
	exit 1
}

scripts/install-tools.sh goreleaser ||
	die "goreleaser could not be installed (it builds with go install from the Go module proxy)"

# goreleaser reads the repository's remote URL and, in a snapshot, drops every git fact (the
# commit included) when there is none, as in a clone made without one. A remote given to
# git through the environment, for this command only, is enough: nothing is fetched.
git_env=()
if ! git ls-remote --get-url >/dev/null 2>&1; then
	git_env=(GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/haul-s3/haul.git)
fi

start=$SECONDS
env "${git_env[@]}" .tools/bin/goreleaser release --snapshot --clean
echo "release-snapshot: goreleaser took $((SECONDS - start))s"

start=$SECONDS
go -C scripts/ociimage run . -dist "$REPO/dist" -created "$(git show -s --format=%cI HEAD)"
echo "release-snapshot: the container image took $((SECONDS - start))s"
