# unfolio — every target that needs the tool runs `setup` first, so a fresh machine needs
# nothing done by hand. Debian packages are installed only when missing (needs root or sudo).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
EXAMPLE := examples/A_75_9001--S_2021_9001-ZH
OUT     := build
DEBIAN_PACKAGES := fonts-noto-cjk fonts-noto-core fonts-liberation2 libharfbuzz-subset0 \
                   libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup debian-packages test demo verify lint preview clean examples bench stress

setup: debian-packages $(VENV)/.installed

debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:" $$missing; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
test: setup
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

lint: setup
	$(BIN)/ruff check pipeline tests stress bench scripts
	$(BIN)/ruff format --check pipeline tests stress bench scripts

demo: setup
	$(BIN)/unfolio validate $(EXAMPLE)
	mkdir -p $(OUT)
	$(BIN)/unfolio render $(EXAMPLE) -o $(OUT)/$(notdir $(EXAMPLE)).pdf
	$(BIN)/unfolio build $(EXAMPLE) -o $(OUT)/bags
	$(BIN)/unfolio verify $(OUT)/bags/$(notdir $(EXAMPLE))

# Every bag under build/: folders holding bagit.txt, and .zip / .tar.gz archives.
verify: setup
	$(BIN)/unfolio verify $(OUT)

# Every source folder under examples/ → build/bags; unchanged documents are skipped (build key).
examples: setup
	$(BIN)/unfolio build 'examples/*/' -o $(OUT)/bags

# Issue 5 benchmark: corpus from the fixtures, warm/cold cost against plain WeasyPrint, --jobs 1
# and 2, worker RSS, no-change rebuild, PDF sizes -> bench/results.md (about 10 min on 2 cores).
# BENCH_QUICK=1 runs a small corpus in well under a minute -> bench/results-quick.md.
# bench/cold.py (issue 16): cold start, make -j2, warm server -> bench/results-cold.md.
bench: setup
	$(BIN)/python bench/run.py
	$(BIN)/python bench/cold.py

# Issue 6: hostile input, limits, faults (SIGKILL at random moments, concurrent builds, read-only
# and full output, a source changed mid-build) and hostile bags, all through the real CLI -> a
# table (case, expected, happened, PASS/FAIL) on stdout and in build/stress.md; exit 1 on a FAIL.
# STRESS_REPEAT=N repeats each fault case N times (default 10; about 5 min on 2 cores);
# STRESS_QUICK=1 runs a representative subset once (under a minute).
stress: setup
	$(BIN)/python -m stress.run

# The bag's own PDF, page by page (the bag is built first, or skipped if up to date).
preview: setup
	$(BIN)/unfolio build $(EXAMPLE) -o $(OUT)/bags
	$(BIN)/unfolio preview $(OUT)/bags/$(notdir $(EXAMPLE)) -o $(OUT)/preview

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache .hypothesis dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
