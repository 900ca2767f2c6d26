"""What runs a Fast call whatever the platform: operations, replay, errors, config, auth, logs, deadline, state."""
