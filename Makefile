# beckon: `make run` starts a demo node, `make test` runs the whole suite, `make bench` measures.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
NPM_STAMP := node_modules/.installed

.PHONY: install system-deps build typecheck lint run test bench cluster clean

# Node packages, from the lockfile. Re-run when the lockfile changes.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(NPM_STAMP)

# nats-server (multi-node tests) and chromium (browser tests) from Debian's packages.
system-deps:
	@if ! command -v nats-server >/dev/null || ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nats-server chromium >/dev/null; \
	fi
	@nats-server --version

typecheck: install
	npx tsc --noEmit -p .
	npx tsc --noEmit -p web

# Biome: formatting and lint rules (biome.json); `npx biome check --write .` fixes what it can.
lint: install
	npx biome check .

build: install
	npx tsc -p .
	node --import tsx web/build.ts

run: build
	node dist/server/src/demo.js

test: install lint system-deps typecheck build
	node --import tsx server/test/support/run_tests.ts

bench: build system-deps
	node --import tsx server/bench/bench.ts
	node --import tsx server/bench/cluster_bench.ts

cluster: build system-deps
	node --import tsx deploy/local_cluster.ts

clean:
	rm -rf dist web/dist node_modules .tap data
