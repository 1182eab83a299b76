"""Who may do what in the console: the viewer / operator / admin roles and the security headers."""
