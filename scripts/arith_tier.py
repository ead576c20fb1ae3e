"""The arithmetic tier: the golden and unit tests again on other arithmetic.

hlm_py must give R's answers on any x86-64 CPU and any BLAS kernel. This
runs ``pytest -m "not live_r" tests/golden tests/unit`` once per
configuration, on whatever machine runs it:

* numpy's SIMD dispatch cut back to its baseline (``NPY_DISABLE_CPU_FEATURES``
  = every dispatch target this CPU has, read from numpy at run time);
* OpenBLAS forced (``OPENBLAS_CORETYPE``) to each of two core types this CPU
  can run other than the one OpenBLAS picks itself.

Two runs cover both: ``numpy-baseline+openblas-<A>`` and ``openblas-<B>``
(three runs would not fit CI's two cores in the time).

Each run checks first that its configuration took effect (numpy reports the
features off; threadpoolctl reports the forced kernels) and fails if not: a
configuration that silently did not apply would prove nothing. Runs go two at
a time (CI has two cores), each with one BLAS thread (scripts/test-all.sh runs
them one by one beside other tiers, ``HLM_ARITH_CONFIG``). Exit status non-zero if
any run fails. ``python scripts/arith_tier.py --list`` prints the
configurations only; arguments after ``--`` go to pytest.
``HLM_ARITH_CONFIG=0`` (or 1) runs that configuration alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# OpenBLAS core types with the numpy CPU features their kernels need, in the
# order they are tried
CORE_TYPES = [
    ("Haswell", ("AVX2", "FMA3")),
    ("Sandybridge", ("AVX",)),
    ("Nehalem", ("SSE42",)),
    ("SkylakeX", ("AVX512F", "AVX512_SKX")),
]

CHECK = r"""
import json, os, sys
import numpy
try:
    from numpy._core import _multiarray_umath as m
except ImportError:
    from numpy.core import _multiarray_umath as m
import scipy.linalg  # noqa: F401  (loads scipy's OpenBLAS too)
from threadpoolctl import threadpool_info
off = [f for f in os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split() if f]
still = [f for f in off if m.__cpu_features__.get(f)]
arch = sorted({i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"})
want = os.environ.get("OPENBLAS_CORETYPE")
print(json.dumps({"numpy": numpy.__version__, "disabled": off, "still_on": still,
                  "openblas": arch}))
sys.exit(1 if still or (want and arch != [want]) else 0)
"""


def _probe(env: dict[str, str] | None = None) -> dict:
    import json

    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    if out.returncode not in (0, 1) or not out.stdout.strip():
        raise SystemExit(f"arith tier: probing the arithmetic failed:\n{out.stderr}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["ok"] = out.returncode == 0
    return info


def configurations() -> list[tuple[str, dict[str, str]]]:
    """(name, environment changes) of each run on this machine."""
    try:
        from numpy._core import _multiarray_umath as m
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as m
    features = m.__cpu_features__
    dispatched = [f for f in m.__cpu_dispatch__ if features.get(f)]
    configs: list[tuple[str, dict[str, str]]] = []
    # (a CPU with no dispatch target beyond numpy's baseline runs the baseline
    # already: the first run then differs from the default by its core type only)
    configs.append(("numpy-baseline", {"NPY_DISABLE_CPU_FEATURES": " ".join(dispatched)}))
    own = _probe()["openblas"]  # the default run's kernels (a preset OPENBLAS_CORETYPE stays)
    cores = [name for name, needs in CORE_TYPES
             if name not in own and all(features.get(f) for f in needs)][:2]
    if len(cores) < 2:
        raise SystemExit(f"arith tier: fewer than two other OpenBLAS core types run on this CPU "
                         f"(OpenBLAS picks {own}; candidates {cores})")
    name, changes = configs[0]
    configs[0] = (f"{name}+openblas-{cores[0]}", {**changes, "OPENBLAS_CORETYPE": cores[0]})
    configs.append((f"openblas-{cores[1]}", {"OPENBLAS_CORETYPE": cores[1]}))
    return configs


def _run(name: str, changes: dict[str, str], pytest_args: list[str]) -> tuple[str, int, str]:
    env = dict(os.environ)
    env.update(changes)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    info = _probe(env)
    head = f"== arith: {name} {changes} -> numpy {info['numpy']}, OpenBLAS kernels {info['openblas']}"
    if not info["ok"]:
        return name, 1, (f"{head}\n   the configuration did not take effect "
                         f"(features still on: {info['still_on']})\n")
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not live_r",
           "tests/golden", "tests/unit", *pytest_args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    tail = "\n".join(out.stdout.strip().splitlines()[-40:])
    return name, out.returncode, f"{head} ({time.monotonic() - t0:.0f} s)\n{tail}\n{out.stderr[-2000:]}"


def main(argv: list[str]) -> int:
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    configs = configurations()
    only = os.environ.get("HLM_ARITH_CONFIG")
    if only is not None:
        # one configuration (scripts/test-all.sh runs the two beside other tiers)
        configs = [configs[int(only)]]
    if "--list" in argv:
        for name, changes in configs:
            print(name, " ".join(f"{k}={v!r}" for k, v in changes.items()))
        return 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: _run(c[0], c[1], pytest_args), configs))
    failed = []
    for name, rc, text in results:
        print(text, flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"== arith: FAILED in {', '.join(failed)}", flush=True)
        return 1
    print(f"== arith: all {len(results)} configurations passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
