"""The independent oracle: what the contract promises, checked on every stream a person sees
(`verifier.py`: `recording.py` keeps what arrived, `judging.py` judges it; `rules.py`), the
refusal table in the scenario's own words (`refusals.py`), and what an answer's figures and
prose are held to (`answers.py`, `held_prose.py`)."""
