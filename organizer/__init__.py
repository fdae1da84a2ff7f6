"""Organizer: an editorial workflow organizer for social media teams, in the terminal.

The package is the headless core. It never imports Textual or `screens`; only the CLI's
launcher does, lazily, when it starts the app.
"""

__version__ = "0.1.0"
