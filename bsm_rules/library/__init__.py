"""What policies can name and use: message fields, built-in functions, value types, the text
finders, normalisation and the HTML reader."""
