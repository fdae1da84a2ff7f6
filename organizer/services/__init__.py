"""Service functions: each takes a session in a transaction and does one user action.

The CLI and the TUI call these and nothing lower, so both get the same rules and the same
history entries.
"""
