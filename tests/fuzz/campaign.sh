#!/usr/bin/env bash
# The fuzz campaign: every fuzzer of tests/fuzz for a number of executions under ASan+UBSan, its
# corpus merged into tests/fuzz/corpus/<name> (only inputs that add coverage), then the coverage the
# committed corpus reaches in the files the fuzzer targets, and a markdown table of it all.
#
#   tests/fuzz/campaign.sh [EXECS]     default 10000000 per fuzzer; 0 skips fuzzing and only merges
#                                      and measures what an earlier run left in the work directory
#
# Expects the fuzzers built in build/fuzz (`./run build fuzz`; `./run fuzz [EXECS]` does both). Every
# fuzzer runs under nice -n 19. Environment:
#   FERN_FUZZ_TARGETS="a b"   only these fuzzers (names without the fuzz_ prefix; default: all)
#   FERN_FUZZ_JOBS=N          fuzzers run at once (default: nproc)
#   FERN_FUZZ_BUILD=dir       the sanitizer build (default build/fuzz); work files in <dir>/campaign
#   FERN_FUZZ_COV_BUILD=dir   the coverage build it configures (default build/fuzz-cov)
#   FERN_FUZZ_NO_COVERAGE=1   skip the coverage build and the coverage columns
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
EXECS="${1:-10000000}"
BUILD="${FERN_FUZZ_BUILD:-build/fuzz}"
COV="${FERN_FUZZ_COV_BUILD:-build/fuzz-cov}"
WORK="$BUILD/campaign"
JOBS="${FERN_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'campaign: %s\n' "$*" >&2; exit 1; }

# The newest llvm-<tool> or llvm-<tool>-<version> on PATH.
llvm_tool() {
  local t
  for t in "llvm-$1" $(compgen -c "llvm-$1-" | sort -t- -k3 -rn | uniq); do
    command -v "$t" >/dev/null && { echo "$t"; return 0; }
  done
  return 1
}

# Longest input per fuzzer: enough for several messages or frames, short enough to stay fast.
max_len() {
  case "$1" in
    amqp_frame) echo 4096 ;;
    amqp_payload | http_request | http_response | redis_reply) echo 1024 ;;
    *) echo 512 ;;
  esac
}

# The sources whose coverage a fuzzer is measured on: the code it exists to drive.
target_files() {
  case "$1" in
    amqp_frame) echo src/clients/amqp/proto/{frame_parser,methods,field_table,basic_properties}.cpp ;;
    amqp_payload) echo src/clients/amqp/proto/{methods,field_table,basic_properties}.cpp ;;
    http_request | http_response) echo src/http/{message_parser,head_parser,headers}.cpp ;;
    http_chunked) echo src/http/message_parser.cpp ;;
    http_url) echo src/http/url.cpp ;;
    http_date) echo src/http/date.cpp ;;
    redis_reply) echo src/clients/redis/proto/{reply_parser,reply,command_writer}.cpp ;;
    net_address) echo src/net/address.cpp ;;
    mysql_text) echo src/clients/mysql/value_codec.cpp ;;
    hook_arguments) echo src/hook/arguments.hpp ;;
    *) echo "" ;;
  esac
}

if [[ -n "${FERN_FUZZ_TARGETS:-}" ]]; then
  read -r -a names <<<"$FERN_FUZZ_TARGETS"
else
  mapfile -t names < <(find tests/fuzz -maxdepth 1 -name '*_fuzz.cpp' -printf '%f\n' | sed 's/_fuzz\.cpp$//' | sort)
