#!/usr/bin/env bash
# Build the shot-detection stress corpus described by manifest.json (next to this script).
#
# usage: bench/corpus/build.sh OUT_DIR [VIDEO_ID[,VIDEO_ID...]]
#        bench/corpus/build.sh OUT_DIR --scan-sources     (hidden-cut check of the real-video sources)
#
#  1. apt-installs the tools (ffmpeg, python3, fonts-dejavu-core) when missing (needs root then;
#     runs `apt-get update` first if the apt lists are empty),
#  2. downloads the Debian data packages that hold the source media with `apt-get download` and
#     unpacks them with `dpkg-deb -x` into a cache (no dependencies are installed),
#  3. verifies every source file (image sequences: every frame) against the sha256 in the manifest,
#  4. renders each video (H.264 yuv420p CFR mp4) plus its ground-truth JSON into OUT_DIR and checks
#     the decoded frame count / size / rate against the ground truth.
#
# Environment:
#   STRESS_SRC_CACHE       where packages are downloaded/unpacked
#                          (default: ${XDG_CACHE_HOME:-$HOME/.cache}/scenecrf-stress-src)
#   ALLOW_SOURCE_MISMATCH  set to 1 to build even if a source file's sha256 changed
#   NICE                   niceness for ffmpeg (default 10)
#
# Deterministic: same Debian package contents + same ffmpeg build => same frames (x264 with a
# fixed thread count and bit-exact flags; every effect is a function of the frame number, noise
# filters are seeded). Videos go to OUT_DIR only, never into the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/manifest.json"
out="${1:?usage: build.sh OUT_DIR [VIDEO_ID,...|--scan-sources]}"
only="${2:-}"
cache="${STRESS_SRC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scenecrf-stress-src}"

need_pkgs=()
command -v ffmpeg >/dev/null 2>&1 || need_pkgs+=(ffmpeg)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need_pkgs+=(fonts-dejavu-core)
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
      apt-get update
    fi
    apt_updated=1
  fi
}
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "build.sh: installing ${need_pkgs[*]}" >&2
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}"
fi

mapfile -t pkgs < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["packages"]))' "$manifest")
mkdir -p "$cache/debs" "$cache/root"
for p in "${pkgs[@]}"; do
  if [ ! -f "$cache/root/.unpacked-$p" ]; then
    echo "build.sh: fetching $p" >&2
    apt_update_once
    rm -f "$cache/debs/${p}"_*.deb
    (cd "$cache/debs" && apt-get download "$p")
    dpkg-deb -x "$cache/debs/${p}"_*.deb "$cache/root"
    touch "$cache/root/.unpacked-$p"
  fi
done

mkdir -p "$out"
echo "build.sh: $(ffmpeg -version | head -1)" >&2
args=("$manifest" "$cache/root" "$out")
if [ "$only" = "--scan-sources" ]; then
  args+=(--scan-sources)
elif [ -n "$only" ]; then
  args+=(--only "$only")
fi
start=$SECONDS
nice -n "${NICE:-10}" python3 "$here/build_stress.py" "${args[@]}"
echo "build.sh: done in $((SECONDS - start)) s -> $out" >&2
