"""`python -m organizer` runs the CLI."""

from organizer.cli.main import main

raise SystemExit(main())
