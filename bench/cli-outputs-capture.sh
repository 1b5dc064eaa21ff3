#!/usr/bin/env bash
# bench/cli-outputs-capture.sh <checkout> <outdir>: runs the built CLI of <checkout> (npx tsup there first)
# over fixtures/ and keeps every output (JSON, zone files, stdout, stderr, exit codes, encode MD5s), so
# that a change meant to alter no behaviour can be checked: capture before and after, then
# bench/cli-outputs-compare.sh <before> <after>.
set -uo pipefail
co=$(realpath "$1"); out=$(realpath -m "$2"); rm -rf "$out"; mkdir -p "$out"; cd "$out"
fx=$co/fixtures
cli() { node "$co/dist/cli.js" "$@"; }
run() { local name=$1; shift; cli "$@" > "$name.stdout" 2> "$name.stderr"; echo $? > "$name.rc"; }
for f in demo cuts dissolve fade flash noisy pan static; do run analyze-$f analyze $fx/$f.mp4 --json a-$f.json --frames --quiet; done
run analyze-tenbit analyze $fx/tenbit.mkv --json a-tenbit.json --quiet
run analyze-table analyze $fx/demo.mp4
run analyze-wasm analyze $fx/demo.mp4 --backend wasm --json a-demo-wasm.json --quiet
for e in svt-av1 vp9 aom; do
  run plan-$e plan $fx/demo.mp4 --encoder $e --target-vmaf 93 --json p-$e.json
  run plan-$e-p5 plan $fx/cuts.mp4 --encoder $e --target-vmaf 95 --stat p5 --max-crf-jump 6 --json p5-$e.json --quiet
  run plan-$e-bitrate plan $fx/pan.mp4 --encoder $e --bitrate 300 --json pb-$e.json --zones z-$e.txt --format x265
done
for fmt in av1an x265 x265-zonefile x264 ffmpeg json; do run zones-$fmt zones p-svt-av1.json --format $fmt; done
run zones-x265-q zones p-vp9.json --format x265 --mode q
run plan-probe plan $fx/demo.mp4 --encoder vp9 --target-vmaf 93 --probes 1 --json pp.json --quiet
run encode encode $fx/demo.mp4 --plan p-vp9.json -o enc.webm --quiet
md5sum enc.webm > enc.md5
run quality quality $fx/demo.mp4 enc.webm --json q.json --scenes p-vp9.json --threads 2 --quiet
run quality-psnr quality $fx/demo.mp4 enc.webm --metric psnr --json qpsnr.json
run optimize optimize $fx/demo.mp4 -o opt.webm --encoder vp9 --target-vmaf 93 --rounds 1 --json opt.json --quiet
md5sum opt.webm > opt.md5
rm -f enc.webm opt.webm
run bad-input analyze /nonexistent.mp4
run bad-plan encode $fx/demo.mp4 --plan $fx/demo.json -o x.mkv

# Paths of the checkout and of this output folder vary between captures.
grep -rlF "$co" . | xargs -r sed -i "s#$co#<CHECKOUT>#g"
