"""The local AWS emulator and the demo: what runs Ouroboros end to end on a laptop, never deployed.

DynamoDB Local and moto's server (`runtime`, `dynamodb_local`, `moto_server`, `endpoints`) plus
the project's own gap fillers for what moto lacks: a Security Hub (`securityhub_*`), an event bus
with EventBridge matching (`bus*`, `event_pattern`), the Lambda invoke hook (`lambda_invoke`),
stream pollers (`streams`), the scheduler, the workflow wiring (`workflow`, `moto_sfn`), the
Hub store, and the demo (`demo*`). It may import the core, `deploy` and `lambdas`; only
``manage.py`` and the management commands import it, and Zappa leaves it out of every package.
"""
