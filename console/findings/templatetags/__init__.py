"""Template tags shared by the console's list pages."""
