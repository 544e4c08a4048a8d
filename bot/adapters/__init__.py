"""Adapters: translate a platform's input into an Invocation and a Response into its messages."""
