"""The demo partner programme: a deterministic landing-data generator (not part of the pipeline)."""
