"""The wire layer on Django REST framework: the base view, content
negotiation, renderers, parsers, authentication and the exception handler.

Views (``indexes.views``) subclass ``base.DevpiView`` and stay a few lines
each: they call selectors and services and return data; the renderers chosen
here turn it into devpi's bytes. This package imports the domain, never the
other way round.
"""
