"""Registers the language features (hover, completion, navigation, …) on the server."""
