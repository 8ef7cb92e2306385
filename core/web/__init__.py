"""The web layer: app factory, request scoping, the page shell and the core pages."""
