#!/usr/bin/env bash
# bench/cli-outputs-compare.sh <dirA> <dirB>: diffs two captures of bench/cli-outputs-capture.sh,
# ignoring timings, dates and the output folder's own path. Prints IDENTICAL (normalised) when they agree.
set -uo pipefail
norm() { # $1 dir
  local d=$1 t; t=$(mktemp -d); (cd "$d" && find . -type f ! -path '*scenecrf-work*' | sort) | while read -r f; do
    mkdir -p "$t/$(dirname "$f")"
    sed -E -e "s#$(realpath "$d")#<OUT>#g" \
      -e 's/("[A-Za-z]*[sS]econds"|"fps"|"at"|"cpuSeconds"|"userSeconds"|"systemSeconds"): [^,}]*/\1: X/g' \
      -e 's/analysed at [0-9]+x[0-9]+, [0-9.]+ frames\/s/analysed at X/' \
      -e 's/[0-9.]+ ?(s|ms) elapsed/X elapsed/g' -e 's/; [0-9.]+ s$/; X s/' "$d/$f" > "$t/$f"
  done; echo "$t"
}
A=$(norm "$1"); B=$(norm "$2"); diff -r "$A" "$B" && echo "IDENTICAL (normalised)"; rm -rf "$A" "$B"
