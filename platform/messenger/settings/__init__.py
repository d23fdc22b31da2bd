"""Settings, split by topic. Each topic module reads only through `env.py`."""

from .base import *  # noqa: F403
from .billing import *  # noqa: F403
from .database import *  # noqa: F403
from .observability import *  # noqa: F403
from .realtime import *  # noqa: F403
from .security import *  # noqa: F403
from .tenancy import *  # noqa: F403
