"""Django settings: ``base`` (shared), ``local`` (the default), ``test``, ``production``."""
