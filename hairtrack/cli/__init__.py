"""The `hairtrack` command line: headless commands over the core services."""
