#!/usr/bin/env python
"""Django's command-line utility. Adopts the running local runtime's endpoints, if there is one."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings.local")
    from emulator.endpoints import endpoints_adopt

    endpoints_adopt()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
