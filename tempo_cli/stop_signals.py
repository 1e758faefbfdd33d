"""The signals that stop a run besides Ctrl-C: the CLI turns them into a clean stop, training's data workers end
quietly on them and leave the clean stop to the main process."""

import signal

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
