"""Atheris harness: policy text through checking, formatting, compiling and evaluating (the contract
is `check_policy` of tests/fuzz/contracts.py). Run `python fuzz/policy.py [-atheris_runs=N] [corpus_dir ...]`."""

from harness import main

if __name__ == "__main__":
    main("policy")
