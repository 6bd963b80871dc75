"""The QA loop: what people check beyond the machine's flags, and what their verdicts say about the machine.

- ``sampling``: 抽检 plans (``plans/<name>.yaml``, versioned) and the reproducible, recorded draw;
- ``accuracy``: precision per rule and per learned-reader category from reviewers' verdicts, recall per category
  estimated from the 抽检 verdicts, each with a Wilson 95% interval; rules under the admin's precision listed;
- ``dials``: dial logs (CSV) and the profile's contact-frequency limits, each debtor/day over a limit reported on the
  calls involved.

Plain Python over the rows ``audit.storage.Store`` reads and writes (storage owns SQLAlchemy); the CLI and the app's
「规则准确率」 page only lay out what these return.
"""
