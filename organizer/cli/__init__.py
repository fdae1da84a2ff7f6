"""The `organizer` command line: argument parsing here, handlers in `commands`, output in `render`."""
