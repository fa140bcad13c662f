#!/usr/bin/env bash
# Fetches the real test video vtest.avi (a 79.5 s fixed-camera pedestrian scene, 768x576) from
# Debian's opencv-doc package into a folder (default test/.media/). The only network it uses is
# apt: Debian's mirrors are reachable on the project's machines, GitHub and the like are not.
# Idempotent: does nothing when the file is already there.
#
#   bash scripts/fetch-test-media.sh [dir]
set -euo pipefail

# A folder given on the command line is relative to where the script was called from; the default
# is relative to the repository.
if [ $# -ge 1 ]; then
  mkdir -p "$1"
  target_dir="$(cd "$1" && pwd)"
fi
cd "$(dirname "$0")/.."
target_dir="${target_dir:-test/.media}"
target="$target_dir/vtest.avi"

if [ -s "$target" ]; then
  echo "fetch-test-media: $target already present"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# apt-get download writes into the current directory and needs no root; it needs package lists,
# which a fresh container lacks, so update them once only when the first attempt fails.
download() { (cd "$work" && apt-get download -qq opencv-doc >/dev/null); }
if ! download 2>/dev/null; then
  echo "fetch-test-media: apt-get update (package lists missing or stale)"
  apt-get update -qq
  download
fi

deb="$(find "$work" -maxdepth 1 -name 'opencv-doc_*.deb' | head -n1)"
if [ -z "$deb" ]; then
  echo "fetch-test-media: apt-get download produced no opencv-doc package" >&2
  exit 1
fi
dpkg -x "$deb" "$work/root"

# The package keeps its samples under /usr/share/doc/opencv-doc/examples/data/; find it rather than
# hard-coding the path, which has moved between Debian releases. Some releases compress it.
source="$(find "$work/root" -path '*/examples/data/vtest.avi*' -type f | head -n1)"
if [ -z "$source" ]; then
  echo "fetch-test-media: vtest.avi not found in $(basename "$deb")" >&2
  exit 1
fi

mkdir -p "$target_dir"
# Copy into a temporary name first so that an interrupted run never leaves a truncated vtest.avi
# that the idempotence check above would accept.
case "$source" in
  *.gz) gzip -dc "$source" >"$target.partial" ;;
  *.xz) xz -dc "$source" >"$target.partial" ;;
  *) cp "$source" "$target.partial" ;;
esac
mv "$target.partial" "$target"
echo "fetch-test-media: $target ($(stat -c %s "$target") bytes)"
