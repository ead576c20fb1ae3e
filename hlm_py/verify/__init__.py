"""hlm_py checked against R: golden cases run in Python and compared with R's numbers.

``cases.run_case(golden)`` runs a golden case's Python side through the public
API; ``compare.compare_case(...)`` compares it with R's results at the
project's tolerances. Used by the golden tests, the live-R tests and
``hlm-py verify``.
"""
