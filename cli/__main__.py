"""`python -m cli` runs the `zhidu` command line."""

from cli.main import main

raise SystemExit(main())
