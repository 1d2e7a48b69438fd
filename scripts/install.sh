#!/bin/sh
# Installs loom, the command-line tool that runs Loom projects.
#
#   curl -fsSL https://github.com/loom-os/loom-cli/releases/latest/download/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- 0.2.0            # a pinned version
#
# Environment: LOOM_VERSION (default latest), LOOM_INSTALL_DIR (default ~/.loom/bin),
# LOOM_DOWNLOAD_BASE_URL (a mirror with the release layout), LOOM_NO_MODIFY_PATH=1 (or
# --no-modify-path), LOOM_INSTALL_SKIP_VERIFY=1 (only when no SHA-256 tool exists; not advised).
# The archive's SHA-256 is checked against the release's checksums.txt before anything is
# installed; the install is an atomic rename; `loom --version` is the last check.
set -eu


BASE_DEFAULT="https://github.com/loom-os/loom-cli/releases"

error() {
  printf 'error: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  fix: %s\n' "$2" >&2
  exit 1
}
info() { printf '%s\n' "$1"; }

VERSION="${LOOM_VERSION:-latest}"
MODIFY_PATH=1
[ "${LOOM_NO_MODIFY_PATH:-0}" = "1" ] && MODIFY_PATH=0
for arg in "$@"; do
  case "$arg" in
    --no-modify-path) MODIFY_PATH=0 ;;
    -h | --help)
      sed -n '2,12p' "$0" 2>/dev/null || true
      exit 0
      ;;
    -*) error "unknown option $arg" "see the comment at the top of this script" ;;
    *) VERSION="$arg" ;;
  esac
done
VERSION="${VERSION#v}"
BASE="${LOOM_DOWNLOAD_BASE_URL:-$BASE_DEFAULT}"
BASE="${BASE%/}"
INSTALL_DIR="${LOOM_INSTALL_DIR:-$HOME/.loom/bin}"

# --- platform ---------------------------------------------------------------------------
os=$(uname -s)
arch=$(uname -m)
case "$os" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) error "loom has no build for $os" "download loom for your system from $BASE_DEFAULT, or build it from source" ;;
esac
case "$arch" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) error "loom has no build for the $arch processor" "supported: x86_64 and arm64" ;;
esac
if [ "$os" = darwin ] && [ "$arch" = x64 ]; then
  # A shell under Rosetta 2 reports x86_64 on Apple Silicon; the arm64 build is the right one.
  if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = "1" ]; then arch=arm64; fi
fi
platform="$os-$arch"
if [ "$os" = linux ] && [ "$arch" = x64 ]; then
  if [ -f /etc/alpine-release ] || ldd --version 2>&1 | grep -qi musl; then
    platform="linux-x64-musl"
  elif [ -r /proc/cpuinfo ] && ! grep -qw avx2 /proc/cpuinfo; then
    platform="linux-x64-baseline" # a CPU without AVX2
  fi
fi

# --- tools ------------------------------------------------------------------------------
if command -v curl >/dev/null 2>&1; then
  fetch() { curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --max-time 600 --output "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget --quiet --tries=3 --output-document="$2" "$1"; }
else
  error "neither curl nor wget is installed" "install curl, then run this again"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
elif command -v openssl >/dev/null 2>&1; then
  sha256() { openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1; }
else
  sha256() { echo ""; }
fi

if [ "$VERSION" = latest ]; then
  url_of() { printf '%s/latest/download/%s' "$BASE" "$1"; }
else
  url_of() { printf '%s/download/v%s/%s' "$BASE" "$VERSION" "$1"; }
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t loom-install)
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- checksums, then the archive --------------------------------------------------------
sums_url=$(url_of checksums.txt)
if ! fetch "$sums_url" "$tmp/checksums.txt"; then
  error "could not download $sums_url" "check the version ($VERSION) and your network; a mirror can be set with LOOM_DOWNLOAD_BASE_URL"
