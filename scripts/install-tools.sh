#!/usr/bin/env bash
# install-tools.sh installs the pinned S3 test servers (and, when named, the pinned
# release tool goreleaser) into $REPO/.tools/bin.
#
# Usage: scripts/install-tools.sh [tool...]   (default: the servers, versitygw and minio)
#
# A tool is skipped when .tools/bin/<name> exists and .tools/bin/<name>.version
# holds the pinned version. A binary without a stamp is adopted (stamp written)
# when `go version -m` shows it was built from the pinned module version.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/.tools/bin"

declare -A PKG=(
	[versitygw]=github.com/versity/versitygw/cmd/versitygw
	[minio]=github.com/minio/minio
	[goreleaser]=github.com/goreleaser/goreleaser/v2
)
declare -A VER=(
	[versitygw]=v1.8.0
	[minio]=v0.0.0-20260212201848-7aac2a2c5b7c
	[goreleaser]=v2.15.1
)
# The default set: the servers the tests need. goreleaser (make release-snapshot) is
# installed only when named.
ALL=(versitygw minio)

die() {
	echo "install-tools: $*" >&2
	exit 1
}

# built_version prints the main module version recorded in a Go binary.
built_version() {
	go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# build runs `go install` for one tool from a temp dir outside the module.
build() {
	local name=$1 tmp log start
	tmp="$(mktemp -d)"
	log="$REPO/.tools/$name-install.log"
	start=$SECONDS
	if ! (cd "$tmp" && GOWORK=off GOFLAGS='' GOBIN="$BIN" \
		go install "${PKG[$name]}@${VER[$name]}") >"$log" 2>&1; then
		rm -rf "$tmp"
		tail -n 30 "$log" >&2
		die "building $name ${VER[$name]} failed (full log: $log)"
	fi
	rm -rf "$tmp"
	echo "$name ${VER[$name]}: installed in $((SECONDS - start))s"
}

install_tool() {
	local name=$1 want=${VER[$1]} bin="$BIN/$1" stamp="$BIN/$1.version"
	if [[ -x $bin && -f $stamp && "$(<"$stamp")" == "$want" ]]; then
		echo "$name $want: already installed"
		return
	fi
	if [[ -x $bin && "$(built_version "$bin")" == "$want" ]]; then
		echo "$want" >"$stamp"
		echo "$name $want: already installed (stamp written)"
		return
	fi
	rm -f "$stamp"
	build "$name"
	[[ "$(built_version "$bin")" == "$want" ]] ||
		die "$bin does not report module version $want after build"
	echo "$want" >"$stamp"
}

main() {
	command -v go >/dev/null || die "go is not on PATH"
	mkdir -p "$BIN"
	local tools=("$@")
	((${#tools[@]})) || tools=("${ALL[@]}")
	local name
	for name in "${tools[@]}"; do
		[[ -n ${PKG[$name]:-} ]] || die "unknown tool '$name' (known: ${!PKG[*]})"
	done
	for name in "${tools[@]}"; do
		install_tool "$name"
	done
}

main "$@"
