"""The policy language: parsing into an AST, loading includes, checking, examples, lints, the
formatter and the cache of checked policies."""
