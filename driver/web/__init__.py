"""The web page as a person uses it: the browser ability (`browser.py`), the chat page object
(`chat_page.py`), what the page's connections received (`page_frames.py`) and the tasks of a
person at the page (`web_tasks.py`)."""
