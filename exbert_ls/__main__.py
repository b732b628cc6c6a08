import sys

from exbert_ls.cli import main

sys.exit(main())
