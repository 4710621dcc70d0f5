#!/bin/sh
# Builds the release binary: static (no cgo), reproducible paths, version
# stamped. The Dockerfile runs this script and so does deploy/check.sh, so
# the binary CI checks is built exactly as the image's is.
#
#   deploy/build.sh OUTPUT [VERSION [COMMIT [DATE]]]
#
# Run from the repository root. VERSION defaults to "dev", COMMIT and DATE
# to "unknown". PKG names the command to build, ./cmd/helpdesk-sync unless
# set (the simulators' image builds ./cmd/helpdesk-sync-sim).
set -eu
out=${1:?usage: deploy/build.sh OUTPUT [VERSION [COMMIT [DATE]]]}
version=${2:-dev}
commit=${3:-unknown}
date=${4:-unknown}
CGO_ENABLED=0 exec go build -trimpath \
  -ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
  -o "$out" "${PKG:-./cmd/helpdesk-sync}"
