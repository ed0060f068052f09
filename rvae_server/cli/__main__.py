import sys

from rvae_server.cli import main

sys.exit(main())
