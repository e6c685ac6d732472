"""What the atheris harnesses of this folder share: the contracts of tests/fuzz/contracts.py as
the function fuzzed, the code under test instrumented for coverage, and the defaults of a run (a
working corpus under .fuzz-work/, the seeds of the target, crash files in .fuzz-work/crashes/)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".fuzz-work"
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

_POLICY_SEEDS = [CORPUS / "policy", CORPUS / "lsp", ROOT / "policies",
                 *sorted(path for path in (ROOT / "tests" / "golden").iterdir() if path.is_dir())]
#: Folders of seed inputs per target, read at the start of a run besides the working corpus.
SEEDS = {
    "policy": _POLICY_SEEDS,
    "lsp": _POLICY_SEEDS,
    "messages": [CORPUS / "messages", ROOT / "examples"],
    "mime": [CORPUS / "mime", ROOT / "tests" / "data" / "mail"],
}
MAX_LEN = 10_000  # bytes of an input, as in the hypothesis tests: large inputs are slow, not interesting


def _import_everything() -> None:
    """Import every module of the packages under test, so that all of them are instrumented (the
    stages import their modules lazily, on first use)."""
    for package_name in ("bsm_rules", "bsm_lsp"):
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)


def _arguments(target: str, argv: list[str]) -> list[str]:
    """libFuzzer's arguments: those given, plus the default folders and limits not given."""
    program, options = argv[0], argv[1:]
    if not any(not option.startswith("-") for option in options):
        work = WORK / "corpus" / target
        work.mkdir(parents=True, exist_ok=True)
        options += [str(work), *(str(seed) for seed in SEEDS[target] if seed.is_dir())]
    if not any(option.startswith("-artifact_prefix=") for option in options):
        (WORK / "crashes").mkdir(parents=True, exist_ok=True)
        options.append(f"-artifact_prefix={WORK / 'crashes'}/{target}-")
    if not any(option.startswith("-max_len=") for option in options):
        options.append(f"-max_len={MAX_LEN}")
    return [program, *options]


def main(target: str) -> None:
    """Fuzz `target` (a name of `contracts.TARGETS`) with the command line's libFuzzer options."""
    try:
        import atheris
    except ImportError:
        sys.exit("atheris is not installed: pip install -e '.[fuzz]' (see docs/testing.md, Fuzzing)")
    with atheris.instrument_imports(include=["bsm_rules", "bsm_lsp", "contracts"]):
        _import_everything()
        import contracts
    check = contracts.TARGETS[target]
    try:
        atheris.Setup(_arguments(target, sys.argv), check)
        atheris.Fuzz()
    finally:
        contracts.remove_workspace()
