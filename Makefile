# OneWindow — the two commands a new user needs are `make demo` and `make test`.
PY      ?= python3.11
VENV    := .venv
PORT    ?= 8080
TEST_WORKERS ?= 2
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test bench lint install assets clean

$(BIN)/python:
	@echo "installing into $(VENV) (first run: a few minutes)"
	@$(shell command -v $(PY) || echo python3) -m venv $(VENV)
	@$(BIN)/pip install -qq --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	@$(BIN)/pip install -qq -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# bpmn-js from npm (package-lock.json) into admin/static/vendor/; a no-op when already done.
assets:
	@bash tools/assets.sh

demo: install assets
	@$(BIN)/onewindow db upgrade > /dev/null
	@ONEWINDOW_DEMO=1 $(BIN)/onewindow demo > /dev/null
	@echo "OneWindow demo accounts: admin analyst frontdesk minzheng renshe yibao supervisor grid (password demo)"
	@ONEWINDOW_DEMO=1 $(BIN)/onewindow serve --host 127.0.0.1 --port $(PORT)

test: install assets
	$(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
