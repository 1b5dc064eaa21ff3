#!/usr/bin/env bash
# Builds two extra training videos (720p, 25 fps, hard cuts only) for the CRF models from the
# corpus recipe's source cache and ffmpeg's synthetic sources:
#
#   bench/extra-training/build.sh <outdir> [source-root]
#
# source-root defaults to the cache that ../shared/corpus/build.sh fills
# (~/.cache/scene-corpus-src/root). Only material that the corpus's held-out videos (pub03, pub07)
# do not use is taken: unused planetblupi movies, gem's alea.mpg / anim-1.mov, opencv's tree.avi,
# and the photos of pub04 (a training video) treated differently (grain, low light, rotation, fast
# pans); plus synthetic sources (mandelbrot, cellular automata, grain on gradients, testsrc2). No
# synthetic text slides, colour bars or game of life: the held-out pub07/pub03 are made of those.
set -euo pipefail
out=${1:?usage: build.sh <outdir> [source-root]}
src=${2:-$HOME/.cache/scene-corpus-src/root}
S=$src/usr/share
for f in "$S/planetblupi/movie/play101.mkv" "$S/gem/examples/data/alea.mpg" "$S/doc/opencv-doc/examples/data/tree.avi" "$S/backgrounds/mate/nature/Wood.jpg"; do
  [[ -f $f ]] || { echo "missing $f: run ../shared/corpus/build.sh first (it fills $src)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d "$out/.build.XXXX")
trap 'rm -rf "$tmp"' EXIT
W=1280 H=720 N=90
FIT="scale=$W:$H:force_original_aspect_ratio=increase:flags=lanczos,crop=$W:$H,setsar=1"
enc=(-an -frames:v $N -r 25 -pix_fmt yuv420p -c:v libx264 -preset veryfast -crf 12 -g 250 -threads 2)

clip() { # <name> <input args...> -- <filter>
  local name=$1; shift
  local args=()
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  local t0=$SECONDS
  ffmpeg -hide_banner -v error -nostdin -y "${args[@]}" -vf "$1" "${enc[@]}" "$tmp/$name.mp4"
  echo "  $name: $((SECONDS - t0)) s" >&2
  echo "$name" >> "$tmp/order-${name:0:1}.txt"
}

# x01: CG animation and synthetic sources
clip a1_blupi101 -i "$S/planetblupi/movie/play101.mkv" -- "fps=25,$FIT"
clip a2_blupi107 -i "$S/planetblupi/movie/play107.mkv" -- "fps=25,$FIT"
clip a3_blupi129 -i "$S/planetblupi/movie/win129.mkv" -- "fps=25,$FIT"
clip a4_blupi124grain -i "$S/planetblupi/movie/play124.mkv" -- "fps=25,$FIT,noise=alls=14:allf=t+u:all_seed=3"
clip a5_mandelbrot -f lavfi -i "mandelbrot=s=640x360:r=25:maxiter=400:start_scale=1:end_scale=0.05:end_pts=4" -- "$FIT"
clip a6_cellauto110 -f lavfi -i "cellauto=s=640x360:r=25:rule=110:seed=9:random_fill_ratio=0.4:scroll=1" -- "scale=$W:$H:flags=neighbor,setsar=1"
clip a7_gradientgrain -f lavfi -i "gradients=s=${W}x${H}:r=25:c0=0x305070:c1=0xa08060:nb_colors=2:seed=11:speed=0.02" -- "format=yuv420p,noise=c0s=20:c0f=t+u:c0_seed=5:c1s=5:c1f=t+u:c1_seed=6:c2s=5:c2f=t+u:c2_seed=7"
clip a8_testsrc2 -f lavfi -i "testsrc2=s=${W}x${H}:r=25" -- "null"

# x02: low-resolution real footage, and photos with grain, low light, rotation and fast pans
clip b1_tree -i "$S/doc/opencv-doc/examples/data/tree.avi" -- "setpts=N/15/TB,fps=25,$FIT"
clip b2_alea -i "$S/gem/examples/data/alea.mpg" -- "fps=25,$FIT"
clip b3_anim -i "$S/gem/examples/data/anim-1.mov" -- "fps=25,$FIT"
clip b4_ladybirdpan -loop 1 -framerate 25 -i "$S/backgrounds/mate/nature/LadyBird.jpg" -- "scale=2560:-2,crop=$W:$H:x='(iw-ow)*n/$((N-1))':y='(ih-oh)*n/$((N-1))',setsar=1"
clip b5_woodgrain -loop 1 -framerate 25 -i "$S/backgrounds/mate/nature/Wood.jpg" -- "$FIT,noise=alls=22:allf=t+u:all_seed=8"
clip b6_elephantszoom -loop 1 -framerate 25 -i "$S/backgrounds/mate/abstract/Elephants_5640x3172.jpg" -- "scale=2560:-2,zoompan=z='1+0.8*on/$N':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=${W}x${H}:fps=25,setsar=1"
clip b7_twowingsdark -loop 1 -framerate 25 -i "$S/backgrounds/mate/nature/TwoWings.jpg" -- "$FIT,eq=brightness=-0.25:gamma=0.6,noise=alls=10:allf=t+u:all_seed=4"
clip b8_flowerrotate -loop 1 -framerate 25 -i "$S/backgrounds/mate/nature/YellowFlower.jpg" -- "scale=1800:-2,rotate=a='0.6*t':ow=$W:oh=$H,setsar=1"

for v in a:x01_cg_synthetic b:x02_footage_photos; do
  list="$tmp/${v%%:*}.list"
  : > "$list"
  while read -r name; do echo "file '$tmp/$name.mp4'" >> "$list"; done < "$tmp/order-${v%%:*}.txt"
  ffmpeg -hide_banner -v error -nostdin -y -f concat -safe 0 -i "$list" -c copy "$tmp/${v#*:}.mp4"
  mv "$tmp/${v#*:}.mp4" "$out/${v#*:}.mp4"
  echo "$out/${v#*:}.mp4"
done
