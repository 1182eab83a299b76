"""API views, one module per resource, one class per operation (see console.api.routing)."""
