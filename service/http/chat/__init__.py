"""The chat socket's endpoint (`/ws`): the handshake, then each frame a person sends."""
