#!/usr/bin/env bash
# Generates test/conformance/gen from the conformance module's protos in the Go module cache
# (downloaded by `go install` in scripts/install-tools.mjs, or here with `go mod download`).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(cat test/conformance/suite-version)
module="connectrpc.com/conformance@v${version}"
dir=$(go mod download -json "$module" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
PATH="$PWD/node_modules/.bin:$PATH" npx buf generate "$dir/proto" --template test/conformance/buf.gen.yaml
