"""Sanshen (三审): the review workflow engine.

This package is the domain: models, workflow definitions, the engine's commands, the trail and the
CLI. It knows nothing of HTTP; `web/` and the CLI both call the same command functions.
"""
