# Two commands for a fresh machine: `make run` and `make test`. Each installs what it
# needs into project-local folders (.venv, node_modules, .build) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAYER_DIR := .build/layers/deps/python
LAMBDA_PYTHON := 3.13
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test install test-http test-in-process test-dynamodb-local test-dynamodb-local-repository \
	test-dynamodb-local-http contract unit lint synth bench fuzz token layer clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The Lambda dependency layer: arm64 wheels for Lambda's Python, installed without Docker.
$(LAYER_DIR)/.installed: layers/deps/requirements.txt Makefile | $(VENV)/.installed
	rm -rf $(LAYER_DIR) && mkdir -p $(LAYER_DIR)
	$(PY) -m pip install --quiet --target $(LAYER_DIR) --platform manylinux2014_aarch64 \
	  --implementation cp --python-version $(LAMBDA_PYTHON) --only-binary=:all: \
	  -r layers/deps/requirements.txt
	# Lambda's Python runtime provides the AWS SDK; shipping it again would double the layer.
	rm -rf $(LAYER_DIR)/boto3* $(LAYER_DIR)/botocore* $(LAYER_DIR)/s3transfer* $(LAYER_DIR)/bin
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

layer: $(LAYER_DIR)/.installed

## run: the API on 127.0.0.1 with moto's server mode behind it (CIS_PORT, CIS_DYNAMODB_ENDPOINT)
run: $(VENV)/.installed
	$(VENV)/bin/cis run

# pytest, failing on exit code 5 (no tests collected) as on any other failure.
PYTEST_OR_FAIL = rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; exit $$rc

## test: lint, every pytest suite, the repository and API suites again on DynamoDB Local (needs java), synth;
##       the installs and then the steps below run side by side, two at a time; the total time comes last
test:
	@SECONDS=0; \
	  $(MAKE) --no-print-directory -j3 --output-sync=target install && \
	  $(VENV)/bin/ruff check . && \
	  echo "$(words $(TEST_STEPS)) steps, two at a time (each one's output appears whole when it ends): $(TEST_STEPS)" && \
	  $(MAKE) --no-print-directory -j2 --output-sync=target $(TEST_STEPS); \
	  rc=$$?; [ $$rc -eq 0 ] && outcome=passed || outcome=FAILED; \
	  echo "make test $$outcome: $$((SECONDS / 60)) min $$((SECONDS % 60)) s in total, installs included"; exit $$rc

# The steps of `make test`, longest first: with two at a time, each next one starts when either ends.
# Together they are every pytest suite once on moto and the repository and API suites once more on
# DynamoDB Local; the in-process step takes every test folder but the two HTTP ones, so a new one is run.
TEST_STEPS := test-http test-in-process test-dynamodb-local-http test-dynamodb-local-repository synth

install: $(VENV)/.installed $(LAYER_DIR)/.installed node_modules/.installed

## test-http: the suites that drive `cis run` over HTTP (tests/api, tests/contract), on moto
test-http: $(VENV)/.installed $(LAYER_DIR)/.installed node_modules/.installed
	$(PY) -m pytest tests/api tests/contract; $(PYTEST_OR_FAIL)

## test-in-process: every other suite (unit, repository on moto, infrastructure)
test-in-process: $(VENV)/.installed $(LAYER_DIR)/.installed node_modules/.installed
	$(PY) -m pytest --ignore=tests/api --ignore=tests/contract; $(PYTEST_OR_FAIL)

## test-dynamodb-local: the repository and API suites on AWS's DynamoDB Local, which rejects requests moto takes
test-dynamodb-local: test-dynamodb-local-repository test-dynamodb-local-http

DYNAMODB_LOCAL_PYTEST = @if ! command -v java > /dev/null; then echo "skipping the DynamoDB Local run: java not found"; exit 0; fi; \
	  echo "again, on DynamoDB Local:"; CIS_TEST_DYNAMODB=local $(PY) -m pytest

test-dynamodb-local-repository: $(VENV)/.installed $(LAYER_DIR)/.installed node_modules/.installed
	$(DYNAMODB_LOCAL_PYTEST) tests/repository; $(PYTEST_OR_FAIL)

test-dynamodb-local-http: $(VENV)/.installed $(LAYER_DIR)/.installed node_modules/.installed
	$(DYNAMODB_LOCAL_PYTEST) tests/api; $(PYTEST_OR_FAIL)

## contract: clients generated from the committed OpenAPI document (openapi-python-client against cis run; @hey-api/openapi-ts under tsc --strict); part of `make test`
contract: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest -m contract tests/contract; $(PYTEST_OR_FAIL)

synth: $(VENV)/.installed $(LAYER_DIR)/.installed node_modules/.installed
	npx --no-install cdk synth --quiet > /dev/null
	@echo "cdk synth: ok (cdk.out/)"

## bench: DynamoDB requests per API call, import throughput, items read per job run against the work due, handler import time against `import boto3`
bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) bench/run.py

## fuzz: the API fuzzed for longer than in `make test`, with a fresh seed (CIS_FUZZ_EXAMPLES per operation, CIS_FUZZ_SEED)
fuzz: $(VENV)/.installed
	CIS_FUZZ_EXAMPLES=$${CIS_FUZZ_EXAMPLES:-60} CIS_FUZZ_SEED=$${CIS_FUZZ_SEED:-$$(date +%s)} \
	  $(PY) -m pytest tests/api/test_fuzz.py -s

## token: a development token for ROLE (admin, sales, support, marketing)
token: $(VENV)/.installed
	@$(VENV)/bin/cis token --role $(or $(ROLE),support)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) .build node_modules cdk.out .pytest_cache .ruff_cache
