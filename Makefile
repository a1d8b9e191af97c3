# One command surface for developers and CI. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The container image; BASE_IMAGE is made here from Debian's packages (make base-image), as
# base images cannot be pulled everywhere. BASE_IMAGE=docker.io/library/python:3.11-slim
# builds on the official one instead.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE ?= localhost/retailsync:$(VERSION)
BASE_IMAGE ?= localhost/retailsync-base:bookworm
PODMAN ?= podman

.DEFAULT_GOAL := help
.PHONY: help install kafka format lint typecheck test unit contract integration e2e faults run demo bench clean \
	wheels base-image image test-containers deploy-check asyncapi-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install retailsync with its dev tools

kafka: $(STAMP) ## resolve the Apache Kafka jars from Maven Central into the cache (once)
	$(BIN)/retailsync broker fetch

format: $(STAMP) ## format and autofix the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: $(STAMP) ## ruff, and the layering contracts (import-linter)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy, strict for the packages
	$(BIN)/mypy
	$(BIN)/mypy --no-strict-optional --allow-untyped-defs --allow-incomplete-defs --allow-untyped-calls --disable-error-code=no-any-return tests bench examples

ASYNCAPI_TOOLS := tools/asyncapi/node_modules/.installed
$(ASYNCAPI_TOOLS): tools/asyncapi/package-lock.json
	npm ci --prefix tools/asyncapi --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(ASYNCAPI_TOOLS)

asyncapi-check: $(STAMP) $(ASYNCAPI_TOOLS) ## generate the AsyncAPI document and check it with the AsyncAPI parser
	mkdir -p build
	$(BIN)/retailsync asyncapi --output build/asyncapi.yaml
	node tools/asyncapi/validate.mjs build/asyncapi.yaml

# Most tests wait on Kafka or on a process, not on the CPU: they run on TEST_WORKERS workers
# (pytest-xdist), each with a broker of its own. The tests marked `alone` compare how long
# things took, so they run afterwards, one at a time.
TEST_WORKERS ?= 2
test: lint typecheck kafka $(ASYNCAPI_TOOLS) ## lint, typecheck, then every test tier against a real broker
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m 'not faults and not containers and not alone'
	$(BIN)/pytest -m 'alone and not faults and not containers'

unit: $(STAMP) ## the unit tier only (no broker)
	$(BIN)/pytest -m unit

contract: $(STAMP) ## the sandbox Odoo's contract tests (ODOO_URL… points them at a real Odoo)
	$(BIN)/pytest -m contract

integration: kafka ## the integration tier only (starts a real broker)
	$(BIN)/pytest -m integration

e2e: kafka ## the whole pipeline as `retailsync run` starts it
	$(BIN)/pytest -m e2e

faults: kafka ## the fault suite: the whole pipeline under faults, then its table (< 15 min)
	$(BIN)/pytest -m faults tests/faults

run: kafka ## the main job: broker, sandboxes, every service and traffic until Ctrl-C
	$(BIN)/retailsync run

demo: kafka ## a bounded run: 200 orders through the sandboxes, then the report (exit 0 when reconciled)
	$(BIN)/retailsync run --orders 200 --interval 0.5

bench: $(STAMP) ## benchmarks; they print figures
	$(BIN)/python -m bench

clean: ## stop the local broker and remove its data
	-$(BIN)/retailsync broker stop
	rm -rf .retailsync

wheels: $(STAMP) ## build the wheels of retailsync and its dependencies into build/wheels
	rm -rf build/wheels
	$(BIN)/pip wheel --quiet --wheel-dir build/wheels .

# merged-usr: /usr merged by the hook, not by the usrmerge package, which needs all of Perl;
# no docs, locales or glibc iconv modules (Python brings its own codecs).
base-image: ## a Debian 12 base image (Python 3.11, tini) made with mmdebstrap, once
	$(PODMAN) image exists $(BASE_IMAGE) || { \
	  mkdir -p build && rm -f build/rootfs.tar && \
	  mmdebstrap --variant=minbase --include=python3,python3-venv,ca-certificates,tini \
	    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
	    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	    --dpkgopt='path-exclude=/usr/share/locale/*' \
	    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
	    bookworm build/rootfs.tar && \
	  $(PODMAN) import --change 'CMD ["/bin/bash"]' build/rootfs.tar $(BASE_IMAGE) && \
	  rm build/rootfs.tar; }

image: wheels $(if $(filter localhost/retailsync-base%,$(BASE_IMAGE)),base-image) ## build the container image with podman
	$(PODMAN) build --file deploy/Containerfile --tag $(IMAGE) \
	  --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg VERSION=$(VERSION) \
	  --build-arg REVISION=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
	  --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) .
	@$(PODMAN) image inspect $(IMAGE) --format 'image $(IMAGE): {{.Size}} bytes'

test-containers: image kafka ## run the pipeline from the image with podman and check it
	RETAILSYNC_TEST_IMAGE=$(IMAGE) $(BIN)/pytest -m containers

DEPLOY_TOOLS := build/deploy-tools
$(DEPLOY_TOOLS)/.installed: deploy/check-requirements.txt
	$(PYTHON) -m venv $(DEPLOY_TOOLS)
	$(DEPLOY_TOOLS)/bin/pip install --quiet --upgrade pip
	$(DEPLOY_TOOLS)/bin/pip install --quiet -r deploy/check-requirements.txt
	touch $@

deploy-check: $(DEPLOY_TOOLS)/.installed ## validate compose.yaml and the Kubernetes overlays, scan them
	deploy/check.sh
