"""obsctl: monitoring-as-code for machine-learning systems on AWS."""

__version__ = "0.1.0"
