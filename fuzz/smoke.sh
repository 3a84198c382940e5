#!/usr/bin/env bash
# Builds every fuzz target and runs each for a few seconds over its seeds
# (corpus/<target>), so that a target that no longer builds, or a parser
# change that crashes on the seeds or on what a few seconds of mutation
# make of them, fails here. Exits non-zero on the first crash; prints the
# wall time of each step. FUZZ_SECONDS sets the seconds per target (5).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-5}
started=$SECONDS
step_start=$SECONDS
step() {
  printf 'fuzz %-24s %5d s\n' "$1" $((SECONDS - step_start))
  step_start=$SECONDS
}

if ! command -v cargo-fuzz >/dev/null; then
  # Unoptimized: it only starts cargo, and installs in half the time.
  cargo install cargo-fuzz --version 0.13.2 --locked --debug
  step "install cargo-fuzz"
fi

# Stable Rust: no sanitizer (AddressSanitizer needs a nightly compiler);
# libFuzzer still finds panics, stack overflows and aborts. Unoptimized
# (`--dev`), as a few seconds per target need no speed and the build takes
# half the time; `cargo fuzz run TARGET` without `--dev` fuzzes for long.
cargo fuzz build --dev --sanitizer none
step build

for target in $(cargo fuzz list); do
  # A fresh working corpus each time: what a run adds stays out of the
  # seeds and out of the next run.
  work=target/smoke-corpus/$target
  rm -rf "$work"
  mkdir -p "$work"
  if ! cargo fuzz run --dev --sanitizer none "$target" "$work" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      >"target/smoke-$target.log" 2>&1; then
    tail -n 60 "target/smoke-$target.log"
    echo "fuzz target $target crashed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "target/smoke-$target.log" |
    sed "s/^stat::number_of_executed_units: */  $target: runs /"
  step "$target"
done
printf 'fuzz %-24s %5d s\n' total $((SECONDS - started))
