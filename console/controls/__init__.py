"""Console pages of controls: the list, and a control's reactor, mode and exemptions."""
