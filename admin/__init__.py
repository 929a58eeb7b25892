"""The web app (Flask-AppBuilder) for analysts, clerks and admins: a door onto `orchestrator` services.

It holds no engine rules. Built by the web-app issue; until then the `onewindow` CLI is the way in.
"""
