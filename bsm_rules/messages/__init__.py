"""Messages in: the message model and seller context, and the JSON, JSON Lines and email readers
that turn input files into items."""
