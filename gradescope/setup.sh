#!/usr/bin/env bash
# Gradescope builds its image with this (Ubuntu, as root). A virtualenv keeps pip away from the
# system Python, which newer Ubuntu images mark as externally managed; run_autograder uses it.
set -eux
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -r /autograder/source/requirements-grader.txt
