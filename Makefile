# The README's commands. `make test` installs what it needs and runs every suite.
SHELL := /bin/bash
export AWS_EC2_METADATA_DISABLED := true
export CARGO_TERM_COLOR := never

.PHONY: demo test lint test-rust test-python test-node bench bench-quick scale stress dist dist-check dist-ci

demo:
	cargo run --release -q -p apigw-management-cli -- demo

# Node before Python: the Python suite's template-mode tests run Node handlers that use
# the npm devDependencies the Node suite installs.
test: lint test-rust test-node test-python

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -q -- -D warnings

test-rust:
	cargo test --workspace -q

test-python:
	bash scripts/test-python.sh

test-node:
	bash scripts/test-node.sh

scale:
	cargo run --release -q -p apigw-management-cli -- demo --clients 10000

# Long runs, out of `make test`: a broadcast of 10,000 ids through injected faults,
# 8,000 clients that vanish without closing, a 10-minute soak, 20,000 ids at an account
# limit of 2,000 requests/s (burst 500, 5 ms each) and 10,000 ids at a 20 ms round trip.
stress:
	FAULT_BROADCAST_IDS=10000 VANISH_CLIENTS=8000 SOAK_SECONDS=600 \
	RATE_LIMIT_IDS=20000 RATE_LIMIT_RPS=2000 RATE_LIMIT_BURST=500 LONG_RTT_IDS=10000 \
		cargo test --release -q -p apigw-management-local --test fault_broadcast \
		--test vanish --test soak --test rate_limit -- --nocapture --test-threads=1

# The benchmark beside the peers (installs nginx, wrk and the peers; see bench/README.md).
bench:
	bash bench/run.sh

bench-quick:
	bash bench/run.sh --quick

# The shipped artefacts this machine can build (README "Install"): the manylinux2014
# wheels (x86_64, aarch64) and the sdist, the npm main and linux-x64/arm64-gnu packages,
# the static musl CLIs (x86_64, aarch64) and the crates. aarch64 and musl build with
# Debian's Rust (scripts/cross-env.sh installs it). Outputs: target/wheels-python,
# target/npm, target/cli, target/package.
dist:
	bash scripts/build-python-wheel.sh x86_64-unknown-linux-gnu
	bash scripts/build-python-wheel.sh aarch64-unknown-linux-gnu
	bash scripts/build-sdist.sh
	bash scripts/build-node-addon.sh x86_64-unknown-linux-gnu
	bash scripts/build-node-addon.sh aarch64-unknown-linux-gnu
	bash scripts/pack-npm.sh
	bash scripts/build-cli.sh x86_64-unknown-linux-musl
	bash scripts/build-cli.sh aarch64-unknown-linux-musl
	cargo package --locked -p apigw-management -p apigw-management-local -p apigw-management-cli

# Checks that the shipped crates build for Windows and musl, then installs each artefact
# of `make dist` into a clean environment and runs the smoke test (arm64 under
# qemu-user): fails on a missing or stale artefact.
dist-check:
	bash scripts/check-portable.sh
	bash scripts/arm64-userland.sh
	REQUIRE_ARTEFACTS=1 bash scripts/test-python.sh tests/python/test_wheel.py \
		tests/python/test_cli_binaries.py tests/python/test_sdist.py
	REQUIRE_ARTEFACTS=1 bash scripts/test-node.sh tests/node/packaging.test.mjs

# What CI runs after `make test` (.ci/run): the x86_64 manylinux2014 wheel and the
# linux-x64-gnu addon rebuilt from the commit (so never stale), their glibc floor, size
# and file lists, the wheel installed in a fresh venv and the packed npm packages
# installed in an empty project, each posting to the local gateway (~3 min for the wheel,
# ~3 min for the addon on 2 cores). The arm64 and musl artefacts, the sdist and the
# crates are `make dist` + `make dist-check`, longer than CI allows.
dist-ci:
	bash scripts/build-python-wheel.sh x86_64-unknown-linux-gnu
	REQUIRE_ARTEFACTS=1 bash scripts/test-python.sh tests/python/test_wheel.py -k x86_64
	bash scripts/build-node-addon.sh x86_64-unknown-linux-gnu
	REQUIRE_ARTEFACTS=1 bash scripts/test-node.sh \
		--test-name-pattern='linux-x64-gnu|main package|loader' tests/node/packaging.test.mjs
