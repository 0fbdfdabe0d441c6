# memfs-lsp: every target creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all install test run bench lint lock clean vsix e2e-deps

CODE_SERVER_DIR := editors/vscode/e2e/.code-server
CODE_SERVER_STAMP := $(CODE_SERVER_DIR)/.installed
E2E_APT := chromium ripgrep build-essential pkg-config libsecret-1-dev libx11-dev libxkbfile-dev libkrb5-dev

all: test

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "memfs-lsp needs Python >= 3.11: set PYTHON=python3.11 (or newer)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

# Linters first (ruff, mypy strict over the code, tests and benchmarks), then what the VS Code
# end-to-end test needs (installed once, then cached), then the suite.
test: lint e2e-deps
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

# Chromium (Debian) and code-server (npm) for the VS Code end-to-end test, installed once: apt
# only when Chromium or ripgrep is missing (as root; otherwise it says what to install and the
# test skips, except on CI where it fails), code-server into a git-ignored cache folder whose
# stamp makes the next run skip the work.
e2e-deps: $(CODE_SERVER_STAMP)

$(CODE_SERVER_STAMP): editors/vscode/e2e/install-code-server.sh
	@if [ ! -x /usr/bin/chromium ] || ! command -v rg >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "e2e-deps: as root, run: apt-get install $(E2E_APT); the VS Code e2e test skips"; exit 0; fi; \
	  echo "e2e-deps: apt-get install $(E2E_APT)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $(E2E_APT) >/dev/null || exit 1; \
	fi; \
	if ! command -v npm >/dev/null; then echo "e2e-deps: npm is missing; the VS Code e2e test skips"; exit 0; fi; \
	echo "e2e-deps: installing code-server into $(CODE_SERVER_DIR) (a few minutes, once)"; \
	rm -rf $(CODE_SERVER_DIR); \
	if bash editors/vscode/e2e/install-code-server.sh $(CURDIR)/$(CODE_SERVER_DIR) > $(CODE_SERVER_DIR).log 2>&1; \
	then rm -f $(CODE_SERVER_DIR).log; touch $@; \
	else tail -30 $(CODE_SERVER_DIR).log; rm -rf $(CODE_SERVER_DIR); exit 1; fi

vsix:
	cd editors/vscode && npm ci --no-audit --no-fund && npm run package
	@echo "built editors/vscode/memfs.vsix (install: code --install-extension editors/vscode/memfs.vsix)"

lint: $(STAMP)
	$(VENV)/bin/ruff check memfs agent lsp_server acp_server memfs_cli testkit tests bench
	$(VENV)/bin/mypy

lock: $(STAMP)
	@{ echo "# Exact pins of every dependency (runtime, dev and build), installed by 'make' into .venv."; \
	   echo "# Regenerate: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | grep -v '^memfs-lsp'; } > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
