import sys

from tprlint.cli import main

sys.exit(main())
