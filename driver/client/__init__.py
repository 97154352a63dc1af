"""The contract's own client: its vocabulary (`contract.py`), typed answers (`models.py`), one
exception tree (`errors.py`), the HTTP calls (`api.py`), the socket (`socket.py`) and one run's
stream (`stream.py`), the operator's figures (`operations.py`), passes a clock or an attacker
could forge (`passes.py`), and `eventually`. The bottom room: it imports no other."""
