"""The web edge: API routes and the chat socket's endpoint, shared request plumbing, CORS,
origins, metrics, the web page."""
