#!/usr/bin/env bash
# Runs every fuzz target (or those named) for $SECONDS_PER_TARGET seconds (default 240) on the
# corpus fuzz/seed.sh fills, one process per target, and prints libFuzzer's final stats.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1 lets
# it use the nightly-only sanitizer-coverage flags. `-s none`: the crate has no unsafe code, so
# AddressSanitizer is skipped for twice the speed; overflow checks and debug assertions stay on.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
secs="${SECONDS_PER_TARGET:-240}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(event_decode config_parse joda converters transforms)
[ -d corpus ] || ./seed.sh
cargo fuzz build -s none
for t in "${targets[@]}"; do
  case "$t" in
    event_decode | converters | transforms) dict=dicts/json.dict ;;
    config_parse) dict=dicts/config.dict ;;
    joda) dict=dicts/joda.dict ;;
  esac
  echo "==> $t (${secs}s)"
  cargo fuzz run -s none "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -dict="$dict" -print_final_stats=1
done
