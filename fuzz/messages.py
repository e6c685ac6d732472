"""Atheris harness: JSON and JSON Lines bytes through the message readers and batch evaluation (the contract
is `check_messages` of tests/fuzz/contracts.py). Run `python fuzz/messages.py [-atheris_runs=N] [corpus_dir ...]`."""

from harness import main

if __name__ == "__main__":
    main("messages")
