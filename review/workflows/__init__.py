"""Workflow definitions: the YAML spec, its compiled state machine, and the registry of versions."""
