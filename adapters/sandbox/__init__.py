"""The built-in sandbox shop."""