fi
line=$(grep -E "^[0-9a-fA-F]{64}[[:space:]]+\*?loom-[^[:space:]]+-$platform\.tar\.gz\$" "$tmp/checksums.txt" | head -n 1 || true)
[ -n "$line" ] || error "release $VERSION has no loom for $platform" "see $BASE for the platforms it has"
expected=$(printf '%s\n' "$line" | cut -d ' ' -f 1 | tr 'A-F' 'a-f')
asset=$(printf '%s\n' "$line" | sed -E 's/^[0-9a-fA-F]+[[:space:]]+\*?//')
asset_url=$(url_of "$asset")
info "downloading $asset_url"
fetch "$asset_url" "$tmp/$asset" || error "could not download $asset_url" "try again, or use a mirror with LOOM_DOWNLOAD_BASE_URL"

actual=$(sha256 "$tmp/$asset")
if [ -z "$actual" ]; then
  [ "${LOOM_INSTALL_SKIP_VERIFY:-0}" = "1" ] || error "no SHA-256 tool (sha256sum, shasum or openssl) to verify the download" "install one of them, or set LOOM_INSTALL_SKIP_VERIFY=1 to install unverified"
  info "warning: installing WITHOUT checksum verification (LOOM_INSTALL_SKIP_VERIFY=1)"
elif [ "$actual" != "$expected" ]; then
  error "checksum mismatch for $asset: expected $expected, got $actual" "nothing was installed; try again, and check any proxy or mirror"
fi

mkdir -p "$tmp/x"
tar -xzf "$tmp/$asset" -C "$tmp/x" loom 2>/dev/null || error "$asset does not hold a loom executable" "report it; nothing was installed"
if [ ! -f "$tmp/x/loom" ] || [ -L "$tmp/x/loom" ]; then
  error "$asset does not hold a loom executable" "report it; nothing was installed"
fi
chmod 755 "$tmp/x/loom"

# --- install atomically -----------------------------------------------------------------
mkdir -p "$INSTALL_DIR" || error "cannot create $INSTALL_DIR" "set LOOM_INSTALL_DIR to a directory you can write"
cp "$tmp/x/loom" "$INSTALL_DIR/.loom.new.$$" || error "cannot write to $INSTALL_DIR" "set LOOM_INSTALL_DIR to a directory you can write"
mv -f "$INSTALL_DIR/.loom.new.$$" "$INSTALL_DIR/loom"
installed=$("$INSTALL_DIR/loom" --version 2>&1) || error "the installed loom does not run: $installed" "report it with the output of: uname -a"
info "installed $installed to $INSTALL_DIR/loom"

# --- PATH -------------------------------------------------------------------------------
case ":${PATH:-}:" in
  *":$INSTALL_DIR:"*) exit 0 ;;
esac
if [ "$MODIFY_PATH" = 0 ]; then
  info "add $INSTALL_DIR to your PATH to use loom"
  exit 0
fi
shell_name=$(basename "${SHELL:-sh}")
case "$shell_name" in
  zsh) rc="$HOME/.zshrc"; line="export PATH=\"$INSTALL_DIR:\$PATH\"" ;;
  bash) rc="$HOME/.bashrc"; [ "$os" = darwin ] && rc="$HOME/.bash_profile"; line="export PATH=\"$INSTALL_DIR:\$PATH\"" ;;
  fish) rc="$HOME/.config/fish/config.fish"; line="fish_add_path \"$INSTALL_DIR\"" ;;
  *) rc="$HOME/.profile"; line="export PATH=\"$INSTALL_DIR:\$PATH\"" ;;
esac
if [ -f "$rc" ] && grep -qF "$INSTALL_DIR" "$rc"; then
  info "$rc already puts $INSTALL_DIR on PATH; open a new shell to use loom"
else
  mkdir -p "$(dirname "$rc")"
  printf '\n# loom\n%s\n' "$line" >>"$rc"
  info "added $INSTALL_DIR to PATH in $rc; open a new shell (or run: $line)"
fi
