"""trtinspect.inspector: stateless analyses of engine bundles (lint, alignment/diff, regression check)."""
