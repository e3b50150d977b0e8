"""``python -m stytch_b2b_otp``: the same as the ``stytch-b2b-otp`` command."""

import sys

from stytch_b2b_otp._cli import main

sys.exit(main())
