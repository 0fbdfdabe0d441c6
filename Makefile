# memfs-lsp: every target creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all install test run bench lint lock clean vsix e2e-deps

CODE_SERVER_DIR := editors/vscode/e2e/.code-server
E2E_APT := chromium ripgrep build-essential pkg-config libsecret-1-dev libx11-dev libxkbfile-dev libkrb5-dev

all: test

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "memfs-lsp needs Python >= 3.11: set PYTHON=python3.11 (or newer)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

# Linters first (ruff, mypy strict over the code, tests and benchmarks), then the suite. The VS
# Code end-to-end test runs when its dependencies are installed (make e2e-deps) and skips,
# saying so, when they are not.
test: lint
	$(PY) -m pytest -q

# Opens Neovim on DIR (default: the folder make was started from; make run DIR=~/code/project)
# with the plugin (editors/nvim) set up against this checkout's server; without a terminal it
# prints DIR's memory status and tree instead.
DIR ?= $(or $(PWD),$(CURDIR))
RUN_DIR = $(abspath $(patsubst ~%,$(HOME)%,$(DIR)))
run: $(STAMP)
	@test -d "$(RUN_DIR)" || { echo "make run: $(RUN_DIR) is not a folder (make run DIR=...)"; exit 1; }
	@cd "$(RUN_DIR)" && $(CURDIR)/$(VENV)/bin/memfs memory init
	@if [ -t 0 ] && [ -t 1 ]; then \
	  $(VENV)/bin/nvim --headless --clean -c "helptags editors/nvim/doc" -c "qa!" && \
	  cd "$(RUN_DIR)" && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CURDIR)/$(VENV)/bin/nvim \
	    --cmd "set rtp^=$(CURDIR)/editors/nvim" \
	    -c "lua require('memfs').setup{ server = { cmd = { '$(CURDIR)/$(VENV)/bin/memfs-lsp' } } }" \
	    -c "MemfsTree" . ; \
	else \
	  cd "$(RUN_DIR)" && $(CURDIR)/$(VENV)/bin/memfs memory status && echo && \
	    $(CURDIR)/$(VENV)/bin/memfs memory tree; \
	fi

bench: $(STAMP)
	$(PY) -m bench

# Chromium (Debian) and code-server (npm) for the VS Code end-to-end test; never fatal.
e2e-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v rg >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $(E2E_APT)) >/dev/null \
	    || echo "e2e-deps: apt-get failed; the VS Code e2e test will skip"; \
	  else echo "e2e-deps: install as root: apt-get install $(E2E_APT)"; fi; \
	fi
	@if [ ! -x $(CODE_SERVER_DIR)/node_modules/.bin/code-server ] && command -v npm >/dev/null; then \
	  echo "e2e-deps: installing code-server (about 2.5 minutes)"; \
	  bash editors/vscode/e2e/install-code-server.sh $(CURDIR)/$(CODE_SERVER_DIR) >/dev/null 2>&1 \
	    || { echo "e2e-deps: code-server install failed; the VS Code e2e test will skip"; \
	         rm -rf $(CODE_SERVER_DIR); }; \
	fi

vsix:
	cd editors/vscode && npm ci --no-audit --no-fund && npm run package
	@echo "built editors/vscode/memfs.vsix (install: code --install-extension editors/vscode/memfs.vsix)"

lint: $(STAMP)
	$(VENV)/bin/ruff check memfs agent lsp_server memfs_cli testkit tests bench
	$(VENV)/bin/mypy

lock: $(STAMP)
	@{ echo "# Exact pins of every dependency (runtime, dev and build), installed by 'make' into .venv."; \
	   echo "# Regenerate: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | grep -v '^memfs-lsp'; } > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
