"""The language server: a thin pygls adapter over ``agent`` and ``memfs``."""
