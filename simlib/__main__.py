from simlib.cli import main

raise SystemExit(main())
