"""The official reactor catalog: one package per reactor, each built and deployed on its own.

A package holds ``reactor.py`` (the `Reactor` subclass and its ``handler``) and may hold more
modules; it imports only the reactor SDK (`reactor_sdk`), boto3 and its own modules
(relatively), because its artifact is imported as a top-level package. Its tests live in
``tests/lambdas/reactors/test_<package>.py`` (the meta-tests check they exist).
"""
