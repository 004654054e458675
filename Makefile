# One-command set-up: every target installs the Debian packages it needs first
# (idempotent; apt-get runs only when something is missing), then builds.
DEBIAN_PACKAGES := libsndfile1-dev libfftw3-dev libhdf5-dev libpng-dev libopenblas-dev libdnnl-dev libssl-dev libcairo2-dev fonts-dejavu-core pkg-config
SWIFT ?= swift

.PHONY: deps build test demo clean-demo test-python test-torch fuzz

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# The test suite (what CI runs). h5py is for the interop test (a cache read by plain h5py).
test: deps
	@python3 -c "import h5py, numpy" 2>/dev/null || python3 -m pip install -q h5py numpy
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) test-python BATVISION_BIN=$(CURDIR)/.build/debug/batvision

# The main job on the synthetic default dataset.
demo: build
	./scripts/demo.sh

clean-demo:
	rm -rf out

# The Python package (python/, docs/scaling.md). test-python: the light tests (h5py, numpy,
# Dask LocalCluster; part of `make test`). test-torch: the PyTorch trainer's tests, in their
# own virtual environment (torch from PyPI pulls CUDA wheels: several GB, so not in CI).
# Both use the batvision binary $(BATVISION_BIN) (built when missing).
PYTHON ?= python3
BATVISION_BIN ?= $(CURDIR)/.build/release/batvision
VENV_PY := .venv-py
VENV_TORCH := .venv-torch

$(VENV_PY)/.installed: python/pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV_PY)
	$(VENV_PY)/bin/pip install -q h5py numpy "dask[distributed]" pytest pyyaml wandb pillow tensorboard
	$(VENV_PY)/bin/pip install -q -e ./python
	touch $@

$(VENV_TORCH)/.installed: python/pyproject.toml
	$(PYTHON) -m venv $(VENV_TORCH)
	$(VENV_TORCH)/bin/pip install -q torch safetensors h5py numpy pytest pyyaml tensorboard
	$(VENV_TORCH)/bin/pip install -q -e ./python
	touch $@

test-python: deps $(VENV_PY)/.installed
	@test -x "$(BATVISION_BIN)" || $(SWIFT) build -c release
	cd python && BATVISION_BIN="$(BATVISION_BIN)" ../$(VENV_PY)/bin/python -m pytest -q tests --ignore-glob='tests/test_torch_*'

test-torch: deps $(VENV_TORCH)/.installed
	@test -x "$(BATVISION_BIN)" || $(SWIFT) build -c release
	cd python && BATVISION_BIN="$(BATVISION_BIN)" OMP_NUM_THREADS=1 ../$(VENV_TORCH)/bin/python -m pytest -q tests/test_torch_*.py

# libFuzzer harnesses for every reader of untrusted input (docs/reliability.md): 30 s each;
# FUZZ_SECONDS=600 make fuzz for the long runs. Not part of `make test`.
fuzz: deps
	./scripts/fuzz.sh
