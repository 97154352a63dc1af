"""The people of the suite as Screenplay actors: `actor.py` (abilities, remembered facts),
`abilities.py` (call the API, chat on devices; each can be forgotten), `notepad.py` (what a
person remembers, typed), `tasks/` (what they do), `questions/` (what they look at) and
`interactions/` (checks: `See` a question's answer held to a resolution). Never imports behave:
pytest and the benchmarks use it too."""
