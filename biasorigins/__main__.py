"""``python -m biasorigins`` runs the command line."""

from biasorigins.cli import main

raise SystemExit(main())
