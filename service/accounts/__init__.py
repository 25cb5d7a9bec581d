"""Users, their roles and logins: passwords, bearer tokens, web sessions, login throttling."""
