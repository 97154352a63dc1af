"""The people of the suite as Screenplay actors: `actor.py` (abilities, remembered facts),
`abilities.py` (call the API, chat on devices), `tasks/` (what they do) and `questions/` (what
they look at). Never imports behave: pytest and the benchmarks use it too."""
