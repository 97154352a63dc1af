"""Who may use the service: passes, passwords, sign-in lockout, enterprise sign-in, revocation."""
