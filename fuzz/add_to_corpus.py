"""Adds an input that broke a fuzz contract to the corpus the suite replays
(tests/fuzz/corpus/TARGET/NAME), and says whether it breaks the contract now.

    python fuzz/add_to_corpus.py TARGET NAME FILE                  # a crash file of atheris
    python fuzz/add_to_corpus.py TARGET NAME --literal "b'...'"    # the bytes a hypothesis failure shows
"""

from __future__ import annotations

import argparse
import ast
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))


def main(argv: list[str]) -> int:
    from contracts import TARGETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=[*TARGETS, "jsonrpc"])
    parser.add_argument("name", help="a file name saying what the input is, e.g. deep-not.bsm")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="the input, as a file")
    source.add_argument("--literal", help="the input, as a Python bytes literal")
    args = parser.parse_args(argv)
    data = args.file.read_bytes() if args.file is not None else ast.literal_eval(args.literal)
    if not isinstance(data, bytes):
        parser.error("--literal takes a bytes literal, b'...'")
    if Path(args.name).name != args.name or args.name.startswith("."):
        parser.error("the name is a file name, without folders")
    path = CORPUS / args.target / args.name
    if path.exists() and path.read_bytes() != data:
        parser.error(f"{path.relative_to(ROOT)} exists with other content")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"added {path.relative_to(ROOT)} ({len(data)} bytes)")
    if args.target == "jsonrpc":
        print("replayed by tests/fuzz/test_fuzz_jsonrpc.py")
        return 0
    try:
        TARGETS[args.target](data)
    except Exception:  # noqa: BLE001 - any failure is what is being reported
        print("it breaks the contract now:\n" + "".join(traceback.format_exc().splitlines(True)[-6:]))
        return 1
    print("it keeps the contract now")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
