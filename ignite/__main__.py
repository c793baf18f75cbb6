"""`python -m ignite`: the same as the `ignite` command."""
import sys

from ignite.cli import main

sys.exit(main())
