"""Developer machine: `make run`."""
from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
GRIDOPS_DEMO = env_bool("GRIDOPS_DEMO", True)  # `make run` loads the demo district
