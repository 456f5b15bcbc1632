"""`python -m hairtrack` behaves exactly like the `hairtrack` console script."""

from hairtrack.cli.main import main

raise SystemExit(main())
