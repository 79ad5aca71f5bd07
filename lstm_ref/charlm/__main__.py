"""``python -m lstm_ref.charlm``: see :mod:`lstm_ref.charlm.cli`."""
from .cli import main

raise SystemExit(main())
