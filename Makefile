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
	$(BIN)/onewindow demo
	@echo
	@echo "OneWindow demo loaded into var/onewindow.db. The web app arrives with the next release; meanwhile:"
	@echo "  . .venv/bin/activate"
	@echo "  onewindow definitions"
	@echo "  onewindow start general_approval --data '{\"applicant\": \"张三\"}' --as frontdesk"
	@echo "  onewindow tasks --as frontdesk        # then: onewindow complete ID --as frontdesk --data '{...}'"
	@echo "  onewindow worker                      # runs timers and continuations"

test: install assets
	$(BIN)/python -m pytest -p no:cacheprovider

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var
