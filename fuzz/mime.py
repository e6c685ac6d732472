"""Atheris harness: .eml and .mbox bytes through the email reader and batch evaluation (the contract
is `check_mime` of tests/fuzz/contracts.py). Run `python fuzz/mime.py [-atheris_runs=N] [corpus_dir ...]`."""

from harness import main

if __name__ == "__main__":
    main("mime")
