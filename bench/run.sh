#!/usr/bin/env bash
# `make bench` (and `make bench-quick` = `bash bench/run.sh --quick`): installs what the
# benchmark needs (bench/setup.sh), builds the release artefacts (bench/build.sh), runs
# every row (bench/harness.py) and writes bench/RESULTS.md and bench/results.svg.
# Other flags go to the harness: --rows KEY,KEY  --n N  --runs R  --no-scale  (see --help);
# --head builds the project from its last commit instead of the working tree.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export AWS_EC2_METADATA_DISABLED=true
bash "$BENCH/setup.sh"
for a in "$@"; do [ "$a" = --head ] && export BENCH_SOURCE=head; done
bash "$BENCH/build.sh"
cmd="bash bench/run.sh${*:+ $*}"
exec python3 "$BENCH/harness.py" --command "$cmd" "$@"
