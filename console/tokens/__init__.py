"""API tokens: the model, the admin pages under /tokens/, the ``/api/v1/tokens`` API views and the
``api_token`` management command (automation calls the REST API with these tokens).
"""
