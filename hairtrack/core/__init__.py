"""The Qt-free core: domain types, storage, imaging and services.

Nothing under this package may import Qt; an import-linter contract and a test
enforce it so scripts, the CLI and tests can use the core without a display.
"""
