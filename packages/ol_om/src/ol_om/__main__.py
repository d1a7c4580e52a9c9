"""``python -m ol_om``: the ``ol-om`` command."""

import sys

from ol_om._cli import main

sys.exit(main())
