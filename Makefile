# OneWindow — the two commands a new user needs are `make demo` and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test bench lint install assets clean

$(BIN)/python:
	$(shell command -v $(PY) || echo python3) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# bpmn-js from npm (package-lock.json) into admin/static/vendor/; a no-op when already done.
assets:
	bash tools/assets.sh

demo: install assets
	$(BIN)/onewindow db upgrade
	ONEWINDOW_DEMO=1 $(BIN)/onewindow demo > /dev/null
	@echo
	@echo "OneWindow demo: http://127.0.0.1:8080  (accounts: admin analyst frontdesk minzheng renshe yibao supervisor grid; password demo)"
	ONEWINDOW_DEMO=1 $(BIN)/onewindow serve --host 127.0.0.1 --port 8080

test: install assets
	$(BIN)/python -m pytest -p no:cacheprovider

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var
