#!/usr/bin/env bash
# Installs the Debian 12 (bookworm) packages rectrack needs. Idempotent:
# packages already present are left alone, and the package index is
# refreshed only when something is missing.
#
#   install-deps.sh            everything to build, test, run the demo and the
#                              benchmarks, plus buf (from npm) for the proto
#                              lint and `buf curl`
#   install-deps.sh --runtime  only the shared libraries rectrackd, rectrack
#                              and rectrack-admin load at run time: no
#                              compiler, headers, test tools, npm or buf
#
# docs/development.md says what each package is for.
set -euo pipefail

usage() {
  echo "usage: $0 [--runtime]" >&2
  exit 2
}

runtime_only=false
case $# in
0) ;;
1) [ "$1" = "--runtime" ] && runtime_only=true || usage ;;
*) usage ;;
esac

# What the three binaries link against (apt adds the libraries these
# depend on, such as libminizip1 and libssl3 for libxlsxwriter4).
runtime_packages=(
  libuv1 libnghttp2-14 libprotobuf-c1 liblmdb0 libsodium23 libjansson4
  libxlsxwriter4 zlib1g libssl3 libicu72 libmicrohttpd12 libgnutls30
)

build_packages=(
  # build
  build-essential cmake pkg-config
  # the libraries' development files and the protobuf compilers
  libuv1-dev libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler
  protobuf-compiler libprotobuf-dev liblmdb-dev lmdb-utils libsodium-dev
  libjansson-dev libxlsxwriter-dev
  # ICU: case folding, accent removal and word breaking of the word index
  libicu-dev
  # zlib: the transport decompresses gzip/deflate requests (grpc/)
  zlib1g-dev
  # TLS in rectrackd and the CLI (OpenSSL 3); the openssl CLI makes the
  # test certificates
  libssl-dev openssl
  # tests
  libcmocka-dev python3 python3-grpcio python3-protobuf python3-openpyxl
  grpc-proto
  # the format_check test (clang-format finds nothing to change)
  clang-format
  # protoc plugin generating the Python stubs the end-to-end tests use
  # (and the C++ ones of the interop client)
  protobuf-compiler-grpc
  # the stock gRPC C++ client of the interop tests (tests/e2e/interop): a
  # second, independent gRPC stack against the server; g++ comes with
  # build-essential
  libgrpc++-dev
  # the nginx TLS front, tested end to end (tests/e2e/tls), and the raw
  # HTTP/2 client library of the hostile test clients (tests/e2e)
  nginx python3-h2
  # the HTTP listener of rectrackd (service/http): libmicrohttpd and
  # GnuTLS, its TLS library, for HTTPS with the gRPC certificate
  libmicrohttpd-dev libgnutls28-dev
  # the web tests (tests/e2e/web): pages rendered in headless Chromium,
  # /metrics checked by promtool and scraped by a Prometheus server
  chromium prometheus
  # benchmarks
  nghttp2-client
  # the fuzz targets (-DRT_FUZZ=ON, tests/fuzz): clang, with libFuzzer and
  # the sanitizer runtimes it links
  clang libclang-rt-14-dev
)

if $runtime_only; then
  packages=("${runtime_packages[@]}")
else
  packages=("${build_packages[@]}")
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "$@"
}

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
    grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

if $runtime_only; then
  exit 0
fi

# buf (proto lint and format, and `buf curl` in docs/api.md) is not a
# Debian package; it comes from the npm registry, pinned, into a tools
# directory that CMake looks in.
buf_version=1.75.0
tools_dir=${RT_TOOLS_DIR:-/opt/rectrack-tools}
if [ "$(id -u)" -ne 0 ] && [ -z "${RT_TOOLS_DIR:-}" ]; then
  tools_dir=$HOME/.local/share/rectrack-tools
fi
if [ "$("$tools_dir/node_modules/.bin/buf" --version 2>/dev/null)" != "$buf_version" ]; then
  if ! command -v npm >/dev/null; then
    echo "install-deps: installing nodejs and npm for buf"
    apt_install nodejs npm
  fi
  echo "install-deps: installing buf $buf_version into $tools_dir"
  mkdir -p "$tools_dir"
  npm install --prefix "$tools_dir" --no-audit --no-fund --silent "@bufbuild/buf@$buf_version"
fi
