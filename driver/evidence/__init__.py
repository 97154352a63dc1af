"""What the report shows: the transcript of everything said and seen (`transcript.py`), how long
people waited (`latency.py`) and the stages an answer went through (`stages.py`)."""
