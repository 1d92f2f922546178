"""The package version, in one place (imported by the report, the model card and the CLI)."""

__version__ = "0.1.0"
