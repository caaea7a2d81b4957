# beckon: `make run` starts a demo node, `make test` runs the whole suite, `make bench` measures.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
NPM_STAMP := node_modules/.installed

.PHONY: install system-deps build typecheck lint run test bench cluster clean screenshots

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

# docs/img/*.png, taken by the console and studio browser tests as they click through (BECKON_SCREENSHOTS).
screenshots: build system-deps
	BECKON_SCREENSHOTS=docs/img node --import tsx server/test/support/run_tests.ts \
	  server/test/console_browser.test.ts server/test/console_chat_retry_browser.test.ts server/test/studio_browser.test.ts

bench: build system-deps
	node --import tsx server/bench/bench.ts

cluster: build system-deps
	node --import tsx deploy/local_cluster.ts

clean:
	rm -rf dist web/dist node_modules .tap data
