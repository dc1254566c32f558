"""The analysis engine: discovery, parsing, name resolution, data flow."""
