# memfs-lsp: every target creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all install test run bench lint lock clean vsix

all: test

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "memfs-lsp needs Python >= 3.11: set PYTHON=python3.11 (or newer)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

# Opens Neovim on this folder with the plugin (editors/nvim) against this checkout's server;
# without a terminal it prints the memory status and tree instead.
run: $(STAMP)
	@$(VENV)/bin/memfs memory init
	@if [ -t 0 ] && [ -t 1 ]; then \
	  $(VENV)/bin/nvim --headless --clean -c "helptags editors/nvim/doc" -c "qa!" && \
	  PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/nvim --cmd "set rtp^=$(CURDIR)/editors/nvim" \
	    -c "lua vim.lsp.enable('memfs')" -c "MemfsTree" . ; \
	else \
	  $(VENV)/bin/memfs memory status && echo && $(VENV)/bin/memfs memory tree; \
	fi

bench: $(STAMP)
	$(PY) -m bench

vsix:
	cd editors/vscode && npm ci --no-audit --no-fund && npm run package
	@echo "built editors/vscode/memfs.vsix (install: code --install-extension editors/vscode/memfs.vsix)"

lint: $(STAMP)
	$(VENV)/bin/ruff check memfs agent lsp_server memfs_cli tests bench
	$(VENV)/bin/mypy

lock: $(STAMP)
	@{ echo "# Exact pins of every dependency (runtime, dev and build), installed by 'make' into .venv."; \
	   echo "# Regenerate: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | grep -v '^memfs-lsp'; } > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
