"""What the review app (app.py, app_pages/) computes, without Streamlit. The pages only lay these out; everything
here is plain Python over the rows ``audit.storage.Store`` returns, so it is tested without a browser, and like the
rest of ``audit/`` it knows nothing of the app. Its modules, each named for what it serves:

- ``locations``: the database the app opens, the data directory, the upload limit;
- ``access``: ``audit.accounts`` applied to the app's reads (a team lead's filters, the verdicts a role may file,
  the users table);
- ``queue``: the review queue's filters and pages;
- ``call_view``: one call: the dialogue with its findings marked, the disclosure checklist, the player's times;
- ``overview``: findings per week;
- ``coaching``: the agents page's coaching sheet and breakdowns, CSV;
- ``rule_pack``: the rule pack as tables, and "try a sentence";
- ``uploads``: recordings for a batch (checked uploads, allowed server folders);
- ``exports``: the regulator's package zipped for a download.

The pages import the module they need (``from audit.reviewapp import queue``).
"""
