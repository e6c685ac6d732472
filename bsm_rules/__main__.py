"""`python -m bsm_rules`: the `bsm` command."""

from .cli import run

run()
