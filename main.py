from hairtrack.app import run

raise SystemExit(run())
