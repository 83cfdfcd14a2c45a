#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (make fuzz): its corpus in BUILD/corpus/TARGET (kept between runs, git-ignored),
# the seeds of BUILD/seeds/TARGET (Fuzz/seeds.py), its dictionary, crash inputs in BUILD/artifacts/TARGET.
# Prints one line: runs, exec/s, crashes, corpus size. Exits 1 on a crash, a leak or a timeout, naming the input.
# Usage: Fuzz/run.sh BUILD TARGET SECONDS
set -uo pipefail
build=$1 target=$2 seconds=$3
here=$(cd "$(dirname "$0")" && pwd)
case $target in
  FuzzTOML) dict=toml ;;
  FuzzSaleRequest | FuzzAcquirerAnswer) dict=json ;;
  *) dict=emvco ;;
esac
# TOMLKit leaks on every parse (lsan.supp): libFuzzer's leak check of each new corpus entry would scan the heap
# for FuzzTOML only to find those (33 exec/s while the corpus grows fast); the check at exit still runs.
leaks=1
[ "$target" = FuzzTOML ] && leaks=0
corpus=$build/corpus/$target artifacts=$build/artifacts/$target log=$build/logs/$target.log
mkdir -p "$corpus" "$artifacts" "$build/logs"
# Swift's backtracer would read the crashed process's memory under ASan; libFuzzer prints the stack itself.
# TOMLKit's own leaks are suppressed (lsan.supp); any other leak fails the run like a crash.
SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0" \
  "$build/debug/$target" -max_total_time="$seconds" -dict="$here/dictionaries/$dict.dict" -max_len=4096 \
  -timeout=10 -rss_limit_mb=2048 -detect_leaks=$leaks -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$build/seeds/$target" \
  > "$log" 2>&1
status=$?
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
runs=$(stat number_of_executed_units) rate=$(stat average_exec_per_sec)
size=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
mapfile -t found < <(sed -n 's/.*Test unit written to //p' "$log")
printf '%-20s runs %10s  exec/s %6s  crashes %d  corpus %s (%s files kept)\n' "$target" "${runs:-?}" "${rate:-?}" \
  "${#found[@]}" "${size:-?}" "$(ls "$corpus" | wc -l)"
if [ ${#found[@]} -gt 0 ] || [ $status -ne 0 ]; then
  grep -m3 -E 'invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY' "$log" | sed 's/^/    /'
  for input in "${found[@]}"; do echo "    reproduce: $build/debug/$target $input"; done
  echo "    log: $log (exit $status)"
  exit 1
fi
