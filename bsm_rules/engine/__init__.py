"""Evaluation: value operations, the expression compiler and prefilter, code generation of the
rule runner, traces, verdicts, the `Policy` facade and batch evaluation."""
