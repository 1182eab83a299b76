"""The console's home page and dashboard, and ``GET /api/v1/summary`` (``api``): the same numbers
for automation. The summary is not one of the console's resources, so its API view lives here,
with the page it mirrors, rather than in ``console.api`` (which holds only shared plumbing).
"""
