# The README's commands. `make test` installs what it needs and runs every suite.
SHELL := /bin/bash
export AWS_EC2_METADATA_DISABLED := true
export CARGO_TERM_COLOR := never

.PHONY: demo test lint test-rust test-python test-node bench bench-quick scale stress

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
