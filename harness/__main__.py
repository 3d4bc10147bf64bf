# PYTHON_ARGCOMPLETE_OK  (completion of `python -m harness`: see harness/completion.py)
import sys

from .cli import main

sys.exit(main())
