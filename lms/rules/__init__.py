"""Business rules as pure functions: no Flask, no database."""
