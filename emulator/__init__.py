"""The embedded local AWS runtime (DynamoDB Local + moto server + the project's own gap fillers)."""
