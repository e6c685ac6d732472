"""`python -m bsm_rules.cli`: the `bsm` command."""

from . import run

run()
