#!/usr/bin/env python3
"""validate_traces.py — every line of every trace (*.jsonl) under the given directories is valid
against cases/schema/trace.schema.json. Files under a directory named "bad" are skipped (they are
bad input on purpose). Exit 77 (skipped) without python3-jsonschema, unless CI=true.

Usage: validate_traces.py SCHEMA DIR...
"""
import json
import os
import pathlib
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    print("python3-jsonschema is not installed" + (" (required under CI)" if os.environ.get("CI") == "true" else ": skipped"))
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def main() -> int:
    schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = files = lines = 0
    for d in sys.argv[2:]:
        for path in sorted(pathlib.Path(d).rglob("*.jsonl")):
            if "bad" in path.parts:
                continue
            files += 1
            with path.open(encoding="utf-8") as f:
                for n, text in enumerate(f, 1):
                    if not text.strip():
                        continue
                    lines += 1
                    try:
                        value = json.loads(text)
                    except json.JSONDecodeError as e:
                        print(f"{path}:{n}: not JSON: {e}")
                        errors += 1
                        continue
                    for e in validator.iter_errors(value):
                        print(f"{path}:{n}: {e.message}")
                        errors += 1
                        break
    print(f"{files} traces, {lines} lines, {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
