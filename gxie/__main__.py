"""``python -m gxie`` is the ``gxie`` command."""

from gxie.cli import main

raise SystemExit(main())
