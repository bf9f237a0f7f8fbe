"""Issue an owner token: what an owner's service sends as ``X-Camera-Owner-Token``.

Run by the operator at owner onboarding, with the deployment's master key in the
environment (never on the command line, where ``ps`` would show it):

    CAMERA_SIGNING_KEY="$(pass camera/signing-key)" python3 fc_functions/owner_token.py --owner acme-home --days 90

The token names the owner id that the functions record on registration and check on every
query; it is valid until it expires (rotate the master key to revoke all tokens at once).
Not part of any function package.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "shared"))

from camera_common.security import OWNER_ID_RE, make_owner_token  # noqa: E402

MAX_DAYS = 400


def main(argv=None, now=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owner", required=True, help="owner id (%s)" % OWNER_ID_RE.pattern)
    parser.add_argument("--days", type=int, default=90, help="validity in days (1..%d, default 90)" % MAX_DAYS)
    args = parser.parse_args(argv)
    key = os.environ.get("CAMERA_SIGNING_KEY", "")
    if len(key) < 32:
        parser.error("CAMERA_SIGNING_KEY (at least 32 characters) must be set in the environment")
    if not 1 <= args.days <= MAX_DAYS:
        parser.error("--days must be between 1 and %d" % MAX_DAYS)
    if not OWNER_ID_RE.match(args.owner):
        parser.error("--owner must match %s" % OWNER_ID_RE.pattern)
    now = time.time() if now is None else now
    print(make_owner_token(key, args.owner, int(now) + args.days * 86400))
    return 0


if __name__ == "__main__":
    sys.exit(main())
