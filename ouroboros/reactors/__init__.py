"""Reactors in Ouroboros: the Hub, the catalog and the installer around the reactor SDK.

The SDK reactors are written with (and the only Ouroboros code inside an artifact) is the
top-level package `reactor_sdk`. This package runs in Ouroboros itself, never inside an artifact:
``manifest`` (schema checks), ``packaging`` (deterministic zips), ``isolation`` (importing a
package alone), ``hub`` and ``catalog`` (publish, verify, read the Hub), ``services`` /
``installer`` (install in a consumer), ``stream_records`` (DynamoDB stream records), ``errors``
(the Hub's and the installer's). Assigning reactors to controls is
`ouroboros.controls.configuration`.
"""
