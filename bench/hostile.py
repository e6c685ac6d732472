"""How long `bsm check` takes on one message whose field is about 1 MB of hostile text.

    python bench/hostile.py [--timeout SECONDS] [CASE ...]

Each case is one message with one field (`body` or `html`) of about a megabyte of one piece
repeated: joined emoji, unfinished comments and CDATA sections, almost-addresses, bare domains,
addresses, a character that NFKC expands eighteenfold, dense markup. Prints the wall time of a
whole `bsm check --format json` run (start-up included) and the size of its output, per case.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEGABYTE = 1_000_000

# name: (field, piece repeated to about a megabyte of UTF-8)
CASES = {
    "zwj-emoji": ("body", "\U0001F468\u200d"),
    "emoji": ("body", "\U0001F600"),
    "almost-addresses": ("body", "x@x."),
    "bare-domains": ("body", "a.co.uk "),
    "addresses": ("body", "jo@ex.com "),
    "nfkc-expansion": ("body", "\ufdfa"),
    "fullwidth": ("body", "\uff4a\uff4f\uff48\uff4e\uff20\uff47\uff4d\uff41\uff49\uff4c\uff0e\uff43\uff4f\uff4d "),
    "comments": ("html", "<!--"),
    "cdata": ("html", "<![CDATA["),
    "unfinished-tags": ("html", "<a x='>' "),
    "dense-markup": ("html", "<b>x"),
    "paragraphs": ("html", "<p>Hello there, this is a paragraph of text.</p>\n"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is given up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for name in args.cases or CASES:
            field, piece = CASES[name]
            value = piece * (MEGABYTE // len(piece.encode("utf-8")))
            path = Path(directory) / f"{name}.json"
            path.write_text(json.dumps({"id": name, field: value}), encoding="utf-8")
            start = time.perf_counter()
            try:
                done = subprocess.run([sys.executable, "-m", "bsm_rules", "check", "--format", "json", str(path)],
                                      capture_output=True, timeout=args.timeout, check=False)
            except subprocess.TimeoutExpired:
                print(f"{name:18} {len(value.encode('utf-8')):>9,} B  more than {args.timeout:.0f} s", flush=True)
                continue
            seconds = time.perf_counter() - start
            verdict = json.loads(done.stdout)["verdict"] if done.stdout else "(no result)"
            print(f"{name:18} {len(value.encode('utf-8')):>9,} B  {seconds:6.2f} s  "
                  f"output {len(done.stdout):>9,} B  {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
