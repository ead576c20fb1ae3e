"""``python -m r_reference regenerate|check|list [--kind K] [--case NAME]``.

regenerate  run the cases in R and write golden/<kind>/<name>.json
check       run them again and report drift against the committed goldens
            (numbers beyond 1e-13 relative, any printed line); exit 1 on drift
list        print the catalogue
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m r_reference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["regenerate", "check", "list"])
    parser.add_argument("--kind", help="only the cases of this kind (lm, lme, model_matrix)")
    parser.add_argument("--case", help="only the case of this name")
    args = parser.parse_args(argv)

    from r_reference import runner

    if args.command == "list":
        for case in runner.all_cases(args.kind, args.case):
            print(f"{case.kind:14s} {case.name:40s} {case.note}")
        return 0
    if args.command == "regenerate":
        failed = 0
        for case in runner.all_cases(args.kind, args.case):
            try:
                path = runner.write_golden(case, runner.run_case(case))
            except Exception as exc:  # report every failing case, go on
                failed += 1
                print(f"FAILED {case.kind}/{case.name}: {exc}", file=sys.stderr)
                continue
            print(f"wrote {path.relative_to(runner.REPO)}")
        return 1 if failed else 0
    drift = runner.check(args.kind, args.case)
    if not drift:
        print("no drift: R gives the committed goldens")
        return 0
    for key, lines in sorted(drift.items()):
        print(f"DRIFT {key}")
        for line in lines[:20]:
            print(f"  {line}")
        if len(lines) > 20:
            print(f"  ... {len(lines) - 20} more")
    return 1


if __name__ == "__main__":
    sys.exit(main())
