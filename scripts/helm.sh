#!/usr/bin/env bash
# Prints the path of a helm binary, building it with `go install` from the
# Go module proxy first when there is none (on PATH or in $(go env GOPATH)/bin).
# Usage: scripts/helm.sh [VERSION]   (default: the version the chart is checked with)
set -euo pipefail
version=${1:-v3.22.0}
if command -v helm >/dev/null 2>&1; then
	command -v helm
	exit 0
fi
bin="$(go env GOPATH)/bin/helm"
if [[ ! -x "$bin" ]]; then
	echo "scripts/helm.sh: installing helm $version with go install (a few minutes, once)" >&2
	go install "helm.sh/helm/v3/cmd/helm@$version" >&2
fi
echo "$bin"
