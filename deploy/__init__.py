"""Deploying Ouroboros to AWS: the function list, Zappa settings, bootstrap, checks and teardown.

- `functions`: the ONE list of deployed functions (data), and the names everything derives from.
- `zappa_settings`: builds ``zappa_settings.json`` from that list (a test keeps the file in step).
- `runtime_env`: the runtime-only virtual environment Zappa packages from (``.venv-lambda``).
- `zappa_cli`: runs ``zappa package`` / ``zappa deploy`` for a deployment side.
- `bootstrap`: creates, idempotently, everything Zappa does not (tables, topic, roles, state
  machine, rules, custom action, stream mappings) and reports created / updated / unchanged.
- `check`: verifies a deployment resource by resource (the rehearsal test and ``--check``).
- `member_role`: the CloudFormation template of the member-account remediation role.
- `teardown`: removes what bootstrap created.
"""
