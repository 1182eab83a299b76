"""Console app for reactors: the Hub catalog, installed reactors, bulk assignment, the audit."""
