#!/usr/bin/env bash
# Load script: seeds N audit events (default 1000000) in a throwaway Redis
# and downloads them all through GET /api/v1/audit over real HTTP, sampling
# the process's RSS; fails if it grows by 64 MB or more during the download.
# Usage: scripts/audit-rss.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
go test -run '^TestLoadAuditDownload$' -count=1 -timeout 60m -v ./adapters/api/ -args -load.audit="$n" | grep -E 'load_test|FAIL|ok'
