"""The HTTP service: the app with its one list of routes, HTTP helpers, routes per concern, rendering."""
