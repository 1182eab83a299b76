"""Console pages of findings: the list (filters, sort, search, cursor pages) and one finding."""
