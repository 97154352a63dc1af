"""Getting run events to people: the chat socket, live fan-out, per-run streams, replay."""
