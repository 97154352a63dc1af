"""The web page as a browser drives it: the browser ability (`browser.py`), the chat page object
(`chat_page.py`) and what the page's connections received (`page_frames.py`). A person's tasks
and questions at the page are the actors' (driver/actors/tasks/page.py, questions/page.py)."""
