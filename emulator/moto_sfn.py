"""Two costs moto's Step Functions interpreter pays per execution, paid once instead.

Measured on the 2-core laptop under load (``benchmarks/workflow.py``), each finding's execution
paid, beside the work itself:

- a new boto3 Lambda client for every Task state (moto's ``boto_client_for``): about 40 ms each,
  three Tasks per finding. `moto_sfn_speedups_install` makes the Lambda tasks reuse one client per
  region (a task with its own ``Credentials`` still gets its own client);
- an ANTLR parse of the whole definition (moto's ``ExecutionWorker`` parses it at every start):
  60 to 200 ms. The parse tree of a definition is kept (it is only read afterwards) and each
  execution still builds its own evaluation components from it (they hold execution state).

Both are patches of moto's classes in this process, installed by the workflow extension while the
runtime runs; the returned function undoes them. A third patch runs each execution as the state
machine's role (`emulator.caller.STATES`), so the task invocations are attributed to it and not
to whoever started the execution.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from emulator.caller import STATES, running_as

#: Definitions whose parse tree is kept (a local runtime has one or two state machines).
MAX_TREES = 16


def moto_sfn_speedups_install() -> Callable[[], None]:
    """Install both patches (see the module docstring); returns the undo."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_client = lambda_eval_utils.boto_client_for
    original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    original_logic = ExecutionWorker._execution_logic
    clients: dict[tuple[str, str], Any] = {}
    trees: dict[str, Any] = {}
    lock = threading.Lock()
    parse_lock = threading.Lock()  # one parse at a time: a runtime has one or two definitions

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is not None:
            return original_client(
                region=region, service=service, state_credentials=state_credentials
            )
        with lock:  # boto3's default session is not safe for concurrent client creation
            if (region, service) not in clients:
                clients[(region, service)] = original_client(region=region, service=service)
            return clients[(region, service)]

    def entrypoint(worker: Any) -> Any:
        definition = worker._evaluation_details.state_machine_details.definition
        tree = trees.get(definition)
        if tree is None:
            # Executions started together all miss at once; the first parses, the rest wait for
            # its tree instead of parsing the same definition again (CI: 3 starts, 3 parses).
            with parse_lock:
                tree = trees.get(definition)
                if tree is None:
                    _, tree = AmazonStateLanguageParser.parse(definition)
                    with lock:
                        if len(trees) >= MAX_TREES:
                            trees.clear()
                        trees[definition] = tree
        return Preprocessor().visit(tree)

    def execution_logic(worker: Any) -> Any:
        with running_as(STATES):
            return original_logic(worker)

    lambda_eval_utils.boto_client_for = boto_client_for
    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign,assignment]
    ExecutionWorker._execution_logic = execution_logic  # type: ignore[method-assign]

    def undo() -> None:
        lambda_eval_utils.boto_client_for = original_client
        ExecutionWorker._get_evaluation_entrypoint = original_entrypoint  # type: ignore[method-assign]
        ExecutionWorker._execution_logic = original_logic  # type: ignore[method-assign]
        clients.clear()
        trees.clear()

    return undo
