"""The bsm language server: pygls handlers over the bsm_rules pipeline."""
