# One-command set-up: every target installs the Debian packages it needs first
# (idempotent; apt-get runs only when something is missing), then builds.
DEBIAN_PACKAGES := libsndfile1-dev libfftw3-dev libhdf5-dev libpng-dev libopenblas-dev pkg-config
SWIFT ?= swift

.PHONY: deps build test demo clean-demo

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

# The main job on the synthetic default dataset.
demo: build
	./scripts/demo.sh

clean-demo:
	rm -rf out
