"""trtinspect.app: the Dash web dashboard (`trtinspect serve`)."""