fi
((${#names[@]} > 0)) || die "no fuzzers in tests/fuzz"
for n in "${names[@]}"; do
  [[ -x "$BUILD/tests/fuzz/fuzz_$n" ]] || die "$BUILD/tests/fuzz/fuzz_$n is not built (./run build fuzz)"
done
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# --- fuzzing -------------------------------------------------------------------------------------

fuzz_one() {
  local n="$1" w="$WORK/$1"
  rm -rf "$w" && mkdir -p "$w/corpus" "$w/artifacts"
  cp -p "tests/fuzz/corpus/$n"/* "$w/corpus/" 2>/dev/null || true
  local start status=0
  start=$(date +%s)
  nice -n 19 "$BUILD/tests/fuzz/fuzz_$n" -runs="$EXECS" -max_len="$(max_len "$n")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$w/artifacts/" "$w/corpus" >"$w/log" 2>&1 || status=$?
  echo "$(($(date +%s) - start))" >"$w/wall"
  echo "$status" >"$w/status"
}

if ((EXECS > 0)); then
  say "fuzzing ${names[*]}: $EXECS executions each, $JOBS at a time"
  running=0
  for n in "${names[@]}"; do
    if ((running >= JOBS)); then
      wait -n || true
      running=$((running - 1))
    fi
    say "fuzz_$n"
    fuzz_one "$n" &
    running=$((running + 1))
  done
  wait || true
fi

# --- merging -------------------------------------------------------------------------------------

# Keeps the hand-written seeds (names that are not a content hash) and replaces the hash-named files
# with the minimal set that covers what the seeds, the old corpus and the new inputs cover.
merge_one() {
  local n="$1" dir="tests/fuzz/corpus/$1" tmp
  [[ -d "$WORK/$n/corpus" ]] || return 0
  mkdir -p "$dir"
  tmp="$(mktemp -d)"
  nice -n 19 "$BUILD/tests/fuzz/fuzz_$n" -merge=1 -max_len="$(max_len "$n")" -timeout=10 -rss_limit_mb=2048 \
    "$tmp" "$dir" "$WORK/$n/corpus" >"$WORK/$n/merge.log" 2>&1 || {
    rm -rf "$tmp"
    die "merging the corpus of $n failed; see $WORK/$n/merge.log"
  }
  local -A seeds=()
  local f
  for f in "$dir"/*; do
    [[ -f "$f" ]] || continue
    if [[ "$(basename "$f")" =~ ^[0-9a-f]{40}$ ]]; then rm -f "$f"; else seeds[$(sha1sum <"$f" | cut -c1-40)]=1; fi
  done
  for f in "$tmp"/*; do
    [[ -f "$f" && -z "${seeds[$(basename "$f")]:-}" ]] && cp "$f" "$dir/"
  done
  rm -rf "$tmp"
}

for n in "${names[@]}"; do
  say "merge the corpus of fuzz_$n"
  merge_one "$n"
done

# --- coverage ------------------------------------------------------------------------------------

declare -A line_cov=() region_cov=()
if [[ "${FERN_FUZZ_NO_COVERAGE:-0}" != 1 ]]; then
  profdata="$(llvm_tool profdata)" || die "llvm-profdata not found (Debian: llvm-14)"
  llvmcov="$(llvm_tool cov)" || die "llvm-cov not found (Debian: llvm-14)"
  say "coverage build $COV"
  if [[ ! -f "$COV/CMakeCache.txt" ]]; then
    cmake -S . -B "$COV" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      "-DCMAKE_C_FLAGS=-fprofile-instr-generate -fcoverage-mapping" \
      "-DCMAKE_CXX_FLAGS=-fprofile-instr-generate -fcoverage-mapping" \
      -DFERN_BUILD_FUZZ=ON -DFERN_FUZZ_COVERAGE=ON -DFERN_BUILD_EXAMPLES=OFF -DFERN_BUILD_BENCH=OFF >/dev/null
  fi
  nice -n 19 cmake --build "$COV" --target "${names[@]/#/fuzz_}" >/dev/null
  for n in "${names[@]}"; do
    files="$(target_files "$n")"
    [[ -n "$files" ]] || continue
    out="$COV/coverage/$n"
    rm -rf "$out" && mkdir -p "$out"
    LLVM_PROFILE_FILE="$out/replay.profraw" nice -n 19 "$COV/tests/fuzz/fuzz_$n" -runs=0 \
      -max_len="$(max_len "$n")" "tests/fuzz/corpus/$n" >"$out/replay.log" 2>&1 || true
    "$profdata" merge -sparse "$out/replay.profraw" -o "$out/replay.profdata"
    # shellcheck disable=SC2086
    "$llvmcov" report "$COV/tests/fuzz/fuzz_$n" -instr-profile="$out/replay.profdata" $files >"$out/report.txt"
    # TOTAL  regions missed cover  functions missed executed  lines missed cover ...
    read -r _ _ _ rc _ _ _ _ _ lc _ < <(grep '^TOTAL' "$out/report.txt")
    region_cov[$n]="$rc"
    line_cov[$n]="$lc"
  done
fi

# --- the table -----------------------------------------------------------------------------------

final_stat() {
  if [[ -f "$2" ]]; then sed -n "s/^stat::$1: *//p" "$2" | tail -n1; fi
}
echo
echo "| fuzzer | executions | exec/s | wall | corpus files | corpus bytes | lines | regions | result |"
echo "|--------|-----------:|-------:|-----:|-------------:|-----------:|------:|--------:|--------|"
for n in "${names[@]}"; do
  w="$WORK/$n"
  execs="$(final_stat number_of_executed_units "$w/log")"
  rate="$(final_stat average_exec_per_sec "$w/log")"
  wall="$(cat "$w/wall" 2>/dev/null || echo -)"
  [[ "$wall" =~ ^[0-9]+$ ]] && wall="$((wall / 60))m$((wall % 60))s"
  files="$(find "tests/fuzz/corpus/$n" -type f 2>/dev/null | wc -l)"
  bytes="$(find "tests/fuzz/corpus/$n" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}')"
  result=ok
  artifact="$(find "$w/artifacts" -type f -printf '%f\n' 2>/dev/null | head -n1 || true)"
  if [[ "$(cat "$w/status" 2>/dev/null || echo 0)" != 0 || -n "$artifact" ]]; then
    result="FINDING: ${artifact:-exit status $(cat "$w/status")}"
  fi
  echo "| $n | ${execs:--} | ${rate:--} | $wall | $files | $bytes | ${line_cov[$n]:--} | ${region_cov[$n]:--} | $result |"
done
