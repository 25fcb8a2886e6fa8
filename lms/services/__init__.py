"""Services: load rows, apply the rules, write, commit once. Views call these."""
