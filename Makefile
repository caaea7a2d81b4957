# beckon: `make run` starts a demo node, `make test` runs the whole suite, `make bench` measures.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
NPM_STAMP := node_modules/.installed
BIN := node_modules/.bin
# The Node.js that runs beckon and every tool below (deploy/node_runtime.sh): the system Node
# if uWebSockets.js has a binary for it, else the project-local Node 20 from node_modules (said
# in one line); BECKON_NODE=/path/to/node overrides (environment or make argument; $(shell)
# sees only the environment, hence passed on). Resolved once, on first use (after install).
NODE = $(eval NODE := $$(shell BECKON_NODE='$(BECKON_NODE)' deploy/node_runtime.sh --which))$(or $(NODE),$(error no Node.js can run beckon (see above)))

.PHONY: install system-deps build typecheck lint run test bench loadtest cluster clean screenshots

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
	$(NODE) $(BIN)/tsc --noEmit -p .
	$(NODE) $(BIN)/tsc --noEmit -p web

# Biome: formatting and lint rules (biome.json); `npx biome check --write .` fixes what it can.
lint: install
	$(NODE) $(BIN)/biome check .

build: install
	$(NODE) $(BIN)/tsc -p .
	$(NODE) --import tsx web/build.ts

run: build
	$(NODE) dist/server/src/demo.js

test: install lint system-deps typecheck build
	$(NODE) --import tsx server/test/support/run_tests.ts

# docs/img/*.png, taken by the browser tests as they click through (BECKON_SCREENSHOTS).
screenshots: build system-deps
	BECKON_SCREENSHOTS=docs/img $(NODE) --import tsx server/test/support/run_tests.ts $(wildcard server/test/*_browser.test.ts)

bench: build system-deps
	$(NODE) --import tsx server/bench/bench.ts
	$(NODE) --import tsx server/bench/cluster_bench.ts
	$(NODE) --import tsx server/bench/history_bench.ts

# Every k6 script at a scale (VISITORS, DURATION, ... see loadtest/README.md) against a node it
# starts, or the one at BASE_URL; one table. k6: K6, k6 on PATH, or ../shared/bin/k6.
loadtest: install
	ulimit -n "$$(ulimit -Hn)" && $(NODE) --import tsx loadtest/run_k6.ts

cluster: build system-deps
	$(NODE) --import tsx deploy/local_cluster.ts

clean:
	rm -rf dist web/dist node_modules .tap data
