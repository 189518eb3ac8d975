# The README's commands. `make test` installs what it needs and runs every suite.
SHELL := /bin/bash
export AWS_EC2_METADATA_DISABLED := true
export CARGO_TERM_COLOR := never

.PHONY: demo test lint test-rust test-python test-node bench bench-quick scale stress dist

demo:
	cargo run --release -q -p apigw-management-cli -- demo

test: lint test-rust test-python test-node

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

# The shipped artefacts (glibc 2.17, dist profile) and their checks: the wheel's and the
# addon's glibc floor and size, and the packed npm package loading and posting.
dist:
	bash scripts/build-python-wheel.sh
	bash scripts/build-node-addon.sh
	bash scripts/test-python.sh tests/python/test_wheel.py
	node --test tests/node/packaging.test.mjs
