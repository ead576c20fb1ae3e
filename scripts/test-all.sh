#!/usr/bin/env bash
# Installs everything the tests need and runs every tier: golden + unit +
# property (tox -e py), live R (tox -e r), golden + unit on other arithmetic
# (tox -e arith), the lowest claimed numpy/scipy/pandas (tox -e floor), lint
# (tox -e lint).
# Works on a fresh Debian 12 machine with Python 3.11, as root, registries
# reachable. This is the README's test command and exactly what CI runs.
# Any failure, a missing R, a skipped live-R test or a tier that ran no test
# (pytest exit code 5) makes it exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

export LANG=C.UTF-8 LC_ALL=C.UTF-8
export DEBIAN_FRONTEND=noninteractive

have_r() {
    command -v Rscript >/dev/null 2>&1 || return 1
    command -v R >/dev/null 2>&1 || return 1
    Rscript -e 'for (p in c("nlme", "lme4", "mlmRev")) if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' \
        >/dev/null 2>&1 || return 1
    # rpy2 is built from source against R's headers
    [ -f "$(R RHOME)/include/R.h" ] || [ -f /usr/share/R/include/R.h ] || return 1
}

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
if have_r; then
    echo "== R with nlme, lme4, mlmRev already present: skipping apt-get"
else
    echo "== installing R 4.2 with nlme, lme4, mlmRev from Debian's packages"
    $SUDO apt-get update
    $SUDO apt-get install -y r-base-core r-base-dev r-cran-nlme r-cran-lme4 r-cran-mlmrev
    have_r || { echo "R or its packages still missing after apt-get" >&2; exit 1; }
fi
R_HOME="$(R RHOME)"
export R_HOME
echo "== R_HOME=$R_HOME ($(R --version | head -n 1))"

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' 
if [ ! -x .venv/bin/python ]; then
    # Debian's own python3 needs python3-venv for ensurepip; pyenv/python.org builds don't.
    "$PY" -m venv .venv || {
        rm -rf .venv
        ${SUDO:-} apt-get install -y python3-venv
        "$PY" -m venv .venv
    }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[r,test]' tox

# CI sets CI=true; make the requirement explicit for the live tier anyway.
export HLM_REQUIRE_R=1
failed=()
run_tier() {
    local name="$1"; shift
    echo "== tier: $name"
    if ! "$@"; then failed+=("$name"); fi
}
# CI's hypothesis runs are reproducible: the committed example database
# (.hypothesis/examples) is replayed first, then examples are drawn from a fixed
# seed, so a CI run judges the change, not the luck of the draw. Exploration
# with fresh seeds is the thorough profile's job (README, "Property tests").
HYP=(--hypothesis-profile=ci --hypothesis-seed="${HLM_HYPOTHESIS_SEED:-20261121}")
run_tier "golden + unit + property (tox -e py)" .venv/bin/tox run -e py -- "${HYP[@]}"
# the floor tier (lowest numpy, scipy, pandas claimed; its own tox work dir)
# runs beside the live-R tier, which keeps one core busy; its output is
# printed when it ends
floor_log=$(mktemp)
.venv/bin/tox run -e floor --workdir .tox-floor -- "${HYP[@]}" >"$floor_log" 2>&1 &
floor_pid=$!
run_tier "live R (tox -e r)" .venv/bin/tox run -e r -- "${HYP[@]}"
echo "== tier: lowest claimed numpy, scipy, pandas (tox -e floor)"
if ! wait "$floor_pid"; then failed+=("lowest versions (tox -e floor)"); fi
cat "$floor_log"
rm -f "$floor_log"
run_tier "arithmetic: numpy baseline, other OpenBLAS kernels (tox -e arith)" .venv/bin/tox run -e arith -- "${HYP[@]}"
run_tier "lint (tox -e lint)" .venv/bin/tox run -e lint
if [ "${#failed[@]}" -ne 0 ]; then
    printf '== FAILED tier: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "== all tiers passed"
