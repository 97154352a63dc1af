"""The HTTP side: API routes, shared request plumbing, CORS, origins, metrics, the web page."""
