"""Atheris harness: document text through the language server's analysis and features (the contract
is `check_lsp` of tests/fuzz/contracts.py). Run `python fuzz/lsp.py [-atheris_runs=N] [corpus_dir ...]`."""

from harness import main

if __name__ == "__main__":
    main("lsp")
