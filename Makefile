# Two commands on a bare machine: `make run` and `make test`.
# Everything else the project needs is installed by the rules below.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
REQS := requirements/base.txt requirements/test.txt requirements/dev.txt requirements/constraints.txt requirements/pose.txt

.PHONY: run test install model lint format messages clean bench lock

run: $(STAMP) model
	@$(PY) -m config.devstack run

test: $(STAMP) $(CHROMIUM) model
	@$(PY) -m config.devstack test $(ARGS)

install: $(STAMP)

# The pose model: nothing to do (no network) when POSE_MODEL_PATH exists, as with the
# shared copy offline; otherwise the official bundle is downloaded to var/models/.
model: $(STAMP)
	@$(PY) manage.py fetch_pose_model

# The browser test drives Debian's chromium (Playwright downloads no browser here): install
# it once when missing (we are root on CI and dev machines).
$(CHROMIUM):
	@echo "Installing chromium for the browser test (apt-get)..."
	@mkdir -p var && DEBIAN_FRONTEND=noninteractive apt-get update -qq > var/apt.log 2>&1 && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >> var/apt.log 2>&1 || \
	  { tail -20 var/apt.log; echo "ERROR: could not install chromium (log: var/apt.log)."; exit 1; }

$(STAMP): $(REQS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "ERROR: Python 3.11+ is needed (found $$($(PYTHON) --version))."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \
	  { echo "ERROR: could not create $(VENV); install python3-venv."; exit 1; }
	@mkdir -p var
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt \
	  > var/pip.log 2>&1 || { tail -30 var/pip.log; \
	  echo "ERROR: installing requirements failed (full log: var/pip.log). Check network access to PyPI."; exit 1; }
	@# mediapipe without its opencv-contrib-python (see requirements/base.txt).
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/pose.txt \
	  >> var/pip.log 2>&1 || { tail -30 var/pip.log; echo "ERROR: installing mediapipe failed."; exit 1; }
	@touch $(STAMP)

lint: $(STAMP)
	@$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: $(STAMP)
	@$(PY) -m ruff format . && $(PY) -m ruff check --fix .

# Extract strings into locale/*.po (needs GNU gettext: apt-get install gettext), then
# compile the .mo files in pure Python. Both .po and .mo are committed.
messages: $(STAMP)
	@$(PY) manage.py makemessages -l es -l fr -l de --ignore=.venv --ignore=benchmarks --ignore=var --ignore=templates/admin --no-obsolete -v 0 && \
	  $(PY) manage.py compilemessages_py

# All benchmarks (benchmarks/__main__.py), or some: make bench ARGS="kiosk bookings".
bench: $(STAMP)
	@$(PY) -m config.devstack exec -- $(PY) -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) var

# Re-pin every transitive dependency after changing a requirements file.
lock: $(STAMP)
	@$(PY) -m pip install --quiet -r requirements/dev.txt > var/pip.log 2>&1 && \
	  { echo "# Every package, transitive ones included, at the version the suite last passed with."; \
	    echo "# Regenerate after changing a requirements file: make lock"; \
	    $(PY) -m pip freeze --exclude-editable; } > requirements/constraints.txt
