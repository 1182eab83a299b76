"""The Ouroboros console: Django project (settings, URLs) and its apps."""
