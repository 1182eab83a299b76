"""Settings for the local runtime (`make run`): DEBUG on, served on 127.0.0.1 only."""

from console.settings.base import *  # noqa: F403

DEBUG = True
