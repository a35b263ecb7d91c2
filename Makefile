# The two commands a newcomer needs are `make run` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run serve install migrate demo static test browser lint format messages bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[test,dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --site-domain 127.0.0.1:$(PORT)

static: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: demo static
	@echo ""
	@echo "  Portal:  http://127.0.0.1:$(PORT)/"
	@echo "  Admin:   http://127.0.0.1:$(PORT)/admin/"
	@echo "  Logins:  editor / editor-demo       (Редакторы: articles in the admin)"
	@echo "           moderator / moderator-demo (Модераторы: comments)"
	@echo "           reader / reader-demo       (a reader who comments)"
	@echo ""
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py newsportal.wsgi

serve: install
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py newsportal.wsgi

# Browser tests drive Debian's Chromium; without it (no root, no apt) they skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium: browser tests will be skipped."; \
	  else echo "No chromium and no root to install it: browser tests will be skipped."; fi; }

test: install browser
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	git ls-files -z '*.py' | xargs -0 $(BIN)/django-upgrade --target-version 5.2 >/dev/null

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages -l ru -l kk -l en --no-obsolete --ignore=.venv --ignore=var --ignore=bench
	$(BIN)/python manage.py makemessages -d djangojs -l ru -l kk -l en --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=bench --ignore=var

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
