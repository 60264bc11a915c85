"""People who sign in to the console: accounts (argon2) and server-side sessions."""
