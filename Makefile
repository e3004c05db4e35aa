# Dropout Drills. Two commands to start: `make lab` (learn) and `make test` (check everything).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: lab workspace test test-perturbed release solutions samples grade gradescope bench clean

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

lab: $(STAMP) workspace  ## open your workspace/ in JupyterLab (holds this terminal)
	$(VENV)/bin/jupyter lab workspace/ $(if $(filter 0,$(shell id -u)),--allow-root)

workspace:  ## copy new notebooks into workspace/ (git-ignored; never overwrites your files)
	$(if $(wildcard $(PY)),$(PY),python3) -m grader workspace

test: $(STAMP)  ## everything CI runs: unit tests, notebooks, release check
	$(PY) -m grader release --check
	$(PY) -m grader readme --check
	$(PY) -m pytest -q tests solutions
	$(PY) -m pytest -q -p no:cacheprovider --nbval solutions/*/solution.ipynb --nbval-sanitize-with tests/nbval_sanitize.cfg

# Float results made to differ on purpose, as on another CPU: scalar kernels instead of vector
# ones, MKL's compatibility code path, one thread, and another training seed for the band tests.
PERTURBED := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE OMP_NUM_THREADS=1 BAND_SEED=7

test-perturbed: $(STAMP)  ## the band tests and the nbval step with float results perturbed
	$(PERTURBED) $(PY) -m pytest -q solutions/*/tests/test_bands.py
	$(PERTURBED) $(PY) -m pytest -q -p no:cacheprovider --nbval solutions/*/solution.ipynb --nbval-sanitize-with tests/nbval_sanitize.cfg

release: $(STAMP)  ## regenerate notebooks/ from solutions/ (never a learner's work) and the README's course table
	$(PY) -m grader release
	$(PY) -m grader readme

solutions: $(STAMP)  ## execute every solution in place (the outputs nbval compares), release, samples
	$(PY) -m grader.build.execute
	$(PY) -m grader release
	$(PY) -m grader readme
	$(PY) -m grader.build.samples

samples: $(STAMP)  ## regenerate each drill's samples/ from its student notebook
	$(PY) -m grader.build.samples

grade: $(STAMP)  ## grade every drill's sample submissions into graded/
	$(PY) -m grader grade solutions/*/samples --out graded --jobs 2

gradescope: $(STAMP)  ## build build/gradescope.zip for Gradescope's autograder
	$(PY) gradescope/build.py

bench: $(STAMP)  ## speed benchmarks (print tables)
	$(PY) bench/sweep_speed.py
	$(PY) bench/grading_speed.py
	for b in solutions/*/bench_*.py; do $(PY) $$b || exit 1; done  # each drill's own benchmarks

clean:
	rm -rf graded build .pytest_cache
